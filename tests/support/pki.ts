// Certificates the tests generate: a root CA, an intermediate, leaves for localhost, and an unrelated
// root with its own leaf. RSA-2048 and SHA-256 throughout, which the SDK's TLS stack supports.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
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
}

let serial = 1;

export async function issue(options: IssueOptions): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(rsa, true, ["sign", "verify"]) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!options.ca, options.pathLength, true),
    new x509.KeyUsagesExtension(options.ca
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (options.issuer)
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey));
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  if (names.length)
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  if (!options.ca)
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, "0"),
    subject: options.subject,
    issuer: options.issuer ? options.issuer.certificate.subject : options.subject,
    notBefore: options.notBefore ?? new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 365 * DAY),
    signingAlgorithm: rsa,
    publicKey: keys.publicKey,
    signingKey: (options.issuer ?? { keys }).keys.privateKey,
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
