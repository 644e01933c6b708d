// Host `x509`: decodeSPKI of the SDK's modules/crypt/etc/x509.js, on node:crypto's X509Certificate.
// As in the SDK the input is a whole DER certificate; RSA keys give {modulus, exponent}, EC keys on
// P-256 or P-384 give {curve, pub} for the host `ecdsa`, other curves throw, other key types give {}.
// algo is the SPKI's algorithm OID as a Uint32Array, as the SDK's BER reader returns it.
import { X509Certificate } from "node:crypto";
import { bytes } from "./pkcs1.js";
import { P256, P384, type Curve, type Point } from "./ecdsa.js";

const rsaEncryption = [1, 2, 840, 113549, 1, 1, 1];
const ecPublicKey = [1, 2, 840, 10045, 2, 1];
const curves: Record<string, Curve> = { prime256v1: P256, secp384r1: P384 };

export type SPKI =
  | { modulus: bigint; exponent: bigint; algo: Uint32Array }
  | { curve: Curve; pub: Point; algo: Uint32Array }
  | Record<string, never>;

function integer(base64url: string | undefined): bigint {
  const hex = Buffer.from(base64url ?? "", "base64url").toString("hex");
  if (!hex)
    throw new Error("x509: bad SPKI");
  return BigInt("0x" + hex);
}

function decodeSPKI(certificate: ArrayBuffer | ArrayBufferView): SPKI {
  let key;
  try {
    key = new X509Certificate(Buffer.from(bytes(certificate))).publicKey;
  }
  catch {
    throw new Error("x509: no SPKI");
  }
  switch (key.asymmetricKeyType) {
    case "rsa": {
      const jwk = key.export({ format: "jwk" });
      return { modulus: integer(jwk.n), exponent: integer(jwk.e), algo: Uint32Array.from(rsaEncryption) };
    }
    case "ec": {
      const name = key.asymmetricKeyDetails?.namedCurve;
      if (!name)
        throw new Error("x509: support named curves only for now");
      const curve = curves[name];
      if (!curve)
        throw new Error("x509: unsupported curve");
      const jwk = key.export({ format: "jwk" });
      return { curve, pub: { x: integer(jwk.x), y: integer(jwk.y) }, algo: Uint32Array.from(ecPublicKey) };
    }
    default: {
      const trace = (globalThis as { trace?: (...parts: unknown[]) => void }).trace;
      trace?.(`x509: ${key.asymmetricKeyType} not supported\n`);
      return {};
    }
  }
}

const X509 = Object.freeze({ decodeSPKI });
export default X509;
