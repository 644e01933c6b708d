// netkit/http/client/canceller: the kit's TypeScript module http/client/canceller as a .js module mcpack can see (see mcpack/README.md).
export * from "http/client/canceller";
