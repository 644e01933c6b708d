// (EC)DHE for TLS 1.3 on the SDK's curve arithmetic (etc/curve.js): secp256r1 and secp384r1. The SDK's
// Curve.dh does not check that the peer's point lies on the curve, so it is checked here first (an off-curve
// point leaks bits of the private scalar: the invalid-curve attack).
import Curve from "curve";
import RNG from "rng";
import PKCS1 from "pkcs1";
import { Alert, ProtocolError, SECP256R1, SECP384R1 } from "tls/tls13/messages";

export type GroupName = "secp256r1" | "secp384r1";

export const GROUP_IDS: Record<GroupName, number> = { secp256r1: SECP256R1, secp384r1: SECP384R1 };

const PARAMETERS: Record<number, { name: GroupName; size: number; p: bigint; b: bigint; n: bigint }> = {
  [SECP256R1]: {
    name: "secp256r1",
    size: 32,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  [SECP384R1]: {
    name: "secp384r1",
    size: 48,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

export function groupName(id: number): GroupName | undefined {
  return PARAMETERS[id]?.name;
}

/** Whether an uncompressed point (04‖X‖Y) lies on the curve: y² = x³ − 3x + b mod p, with x, y < p. */
export function onCurve(group: number, point: Uint8Array): boolean {
  const c = PARAMETERS[group];
  if (!c || point.length !== 1 + 2 * c.size || point[0] !== 4)
    return false;
  const x = PKCS1.OS2IP(point.subarray(1, 1 + c.size));
  const y = PKCS1.OS2IP(point.subarray(1 + c.size));
  if (x >= c.p || y >= c.p)
    return false;
  return (y * y - (x * x * x - 3n * x + c.b)) % c.p === 0n;
}

/** One ephemeral key pair on a group. */
export class KeyShareSecret {
  readonly group: number;
  readonly publicKey: Uint8Array;
  #curve: Curve;
  #scalar: ArrayBuffer;

  constructor(group: number) {
    const c = PARAMETERS[group];
    if (!c)
      throw new ProtocolError(Alert.internalError, `group ${group} is not supported`);
    this.group = group;
    this.#curve = new Curve(c.name);
    let scalar: ArrayBuffer;
    let value: bigint;
    let tries = 0;
    do {
      if (++tries > 8)
        throw new ProtocolError(Alert.internalError, "the random generator gives no usable key");
      scalar = RNG.get(c.size);
      value = PKCS1.OS2IP(scalar);
    } while (value === 0n || value >= c.n);
    this.#scalar = scalar;
    this.publicKey = new Uint8Array(this.#curve.dh(scalar));
  }

  /** The shared secret (the X coordinate) with the peer's point, which must be on the curve. */
  sharedSecret(peer: Uint8Array): Uint8Array {
    if (!onCurve(this.group, peer))
      throw new ProtocolError(Alert.illegalParameter, "the server's key share is not a point on the curve");
    const point = this.#curve.dh(this.#scalar, peer.slice().buffer as ArrayBuffer);
    return new Uint8Array(this.#curve.Z(point));
  }
}
