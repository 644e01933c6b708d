// Host `ecdsa`: verification of the SDK's modules/crypt/etc/ecdsa.js, in BigInt affine arithmetic, for
// an already computed hash (Node's own ECDSA verify insists on hashing the message itself).
// Signatures are r‖s, each orderSize bytes, or DER SEQUENCE { INTEGER r, INTEGER s } when asn1 is true.
// Beyond the SDK: 1 ≤ r, s < n is checked, a hash longer than the order keeps its leftmost bits (the
// SDK reduces it mod n instead), the public key must lie on the curve, and raw signatures of the wrong
// length fail.
import PKCS1, { bytes } from "./pkcs1.js";

export interface Point { x: bigint; y: bigint }

/** A short Weierstrass curve y² = x³ + ax + b over GF(p) with a base point G of prime order n. */
export interface Curve {
  readonly name: "secp256r1" | "secp384r1";
  readonly p: bigint;
  readonly a: bigint;
  readonly b: bigint;
  readonly n: bigint;
  readonly G: Readonly<Point>;
  /** Bytes of n: the size of r and s. */
  readonly orderSize: number;
}

// SEC 2 / FIPS 186-4 constants.
const p256 = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
export const P256: Curve = Object.freeze({
  name: "secp256r1",
  p: p256,
  a: p256 - 3n,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  G: Object.freeze({
    x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  }),
  orderSize: 32,
});

const p384 = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn;
export const P384: Curve = Object.freeze({
  name: "secp384r1",
  p: p384,
  a: p384 - 3n,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  G: Object.freeze({
    x: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    y: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  }),
  orderSize: 48,
});

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a⁻¹ mod m for m prime and a ≢ 0, by the extended Euclidean algorithm. */
export function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

/** Affine points; null is the point at infinity. */
type Affine = Point | null;

function add(c: Curve, P: Affine, Q: Affine): Affine {
  if (!P)
    return Q;
  if (!Q)
    return P;
  let slope: bigint;
  if (P.x === Q.x) {
    if (mod(P.y + Q.y, c.p) === 0n)
      return null;                                   // P = −Q (also doubling a point with y = 0)
    slope = mod((3n * P.x * P.x + c.a) * inverse(2n * P.y, c.p), c.p);
  }
  else
    slope = mod((Q.y - P.y) * inverse(Q.x - P.x, c.p), c.p);
  const x = mod(slope * slope - P.x - Q.x, c.p);
  return { x, y: mod(slope * (P.x - x) - P.y, c.p) };
}

/** u1·P + u2·Q by Shamir's trick: one pass of double-and-add over the bits of both scalars. */
function mul2(c: Curve, P: Point, u1: bigint, Q: Point, u2: bigint): Affine {
  const PQ = add(c, P, Q);
  let R: Affine = null;
  for (let i = BigInt(Math.max(u1.toString(2).length, u2.toString(2).length)) - 1n; i >= 0n; i--) {
    R = add(c, R, R);
    const b1 = (u1 >> i) & 1n, b2 = (u2 >> i) & 1n;
    if (b1 && b2)
      R = add(c, R, PQ);
    else if (b1)
      R = add(c, R, P);
    else if (b2)
      R = add(c, R, Q);
  }
  return R;
}

function onCurve(c: Curve, P: Point): boolean {
  return P.x >= 0n && P.x < c.p && P.y >= 0n && P.y < c.p
    && mod(P.y * P.y - (P.x * P.x * P.x + c.a * P.x + c.b), c.p) === 0n;
}

/** DER SEQUENCE { INTEGER r, INTEGER s }; throws on malformed input as the SDK's BER reader does. */
function decodeDER(sig: Uint8Array): { r: bigint; s: bigint } {
  let i = 0;
  const length = (): number => {
    let n = sig[i++] ?? 0;
    if (n & 0x80) {
      let count = n & 0x7f;
      for (n = 0; count--;)
        n = n * 256 + (sig[i++] ?? 0);
    }
    if (i + n > sig.length)
      throw new Error("BER: truncated");
    return n;
  };
  if (sig[i++] !== 0x30)
    throw new Error("BER: not a sequence");
  length();
  const integer = (): bigint => {
    if (sig[i++] !== 0x02)
      throw new Error("BER: not an integer");
    const n = length();
    const value = sig.subarray(i, i + n);
    i += n;
    const unsigned = PKCS1.OS2IP(value);
    return value[0]! & 0x80 ? unsigned - (1n << BigInt(8 * n)) : unsigned;   // two's complement
  };
  const r = integer();
  return { r, s: integer() };
}

export default class ECDSA {
  readonly #pub: Point;
  readonly #curve: Curve;

  constructor(pub: { x: bigint; y: bigint }, curve: Curve) {
    this.#pub = { x: pub.x, y: pub.y };
    this.#curve = curve;
  }

  verify(H: ArrayBuffer | ArrayBufferView, sig: ArrayBuffer | ArrayBufferView, asn1?: boolean): boolean {
    const c = this.#curve, Q = this.#pub, l = c.orderSize;
    const octets = bytes(sig);
    let r: bigint, s: bigint;
    if (asn1)
      ({ r, s } = decodeDER(octets));
    else {
      if (octets.length !== 2 * l)
        return false;
      r = PKCS1.OS2IP(octets.subarray(0, l));
      s = PKCS1.OS2IP(octets.subarray(l));
    }
    if (r < 1n || r >= c.n || s < 1n || s >= c.n || !onCurve(c, Q))
      return false;

    const hash = bytes(H);
    let e = PKCS1.OS2IP(hash);
    const excess = hash.length * 8 - c.n.toString(2).length;
    if (excess > 0)
      e >>= BigInt(excess);                        // the leftmost bits of the hash, as many as n has

    const w = inverse(s, c.n);
    const R = mul2(c, c.G, mod(e * w, c.n), Q, mod(r * w, c.n));
    return R !== null && mod(R.x, c.n) === r;
  }
}
