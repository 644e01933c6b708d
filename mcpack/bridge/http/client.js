// netkit/http/client: the kit's TypeScript module http/client as a .js module mcpack can see (see mcpack/README.md).
export * from "http/client";
