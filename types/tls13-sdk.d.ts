// The SDK crypto the TLS 1.3 client (modules/tls/tls13) uses, as the SDK's modules/crypt JavaScript and C
// define it: HMAC (etc/hmac.js), AES-GCM (etc/gcm.js over crypt's BlockCipher), the NIST curves' ECDH
// (etc/curve.js) and the random generator (etc/rng.js). Loose where we do not call.
declare module "crypt" {
  interface Digest {
    /** `more`: return the hash so far and keep hashing (modCrypt.c copies the context). */
    close(more?: boolean): ArrayBuffer;
  }
  export class BlockCipher {
    constructor(cipher: "AES", key: ArrayBuffer | ArrayBufferView);
    encrypt(data: ArrayBuffer | ArrayBufferView, result?: ArrayBuffer): ArrayBuffer;
    readonly blockSize: number;
    readonly keySize: number;
  }
}
declare module "hmac" {
  import type { Digest } from "crypt";
  export default class HMAC {
    constructor(hash: Digest, key: ArrayBuffer | ArrayBufferView, bitlen?: number);
    /** Resets, writes every item, returns the MAC. */
    process(...items: (ArrayBuffer | ArrayBufferView)[]): ArrayBuffer;
  }
}
declare module "gcm" {
  import type { BlockCipher } from "crypt";
  export default class GCM {
    constructor(cipher: BlockCipher, tagLength?: number);
    readonly tagLength: number;
    /**
     * encrypt true: data encrypted, the tag appended. false: data is ciphertext‖tag (a Uint8Array: the SDK
     * calls subarray on it); the plaintext, or undefined when the tag does not match. iv and aad: ArrayBuffers.
     */
    process(data: Uint8Array, buf: null | undefined, iv: ArrayBuffer, aad: ArrayBuffer, encrypt: true): ArrayBuffer;
    process(data: Uint8Array, buf: null | undefined, iv: ArrayBuffer, aad: ArrayBuffer, encrypt: false): ArrayBuffer | undefined;
    /** Decrypted in place when buf is data itself: a view of data's start (the plaintext), or undefined when the tag does not match. */
    process(data: Uint8Array, buf: Uint8Array, iv: ArrayBuffer, aad: ArrayBuffer, encrypt: false): Uint8Array | undefined;
  }
}
declare module "curve" {
  export default class Curve {
    constructor(name: "secp256r1" | "secp384r1");
    readonly orderSize: number;
    /** x·P (x·G without P), both ArrayBuffers; the point uncompressed (04‖X‖Y). No check that P is on the curve. */
    dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer;
    /** The X coordinate of an uncompressed point. */
    Z(P: ArrayBuffer): ArrayBuffer;
  }
}
declare module "rng" {
  const RNG: { get(count: number): ArrayBuffer };
  export default RNG;
}
