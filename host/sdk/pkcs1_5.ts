// Host `pkcs1_5`: RSASSA-PKCS1-v1_5 signature verification of the SDK's modules/crypt/etc/pkcs1_5.js,
// public key only. verify() decodes as the SDK's emsaDecode does, and so is as lenient: the number of
// 0xFF bytes, the DigestInfo's algorithm OID and anything after the hash are not checked; the hash
// must match byte for byte, length included.
import PKCS1, { bytes } from "./pkcs1.js";

export interface RSAPublicKey { modulus: bigint; exponent: bigint }

/** x^e mod m, square and multiply. */
function power(x: bigint, e: bigint, m: bigint): bigint {
  let result = 1n;
  x %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n)
      result = result * x % m;
    x = x * x % m;
  }
  return result;
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  let n = content.length;
  const length: number[] = [];
  if (n < 0x80)
    length.push(n);
  else {
    for (; n; n >>>= 8)
      length.unshift(n & 0xff);
    length.unshift(0x80 | length.length);
  }
  return Uint8Array.from([tag, ...length, ...content]);
}

/** Content octets of an OBJECT IDENTIFIER: 40·arc0 + arc1, then each arc in base 128. */
function oidContent(arcs: number[]): Uint8Array {
  const out: number[] = [];
  const values = [arcs[0]! * 40 + (arcs[1] ?? 0), ...arcs.slice(2)];
  for (let value of values) {
    const base128 = [value & 0x7f];
    while ((value = Math.floor(value / 128)) > 0)
      base128.unshift(0x80 | (value & 0x7f));
    out.push(...base128);
  }
  return Uint8Array.from(out);
}

export default class PKCS1_5 {
  readonly rsa: { process(x: bigint): bigint; readonly modulusSize: number };
  readonly modulusSize: number;
  readonly #oid: number[] | undefined;

  constructor(key: RSAPublicKey, priv: false, oid?: number[]) {
    if (priv)
      throw new Error("pkcs1_5: host version verifies only (no private key operations)");
    const { modulus, exponent } = key;
    const modulusSize = (modulus.toString(2).length + 7) >>> 3;
    this.rsa = { process: (x: bigint) => power(x, exponent, modulus), modulusSize };
    this.modulusSize = modulusSize;
    this.#oid = oid;
  }

  /** 0x01 ‖ 0xFF… ‖ 0x00 ‖ (DigestInfo(oid, H) or H), emLen bytes, as a BigInt. */
  emsaEncode(H: ArrayBuffer | ArrayBufferView, emLen: number): bigint {
    const hash = bytes(H);
    const T = this.#oid
      ? tlv(0x30, Uint8Array.from([...tlv(0x30, Uint8Array.from([...tlv(0x06, oidContent(this.#oid)), 0x05, 0x00])),
                                   ...tlv(0x04, hash)]))
      : hash;
    const padding = emLen - T.length - 2;
    if (padding < 0)
      throw new Error("pkcs1_5: encoded message too short");
    const EM = new Uint8Array(emLen);
    EM[0] = 0x01;
    EM.fill(0xff, 1, 1 + padding);
    EM[1 + padding] = 0x00;
    EM.set(T, 2 + padding);
    return PKCS1.OS2IP(EM);
  }

  /** The hash in EM (0x01 ‖ 0xFF… ‖ 0x00 ‖ T), or undefined when EM is not laid out so. */
  emsaDecode(EM: bigint): ArrayBuffer | undefined {
    const s = new Uint8Array(PKCS1.I2OSP(EM));
    if (s[0] !== 0x01)
      return undefined;
    let i = 1;
    while (i < s.length && s[i] === 0xff)
      i++;
    if (i >= s.length || s[i] !== 0x00)
      return undefined;
    const T = s.slice(i + 1);
    if (!this.#oid)
      return T.buffer;
    // SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }, short-form lengths; the OID is skipped.
    if (T[0] !== 0x30 || T[2] !== 0x30 || T[4] !== 0x06 || T[5] === undefined)
      return undefined;
    let at = 6 + Math.max(T[5], 1);
    if (T[at] !== 0x05 || T[at + 1] !== 0x00 || T[at + 2] !== 0x04 || T[at + 3] === undefined)
      return undefined;
    at += 3;
    const length = T[at++]!;
    return T.slice(at, at + length).buffer;
  }

  verify(H: ArrayBuffer | ArrayBufferView, sig: ArrayBuffer | ArrayBufferView): boolean {
    const R = this.emsaDecode(this.rsa.process(PKCS1.OS2IP(sig)));
    return !!R && Buffer.from(bytes(H)).equals(Buffer.from(R));
  }
}
