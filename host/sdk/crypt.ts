// Host `crypt`: the Digest class of the SDK's modules/crypt/digest, on node:crypto. Strings are hashed
// as their UTF-8 bytes, as the SDK does. After close() the digest is spent: reset() starts it again
// (the SDK leaves writing after close undefined; here it throws).
import { createHash, type Hash } from "node:crypto";

type Data = ArrayBuffer | ArrayBufferView | string;

const algorithms: Record<string, string> = {
  MD5: "md5",
  SHA1: "sha1",
  SHA224: "sha224",
  SHA256: "sha256",
  SHA384: "sha384",
  SHA512: "sha512",
};

const BLOCK_SIZES: Record<string, number> = { md5: 64, sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128 };

export class Digest {
  readonly #algorithm: string;
  #hash: Hash | undefined;

  constructor(name: "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512") {
    if (!Object.hasOwn(algorithms, name))
      throw new Error("crypt: unsupported digest");
    this.#algorithm = algorithms[name]!;
    this.reset();
  }

  write(...data: Data[]): void {
    const hash = this.#hash;
    if (!hash)
      throw new Error("crypt: can't call digest write after close");
    for (const item of data) {
      if (typeof item === "string")
        hash.update(item, "utf8");
      else if (ArrayBuffer.isView(item))
        hash.update(new Uint8Array(item.buffer, item.byteOffset, item.byteLength));
      else
        hash.update(new Uint8Array(item));
    }
  }

  /** `more`: the hash so far, and hashing goes on (modCrypt.c copies the context). */
  close(more?: boolean): ArrayBuffer {
    const hash = this.#hash;
    if (!hash)
      throw new Error("crypt: digest already closed");
    if (more)
      return new Uint8Array(hash.copy().digest()).buffer;
    this.#hash = undefined;
    return new Uint8Array(hash.digest()).buffer;
  }

  get blockSize(): number {
    return BLOCK_SIZES[this.#algorithm]!;
  }

  get outputSize(): number {
    return createHash(this.#algorithm).digest().length;
  }

  /** As the SDK: reset, write every argument, close. */
  process(...data: Data[]): ArrayBuffer {
    this.reset();
    this.write(...data);
    return this.close();
  }

  reset(): void {
    this.#hash = createHash(this.#algorithm);
  }
}

export { BlockCipher } from "./block-cipher.js";
import { BlockCipher } from "./block-cipher.js";
export default { Digest, BlockCipher };
