// esp32-netkit/http/client/canceller for mcpack (see mcpack/README.md).
export * from "moddable:netkit/http/client/canceller";
