// Host `hmac`: the SDK's modules/crypt/etc/hmac.js (RFC 2104 over a `crypt` Digest), ported as is: the key is
// hashed when longer than the digest's block, `process` resets, writes every item and returns the MAC.
import type { Digest } from "./crypt.js";
import { bytes } from "./pkcs1.js";

type Data = ArrayBuffer | ArrayBufferView;

export default class HMAC {
  readonly hashLen: number;
  #h: Digest;
  #ipad = new Uint8Array(0);
  #opad = new Uint8Array(0);

  constructor(h: Digest, key: Data, bitlen = 0) {
    this.#h = h;
    this.init(key);
    this.hashLen = bitlen >> 3;
  }

  init(key: Data): void {
    const h = this.#h;
    let k = bytes(key);
    if (k.length > h.blockSize) {
      h.reset();
      h.write(k);
      k = new Uint8Array(h.close());
    }
    this.#ipad = new Uint8Array(h.blockSize).fill(0x36);
    this.#opad = new Uint8Array(h.blockSize).fill(0x5c);
    for (let i = 0; i < k.length; i++) {
      this.#ipad[i] ^= k[i]!;
      this.#opad[i] ^= k[i]!;
    }
    h.reset();
    h.write(this.#ipad);
  }

  update(...items: Data[]): void {
    for (const item of items)
      this.#h.write(item);
  }

  close(): ArrayBuffer {
    const h = this.#h;
    const inner = h.close();
    h.reset();
    h.write(this.#opad);
    h.write(inner);
    return h.close();
  }

  reset(): void {
    this.#h.reset();
    this.#h.write(this.#ipad);
  }

  process(...items: Data[]): ArrayBuffer {
    this.reset();
    for (const item of items)
      this.#h.write(item);
    return this.close();
  }
}
