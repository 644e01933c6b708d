// The server's CertificateVerify (RFC 8446 4.4.3): the signature over the transcript hash by the leaf's key,
// with the scheme the key allows: ECDSA on P-256 / P-384 with SHA-256 / SHA-384, RSA-PSS (rsaEncryption key,
// salt as long as the hash, RFC 8017 9.1.2). RSA PKCS#1 v1.5 is refused here (certificates only in TLS 1.3).
import { Digest } from "crypt";
import X509 from "x509";
import PKCS1 from "pkcs1";
import PKCS1_5 from "pkcs1_5";
import { parseCertificate as parseDer } from "tls/der";
import { verifySignature } from "tls/signature";
import { Alert, ProtocolError } from "tls/tls13/messages";
import { hash } from "tls/tls13/key-schedule";

type Hash = "SHA256" | "SHA384" | "SHA512";

const SCHEMES: Record<number, { kind: "ecdsa" | "pss"; hash: Hash; curve?: string }> = {
  0x0403: { kind: "ecdsa", hash: "SHA256", curve: "P-256" },
  0x0503: { kind: "ecdsa", hash: "SHA384", curve: "P-384" },
  0x0804: { kind: "pss", hash: "SHA256" },
  0x0805: { kind: "pss", hash: "SHA384" },
  0x0806: { kind: "pss", hash: "SHA512" },
};

const HASH_BYTES: Record<Hash, number> = { SHA256: 32, SHA384: 48, SHA512: 64 };

/** 64 spaces, the context string, a zero byte, the transcript hash (RFC 8446 4.4.3). */
function signedContent(transcriptHash: Uint8Array): Uint8Array {
  const context = "TLS 1.3, server CertificateVerify";
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  for (let i = 0; i < context.length; i++)
    out[64 + i] = context.charCodeAt(i);
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

function bitLength(value: bigint): number {
  const hex = value.toString(16);
  return (hex.length - 1) * 4 + parseInt(hex[0], 16).toString(2).length;
}

/** A big-endian unsigned integer as exactly `length` bytes, or undefined when it does not fit. */
function toBytes(value: bigint, length: number): Uint8Array | undefined {
  let hex = value.toString(16);
  if (hex.length & 1)
    hex = "0" + hex;
  if (hex.length / 2 > length)
    return undefined;
  const out = new Uint8Array(length);
  for (let i = 0, at = length - hex.length / 2; i < hex.length; i += 2, at++)
    out[at] = parseInt(hex.slice(i, i + 2), 16);
  return out;
}

/** MGF1 (RFC 8017 B.2.1). */
function mgf1(name: Hash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const digest = new Digest(name);
  for (let at = 0, counter = 0; at < length; counter++) {
    digest.reset();
    digest.write(seed as unknown as ArrayBuffer);
    digest.write(Uint8Array.of(counter >>> 24, (counter >>> 16) & 0xff, (counter >>> 8) & 0xff, counter & 0xff) as unknown as ArrayBuffer);
    const block = new Uint8Array(digest.close());
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/** RSASSA-PSS-VERIFY with sLen = hLen (RFC 8017 8.1.2, 9.1.2). */
export function verifyPss(leaf: Uint8Array, name: Hash, message: Uint8Array, signature: Uint8Array): boolean {
  const key = X509.decodeSPKI(leaf);
  if (key.modulus === undefined)
    return false;
  const rsa = new PKCS1_5(key, false);
  if (signature.length !== rsa.modulusSize)
    return false;
  const modBits = bitLength(key.modulus);
  const emBits = modBits - 1;
  const emLen = (emBits + 7) >> 3;
  const hLen = HASH_BYTES[name];
  const s = PKCS1.OS2IP(signature);
  if (s >= key.modulus)
    return false;
  const EM = toBytes(rsa.rsa.process(s), emLen);
  if (!EM || emLen < 2 * hLen + 2 || EM[emLen - 1] !== 0xbc)
    return false;
  const maskedDB = EM.subarray(0, emLen - hLen - 1);
  const H = EM.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 8 * emLen - emBits;
  if (maskedDB[0] & (0xff << (8 - topBits)) & 0xff)
    return false;
  const DB = mgf1(name, H, maskedDB.length);
  for (let i = 0; i < DB.length; i++)
    DB[i] ^= maskedDB[i];
  DB[0] &= 0xff >> topBits;
  const zeros = emLen - 2 * hLen - 2;
  for (let i = 0; i < zeros; i++) {
    if (DB[i] !== 0)
      return false;
  }
  if (DB[zeros] !== 0x01)
    return false;
  const salt = DB.subarray(DB.length - hLen);
  const mHash = new Uint8Array(hash(name as "SHA256", message)); // SHA512 too: the Digest takes any name
  const check = hash(name as "SHA256", new Uint8Array(8), mHash, salt);
  let diff = 0;
  for (let i = 0; i < hLen; i++)
    diff |= check[i] ^ H[i];
  return diff === 0;
}

/** Throws a ProtocolError unless `signature` by the leaf's key, with `scheme`, covers `transcriptHash`. */
export function checkCertificateVerify(leaf: Uint8Array, scheme: number, signature: Uint8Array, transcriptHash: Uint8Array): void {
  const known = SCHEMES[scheme];
  if (!known)
    throw new ProtocolError(Alert.illegalParameter, `CertificateVerify uses signature scheme 0x${scheme.toString(16)}, which the client did not offer`);
  const key = parseDer(leaf).key;
  const fits = known.kind === "ecdsa" ? key.type === "ec" && key.curve === known.curve : key.type === "rsa";
  if (!fits)
    throw new ProtocolError(Alert.illegalParameter, `CertificateVerify scheme 0x${scheme.toString(16)} does not fit the certificate's ${key.type === "ec" ? key.curve : key.type} key`);
  const content = signedContent(transcriptHash);
  const valid = known.kind === "ecdsa"
    ? verifySignature(leaf, "ecdsa", known.hash, content, signature)
    : verifyPss(leaf, known.hash, content, signature);
  if (!valid)
    throw new ProtocolError(Alert.decryptError, "the server's CertificateVerify signature does not verify with its certificate's key");
}
