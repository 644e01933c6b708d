// The TLS 1.3 key schedule (RFC 8446 7.1) on the SDK's HMAC and Digest: HKDF-Extract and HKDF-Expand-Label
// (RFC 5869), Derive-Secret, the traffic keys and Finished MACs, and the running transcript hash. Secrets are
// Uint8Arrays that never leave this module and the record layer; nothing here traces.
import { Digest } from "crypt";
import HMAC from "hmac";

export type HashName = "SHA256" | "SHA384";

export const HASH_LENGTH: Record<HashName, number> = { SHA256: 32, SHA384: 48 };

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts)
    length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++)
    out[i] = text.charCodeAt(i);
  return out;
}

export function hmac(hash: HashName, key: Uint8Array, ...data: Uint8Array[]): Uint8Array {
  return new Uint8Array(new HMAC(new Digest(hash), key).process(...data));
}

export function hash(name: HashName, ...data: Uint8Array[]): Uint8Array {
  const digest = new Digest(name);
  for (const part of data)
    digest.write(part as unknown as ArrayBuffer); // the SDK's Digest reads any buffer; its typings say ArrayBuffer
  return new Uint8Array(digest.close());
}

export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(hash, salt.length ? salt : new Uint8Array(HASH_LENGTH[hash]), ikm);
}

/** HKDF-Expand-Label(secret, "tls13 " + label, context, length). */
export function expandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const name = ascii("tls13 " + label);
  const info = concat(Uint8Array.of(length >> 8, length & 0xff, name.length), name, Uint8Array.of(context.length), context);
  const out = new Uint8Array(length);
  let block: Uint8Array = new Uint8Array(0);
  for (let at = 0, counter = 1; at < length; counter++) {
    block = hmac(hash, secret, block, info, Uint8Array.of(counter));
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return expandLabel(hash, secret, label, transcriptHash, HASH_LENGTH[hash]);
}

/** The key and IV of one direction's traffic secret (RFC 8446 7.3). */
export function trafficKeys(hash: HashName, secret: Uint8Array, keyLength: number): { key: Uint8Array; iv: Uint8Array } {
  return { key: expandLabel(hash, secret, "key", new Uint8Array(0), keyLength), iv: expandLabel(hash, secret, "iv", new Uint8Array(0), 12) };
}

/** Finished's verify_data (RFC 8446 4.4.4); also a PSK binder, with the binder key as base key. */
export function finishedMac(hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(hash, expandLabel(hash, baseKey, "finished", new Uint8Array(0), HASH_LENGTH[hash]), transcriptHash);
}

/** Equal contents, in time that does not depend on where they differ. */
export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++)
    diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * The secrets of one handshake, stage by stage: early (from the PSK, or zeros), handshake (with the ECDHE
 * shared secret), master. Each stage replaces the previous one, so only one stage's secret is held.
 */
export class KeySchedule {
  readonly hash: HashName;
  #secret: Uint8Array;

  constructor(hash: HashName, psk?: Uint8Array) {
    this.hash = hash;
    this.#secret = hkdfExtract(hash, new Uint8Array(0), psk ?? new Uint8Array(HASH_LENGTH[hash]));
  }

  /** The binder key of a resumption PSK (early stage only). */
  binderKey(): Uint8Array {
    return deriveSecret(this.hash, this.#secret, "res binder", hash(this.hash));
  }

  /** Early → handshake stage with the (EC)DHE shared secret; handshake → master with none. */
  advance(sharedSecret?: Uint8Array): void {
    const derived = deriveSecret(this.hash, this.#secret, "derived", hash(this.hash));
    this.#secret = hkdfExtract(this.hash, derived, sharedSecret ?? new Uint8Array(HASH_LENGTH[this.hash]));
  }

  /** Derive-Secret of the current stage: "c hs traffic", "s ap traffic", "res master"… */
  derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.#secret, label, transcriptHash);
  }
}

/**
 * The transcript hash (RFC 8446 4.4.1). Messages written before the cipher suite (so the hash) is known are
 * kept until `start`; a HelloRetryRequest turns ClientHello1 into message_hash.
 */
export class Transcript {
  #digest: Digest | undefined;
  #hash: HashName | undefined;
  #pending: Uint8Array[] = [];

  get hashName(): HashName | undefined {
    return this.#hash;
  }

  start(name: HashName): void {
    if (this.#hash)
      return;
    this.#hash = name;
    this.#digest = new Digest(name);
    for (const message of this.#pending)
      this.#digest.write(message as unknown as ArrayBuffer);
    this.#pending = [];
  }

  add(message: Uint8Array): void {
    if (this.#digest)
      this.#digest.write(message as unknown as ArrayBuffer);
    else
      this.#pending.push(message);
  }

  /** Hash of everything added so far; hashing goes on. */
  current(): Uint8Array {
    if (!this.#digest)
      throw new Error("tls13: transcript hash before the cipher suite");
    return new Uint8Array(this.#digest.close(true));
  }

  /**
   * After a HelloRetryRequest: the transcript restarts as message_hash(Hash(ClientHello1)) (RFC 8446 4.4.1).
   * Returns that synthetic message (a PSK binder hashes it again).
   */
  replaceWithMessageHash(): Uint8Array {
    const name = this.#hash!;
    const first = this.current();
    const synthetic = concat(Uint8Array.of(254, 0, 0, first.length), first);
    this.#digest = new Digest(name);
    this.#digest.write(synthetic as unknown as ArrayBuffer);
    return synthetic;
  }
}
