// Host `curve`: the SDK's modules/crypt/etc/curve.js (ECDH on secp256r1 and secp384r1), in BigInt Jacobian
// arithmetic. As in the SDK: an unknown name makes an empty object; dh(x) is x·G and dh(x, P) is x·P, both
// uncompressed (04‖X‖Y, orderSize bytes each), P taken as given with no check that it lies on the curve (a
// wrong-length P gives undefined); Z(P) is P's X coordinate. x and P must be ArrayBuffers, as on the device.
import PKCS1, { bytes } from "./pkcs1.js";
import { inverse, mod, P256, P384, type Curve as Parameters } from "./ecdsa.js";

const curves: Record<string, Parameters> = { secp256r1: P256, secp384r1: P384 };

type Jacobian = [bigint, bigint, bigint]; // (X, Y, Z), x = X/Z², y = Y/Z³; Z = 0 is infinity

function double(c: Parameters, [X, Y, Z]: Jacobian): Jacobian {
  const p = c.p;
  if (Z === 0n || Y === 0n)
    return [1n, 1n, 0n];
  const YY = mod(Y * Y, p);
  const S = mod(4n * X * YY, p);
  const ZZ = mod(Z * Z, p);
  const M = mod(3n * X * X + c.a * ZZ * ZZ, p);
  const X3 = mod(M * M - 2n * S, p);
  return [X3, mod(M * (S - X3) - 8n * YY * YY, p), mod(2n * Y * Z, p)];
}

function add(c: Parameters, P: Jacobian, Q: Jacobian): Jacobian {
  const p = c.p;
  if (P[2] === 0n)
    return Q;
  if (Q[2] === 0n)
    return P;
  const Z1Z1 = mod(P[2] * P[2], p), Z2Z2 = mod(Q[2] * Q[2], p);
  const U1 = mod(P[0] * Z2Z2, p), U2 = mod(Q[0] * Z1Z1, p);
  const S1 = mod(P[1] * Q[2] * Z2Z2, p), S2 = mod(Q[1] * P[2] * Z1Z1, p);
  if (U1 === U2)
    return S1 === S2 ? double(c, P) : [1n, 1n, 0n];
  const H = mod(U2 - U1, p), R = mod(S2 - S1, p);
  const HH = mod(H * H, p), HHH = mod(H * HH, p);
  const X3 = mod(R * R - HHH - 2n * U1 * HH, p);
  return [X3, mod(R * (U1 * HH - X3) - S1 * HHH, p), mod(H * P[2] * Q[2], p)];
}

function multiply(c: Parameters, x: bigint, Px: bigint, Py: bigint): { X: bigint; Y: bigint } {
  let R: Jacobian = [1n, 1n, 0n];
  const P: Jacobian = [Px, Py, 1n];
  for (let i = BigInt(x.toString(2).length) - 1n; i >= 0n; i--) {
    R = double(c, R);
    if ((x >> i) & 1n)
      R = add(c, R, P);
  }
  if (R[2] === 0n)
    return { X: 0n, Y: 0n };
  const zi = inverse(R[2], c.p);
  return { X: mod(R[0] * zi * zi, c.p), Y: mod(R[1] * zi * zi * zi, c.p) };
}

function octets(value: bigint, length: number): Uint8Array {
  return new Uint8Array(PKCS1.I2OSP(value, length));
}

export default class Curve {
  readonly #c: Parameters | undefined;

  constructor(name: string) {
    this.#c = curves[name];
  }

  get orderSize(): number {
    return this.#c!.orderSize;
  }

  dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer | undefined {
    const c = this.#c!;
    // BigInt.fromArrayBuffer (of x, and of P.slice(…)) takes an ArrayBuffer only
    if (!(x instanceof ArrayBuffer) || (P !== undefined && !(P instanceof ArrayBuffer)))
      throw new TypeError("argument: not an ArrayBuffer instance");
    const size = c.orderSize;
    let Px = c.G.x, Py = c.G.y;
    if (P) {
      const point = bytes(P);
      if (point.length !== 2 * size + 1)
        return undefined;
      Px = PKCS1.OS2IP(point.subarray(1, size + 1));
      Py = PKCS1.OS2IP(point.subarray(size + 1));
    }
    const { X, Y } = multiply(c, PKCS1.OS2IP(x), Px, Py);
    const out = new Uint8Array(2 * size + 1);
    out[0] = 4;
    out.set(octets(X, size).subarray(-size), 1);
    out.set(octets(Y, size).subarray(-size), size + 1);
    return out.buffer;
  }

  Z(P: ArrayBuffer | ArrayBufferView): ArrayBuffer {
    const size = this.#c!.orderSize;
    return bytes(P).slice(1, size + 1).buffer;
  }
}
