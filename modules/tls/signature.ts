// Signature checks for certificate paths and the TLS handshake, on the SDK's own crypto (`crypt`,
// `x509`, `pkcs1_5`, `ecdsa`). RSA signatures are compared as whole PKCS#1 v1.5 encodings (RFC 8017
// 8.2.2): the SDK's PKCS1_5.verify only extracts the hash and ignores trailing bytes, which lets a
// low-exponent key accept forged signatures (Bleichenbacher 2006).
import { Digest } from "crypt";
import X509 from "x509";
import PKCS1 from "pkcs1";
import PKCS1_5 from "pkcs1_5";
import ECDSA from "ecdsa";

export type Hash = "SHA256" | "SHA384" | "SHA512";

const HASH_OIDS: Record<Hash, number[]> = {
  SHA256: [2, 16, 840, 1, 101, 3, 4, 2, 1],
  SHA384: [2, 16, 840, 1, 101, 3, 4, 2, 2],
  SHA512: [2, 16, 840, 1, 101, 3, 4, 2, 3],
};

function digest(hash: Hash, data: Uint8Array): ArrayBuffer {
  const digest = new Digest(hash);
  digest.write(data as unknown as ArrayBuffer); // the SDK's Digest reads any buffer; its typings say ArrayBuffer
  return digest.close();
}

/** SHA-256 of `data` (pins hash the SubjectPublicKeyInfo). */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(digest("SHA256", data));
}

/**
 * Whether `signature` over `data` verifies with the public key of `signer` (a DER certificate).
 * `asn1`: an ECDSA signature as DER (certificates, TLS) rather than r‖s.
 */
export function verifySignature(signer: Uint8Array, kind: "rsa" | "ecdsa", hash: Hash, data: Uint8Array, signature: Uint8Array): boolean {
  const hashed = digest(hash, data);
  const key = X509.decodeSPKI(signer);
  if (kind === "ecdsa")
    return !!key.pub && !!key.curve && new ECDSA(key.pub, key.curve, false, []).verify(hashed, signature, true);
  if (key.modulus === undefined)
    return false;
  const rsa = new PKCS1_5(key, false, HASH_OIDS[hash]);
  if (signature.byteLength !== rsa.modulusSize)
    return false;
  return rsa.rsa.process(PKCS1.OS2IP(signature)) === rsa.emsaEncode(hashed, rsa.modulusSize - 1);
}
