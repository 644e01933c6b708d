// Host `crypt` BlockCipher: the SDK's modules/crypt/digest/crypt.js class (modCrypt.c), AES only, on node:crypto.
// encrypt/decrypt work block by block (ECB) as the native one does; `result`, when given, receives the output.
// The key must be an ArrayBuffer, as modCrypt.c reads it. The host `gcm` reads the key through keyOf.
import { createCipheriv, createDecipheriv } from "node:crypto";
import { bytes } from "./pkcs1.js";

const keys = new WeakMap<BlockCipher, Uint8Array>();

/** The key a host BlockCipher was made with (for the host `gcm`). */
export function keyOf(cipher: BlockCipher): Uint8Array {
  const key = keys.get(cipher);
  if (!key)
    throw new Error("gcm: not a host BlockCipher");
  return key;
}

type Data = ArrayBuffer | ArrayBufferView;

export class BlockCipher {
  constructor(cipher: string, key: ArrayBuffer) {
    if (cipher !== "AES")
      throw new Error(`host runtime: BlockCipher ${cipher} is not implemented`);
    if (!(key instanceof ArrayBuffer))
      throw new TypeError("not an ArrayBuffer instance"); // modCrypt.c: xsmcToArrayBuffer, views refused
    const octets = new Uint8Array(key).slice();
    if (octets.length !== 16 && octets.length !== 24 && octets.length !== 32)
      throw new Error("bad key size");
    keys.set(this, octets);
  }
  get keySize(): number {
    return keyOf(this).length;
  }
  get blockSize(): number {
    return 16;
  }
  encrypt(data: Data, result?: ArrayBuffer): ArrayBuffer {
    return this.#run(true, data, result);
  }
  decrypt(data: Data, result?: ArrayBuffer): ArrayBuffer {
    return this.#run(false, data, result);
  }
  #run(encrypt: boolean, data: Data, result?: ArrayBuffer): ArrayBuffer {
    const key = keyOf(this);
    const algorithm = `aes-${key.length * 8}-ecb`;
    const cipher = encrypt ? createCipheriv(algorithm, key, null) : createDecipheriv(algorithm, key, null);
    cipher.setAutoPadding(false);
    const input = bytes(data);
    const output = Buffer.concat([cipher.update(input.subarray(0, input.length - (input.length % 16))), cipher.final()]);
    const out = result ?? new ArrayBuffer(output.length);
    new Uint8Array(out).set(output);
    return out;
  }
}
