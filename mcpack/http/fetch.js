// esp32-netkit/http/fetch for mcpack (see mcpack/README.md).
export * from "moddable:netkit/http/fetch";
