// Host `pkcs1`: the SDK's modules/crypt/etc/pkcs1.js conversions between octet strings and BigInts
// (big-endian, unsigned). As in the SDK, I2OSP pads to `length` but never truncates: a value that
// needs more bytes comes back longer.

type Bytes = ArrayBuffer | ArrayBufferView;

/** A view of the bytes of an ArrayBuffer or of a view's window on its buffer (no copy). */
export function bytes(data: Bytes): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

function OS2IP(octets: Bytes): bigint {
  const hex = Buffer.from(bytes(octets)).toString("hex");
  return hex ? BigInt("0x" + hex) : 0n;
}

function I2OSP(value: bigint, length = 0): ArrayBuffer {
  if (value < 0n)
    throw new RangeError("pkcs1: negative integer");
  let hex = value.toString(16);
  if (hex.length & 1)
    hex = "0" + hex;
  const minimal = Buffer.from(hex, "hex");          // 0n is one zero byte, as XS's ArrayBuffer.fromBigInt
  const out = new Uint8Array(Math.max(length, minimal.length));
  out.set(minimal, out.length - minimal.length);
  return out.buffer;
}

const PKCS1 = { OS2IP, I2OSP };
export default PKCS1;
