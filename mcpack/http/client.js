// esp32-netkit/http/client for mcpack (see mcpack/README.md).
export * from "moddable:netkit/http/client";
