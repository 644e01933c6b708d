// Host `gcm`: process() of the SDK's modules/crypt/etc/gcm.js (AES-GCM over a `crypt` BlockCipher), on
// node:crypto. encFlag true: data encrypted, the tag (tagLength bytes) appended, a new ArrayBuffer. false: data
// is ciphertext‖tag; the plaintext, or undefined when the tag does not match. As in the SDK, `buf` === `data`
// decrypts in place and returns a view of data's start; another `buf` receives the output; none: a new
// ArrayBuffer. iv and aad must be ArrayBuffers, decrypted data a typed array, as on the device. The SDK's
// incremental init/encrypt/decrypt/close are not implemented here.
import { createCipheriv, createDecipheriv } from "node:crypto";
import type { CipherGCMTypes } from "node:crypto";
import { keyOf, type BlockCipher } from "./block-cipher.js";
import { bytes } from "./pkcs1.js";

type Data = ArrayBuffer | ArrayBufferView;

export default class GCM {
  readonly tagLength: number;
  readonly #block: BlockCipher;

  constructor(cipher: BlockCipher, tagLength = 16) {
    this.#block = cipher;
    this.tagLength = tagLength;
  }

  process(data: Data, buf: Data | null | undefined, iv: ArrayBuffer, aad: ArrayBuffer | undefined, encFlag: boolean): ArrayBuffer | Uint8Array | undefined {
    // What the SDK's gcm.js and modCrypt.c require: iv.concat (an ArrayBuffer), the aad through
    // xsmcToArrayBuffer, ciphertext.subarray (a typed array) when decrypting.
    if (!(iv instanceof ArrayBuffer) || (aad !== undefined && !(aad instanceof ArrayBuffer)))
      throw new TypeError("not an ArrayBuffer instance");
    if (!encFlag && !ArrayBuffer.isView(data))
      throw new TypeError("gcm: data.subarray is not a function");
    const key = keyOf(this.#block);
    const algorithm = `aes-${key.length * 8}-gcm` as CipherGCMTypes;
    const input = bytes(data);
    if (encFlag) {
      const cipher = createCipheriv(algorithm, key, bytes(iv), { authTagLength: 16 });
      if (aad)
        cipher.setAAD(bytes(aad));
      const sealed = Buffer.concat([cipher.update(input), cipher.final(), cipher.getAuthTag().subarray(0, this.tagLength)]);
      return new Uint8Array(sealed).buffer;
    }
    if (input.length < this.tagLength)
      return undefined;
    const decipher = createDecipheriv(algorithm, key, bytes(iv), { authTagLength: this.tagLength });
    if (aad)
      decipher.setAAD(bytes(aad));
    decipher.setAuthTag(input.subarray(input.length - this.tagLength));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(input.subarray(0, input.length - this.tagLength)), decipher.final()]);
    }
    catch {
      return undefined;
    }
    if (buf === data) {
      input.set(plain);
      return input.subarray(0, plain.length);
    }
    const out = buf ? bytes(buf) : new Uint8Array(plain.length);
    if (out.length < plain.length)
      throw new Error("output too small");
    out.set(plain);
    return buf ? buf as ArrayBuffer : out.buffer as ArrayBuffer;
  }
}
