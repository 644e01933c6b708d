// Certificate generation with @peculiar/x509, for the tests, the bench and the tools (`certs device`,
// `npm start`'s demo CA): issue() makes one certificate; createTestPki() the tests' set, a root CA, an
// intermediate, leaves for localhost, and an unrelated root with its own leaf. RSA-2048 and SHA-256
// throughout, which the SDK's TLS stack supports.
import "reflect-metadata";
import { createPrivateKey, sign, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY = 24 * 60 * 60 * 1000;

export interface Issued {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** PEM of the certificate. */
  pem: string;
  /** DER of the certificate. */
  der: Uint8Array;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
}

export interface IssueOptions {
  subject: string;
  issuer?: Issued;
  ca?: boolean;
  pathLength?: number;
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** The subject's key: RSA of `rsaBits` (default 2048), or ECDSA P-256. */
  key?: "rsa" | "ec";
  /** The curve of an "ec" key. Default P-256. */
  curve?: "P-256" | "P-384";
  rsaBits?: number;
  /** Hash of the issuer's signature. Default SHA-256. */
  hash?: "SHA-256" | "SHA-1";
  /** Sign with these keys instead of the issuer's, keeping the issuer's name and key id: a forgery. */
  forgeWith?: CryptoKeyPair;
  /** extendedKeyUsage OIDs. Default serverAuth + clientAuth for leaves, none for CAs. */
  extendedKeyUsage?: string[];
  /** keyUsage flags instead of the default (CA: keyCertSign + cRLSign; leaf: digitalSignature + keyEncipherment). */
  keyUsage?: number;
  /** The OID of an extra extension marked critical (an extension a verifier does not know). */
  criticalExtension?: string;
  /** The subject's key pair, instead of a new one. */
  keys?: CryptoKeyPair;
  /** Serial number, hex. Default: 01, 02, … in this process (a CA that outlives it needs its own: random). */
  serialNumber?: string;
  /** basicConstraints marked critical (default true; false as some old roots have it). */
  basicConstraintsCritical?: boolean;
  /** The subjectKeyIdentifier to write instead of the key's own (a look-alike of another CA). */
  subjectKeyId?: Uint8Array;
  /** A critical nameConstraints extension of dNSName subtrees. */
  nameConstraints?: { permitted?: string[]; excluded?: string[] };
}

/** DER of a tag, its length and its content. */
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const length = content.length < 0x80 ? [content.length] : content.length < 0x100 ? [0x81, content.length] : [0x82, content.length >> 8, content.length & 0xff];
  return Uint8Array.from([tag, ...length, ...content]);
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] } of dNSName GeneralSubtrees. */
function nameConstraintsValue(constraints: { permitted?: string[]; excluded?: string[] }): Uint8Array {
  const subtrees = (tag: number, names: string[]) => tlv(tag, Uint8Array.from(names.flatMap((name) => [...tlv(0x30, tlv(0x82, new TextEncoder().encode(name)))])));
  const parts = [
    ...(constraints.permitted?.length ? [subtrees(0xa0, constraints.permitted)] : []),
    ...(constraints.excluded?.length ? [subtrees(0xa1, constraints.excluded)] : []),
  ];
  return tlv(0x30, Uint8Array.from(parts.flatMap((part) => [...part])));
}

let serial = 1;

const ecdsa = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** The signing algorithm for a key pair (RSA or ECDSA) and hash. */
function signingAlgorithm(keys: CryptoKeyPair, hash: string): Algorithm {
  return keys.privateKey.algorithm.name === "ECDSA" ? { ...ecdsa, hash } as Algorithm : { ...rsa, hash } as Algorithm;
}

/** WebCrypto binds an RSA key to one hash: the same private key, imported again for `hash`. */
async function withHash(keys: CryptoKeyPair, hash: string): Promise<CryptoKeyPair> {
  const algorithm = keys.privateKey.algorithm as RsaHashedKeyAlgorithm;
  if (algorithm.name !== "RSASSA-PKCS1-v1_5" || algorithm.hash.name === hash)
    return keys;
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const privateKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, { name: algorithm.name, hash }, true, ["sign"]);
  return { privateKey, publicKey: keys.publicKey };
}

export async function issue(options: IssueOptions): Promise<Issued> {
  const algorithm = options.key === "ec" ? { ...ecdsa, namedCurve: options.curve ?? "P-256" } : { ...rsa, modulusLength: options.rsaBits ?? 2048 };
  const keys = options.keys ?? await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!options.ca, options.pathLength, options.basicConstraintsCritical ?? true),
    new x509.KeyUsagesExtension(options.keyUsage ?? (options.ca
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment), true),
    options.subjectKeyId ? new x509.SubjectKeyIdentifierExtension(Buffer.from(options.subjectKeyId).toString("hex")) : await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.issuer)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey));
  if (options.nameConstraints)
    extensions.push(new x509.Extension("2.5.29.30", true, nameConstraintsValue(options.nameConstraints) as Uint8Array<ArrayBuffer>));
  if (options.criticalExtension)
    extensions.push(new x509.Extension(options.criticalExtension, true, new Uint8Array([0x05, 0x00])));
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length)
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const usages = options.extendedKeyUsage ?? (options.ca ? [] : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
  if (usages.length)
    extensions.push(new x509.ExtendedKeyUsageExtension(usages));
  const signer = await withHash(options.forgeWith ?? (options.issuer ?? { keys }).keys, options.hash ?? "SHA-256");
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? (serial++).toString(16).padStart(2, "0"),
    subject: options.subject,
    issuer: options.issuer ? options.issuer.certificate.subject : options.subject,
    notBefore: options.notBefore ?? new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY),
    signingAlgorithm: signingAlgorithm(signer, options.hash ?? "SHA-256"),
    publicKey: keys.publicKey,
    signingKey: signer.privateKey,
    extensions,
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certificate,
    keys,
    pem: certificate.toString("pem") + "\n",
    der: new Uint8Array(certificate.rawData),
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
  };
}

/**
 * The certificate re-signed by `issuer` with MD5 (WebCrypto has no MD5): the signature algorithm OID
 * sha256WithRSAEncryption (…1.1.11) becomes md5WithRSAEncryption (…1.1.4), same length, in the TBS and
 * outside it, and the TBS is signed again.
 */
export function resignWithMd5(issued: Issued, issuer: Issued): Issued {
  const der = Buffer.from(issued.der);
  const sha256Rsa = Buffer.from("06092a864886f70d01010b", "hex");
  const md5Rsa = Buffer.from("06092a864886f70d010104", "hex");
  for (let at = der.indexOf(sha256Rsa); at >= 0; at = der.indexOf(sha256Rsa, at + 1))
    md5Rsa.copy(der, at);
  // Certificate ::= SEQUENCE { tbs SEQUENCE, algorithm, BIT STRING signature }: the TBS follows a 4-byte header
  if (der[1] !== 0x82 || der[4] !== 0x30 || der[5] !== 0x82)
    throw new Error("resignWithMd5: expects an RSA certificate of 256 to 65535 bytes");
  const tbsLength = der.readUInt16BE(6);
  const tbs = der.subarray(4, 8 + tbsLength);
  const signature = sign("md5", tbs, createPrivateKey(issuer.keyPem));
  signature.copy(der, der.length - signature.length);
  const certificate = new x509.X509Certificate(der);
  return { ...issued, certificate, der: new Uint8Array(der), pem: certificate.toString("pem") + "\n" };
}

export interface TestPki {
  root: Issued;
  intermediate: Issued;
  /** localhost and 127.0.0.1, issued by the intermediate. */
  leaf: Issued;
  /** A root nobody trusts, and a localhost leaf it issued. */
  strangerRoot: Issued;
  strangerLeaf: Issued;
}

export async function createTestPki(): Promise<TestPki> {
  const root = await issue({ subject: "CN=netkit test root", ca: true });
  const intermediate = await issue({ subject: "CN=netkit test intermediate", ca: true, pathLength: 0, issuer: root });
  const leaf = await issue({ subject: "CN=localhost", issuer: intermediate, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  const strangerRoot = await issue({ subject: "CN=netkit stranger root", ca: true });
  const strangerLeaf = await issue({ subject: "CN=localhost", issuer: strangerRoot, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  return { root, intermediate, leaf, strangerRoot, strangerLeaf };
}

/** A CA kept in files (its certificate and PKCS#8 key, PEM; RSA, SHA-256), to issue with. */
export async function loadIssuer(certificatePem: string, keyPem: string): Promise<Issued> {
  const certificate = new x509.X509Certificate(certificatePem);
  const pkcs8 = x509.PemConverter.decodeFirst(keyPem);
  const privateKey = await webcrypto.subtle.importKey("pkcs8", pkcs8, rsa, true, ["sign"]);
  const publicKey = await certificate.publicKey.export(rsa, ["verify"], webcrypto as unknown as Crypto);
  return { certificate, keys: { privateKey, publicKey }, pem: certificate.toString("pem") + "\n", der: new Uint8Array(certificate.rawData), keyPem };
}
