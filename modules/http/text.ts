// UTF-8 text to bytes and back, on the SDK's native TextEncoder/TextDecoder. Created on first use: the http
// modules are preloaded (built into flash), where a native constructor cannot run.
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";

let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

export function utf8Bytes(text: string): Uint8Array {
  return (encoder ??= new TextEncoder()).encode(text);
}

export function utf8Text(bytes: ArrayBuffer | Uint8Array): string {
  return (decoder ??= new TextDecoder()).decode(bytes);
}
