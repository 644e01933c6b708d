// XS globals that device code uses without importing: trace().
import { traceSink } from "./runtime.js";

const trace = (...parts: unknown[]): void => traceSink.write(parts.map(String).join(""));
Object.assign(trace, {
  left: (s: string) => trace(s, "\n"),
  center: (s: string) => trace(s, "\n"),
  right: (s: string) => trace(s, "\n"),
});
(globalThis as Record<string, unknown>).trace = trace;

// XS has Uint8Array.fromBase64 and Uint8Array.prototype.toBase64 (TC39 base64, ES2026); Node 20 does not.
const U8 = Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array };
if (!U8.fromBase64) {
  U8.fromBase64 = (text: string) => {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/[\t\n\f\r ]/g, "")))
      throw new SyntaxError("invalid base64");
    const bytes = Buffer.from(text, "base64");
    return new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
}
const proto = Uint8Array.prototype as unknown as { toBase64?: (this: Uint8Array) => string };
if (!proto.toBase64) {
  proto.toBase64 = function toBase64(this: Uint8Array): string {
    return Buffer.from(this.buffer, this.byteOffset, this.byteLength).toString("base64");
  };
}
