// netkit/http/fetch: the kit's TypeScript module http/fetch as a .js module mcpack can see (see mcpack/README.md).
export * from "http/fetch";
