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

  close(): ArrayBuffer {
    const hash = this.#hash;
    if (!hash)
      throw new Error("crypt: digest already closed");
    this.#hash = undefined;
    return new Uint8Array(hash.digest()).buffer;
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

export default { Digest };
