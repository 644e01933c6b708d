// Host `base64`: encode a buffer or string, decode to an ArrayBuffer.
function bytes(source: ArrayBuffer | ArrayBufferView | string): Buffer {
  if (typeof source === "string")
    return Buffer.from(source, "utf8");
  if (source instanceof ArrayBuffer)
    return Buffer.from(source);
  return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
}

const Base64 = {
  encode(source: ArrayBuffer | ArrayBufferView | string): string {
    return bytes(source).toString("base64");
  },
  decode(text: string): ArrayBuffer {
    const data = Buffer.from(text, "base64");
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  },
};

export default Base64;
