// TLS servers on 127.0.0.1 that present every kind of chain a client must accept or refuse: forged,
// mis-issued, weak, expired, wrongly named, and valid ones; plus servers that break the handshake. Each
// answers any HTTPS request with "zoo <name>". The cases (tests/cases/tls-cases.ts) find a server by
// its config key `zoo_<name>` and trust anchors by resource name.
import net from "node:net";
import tls from "node:tls";
import https from "node:https";
import { createHash, generateKeyPairSync, getDiffieHellman, sign, webcrypto, X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";
import { issue, resignWithMd5, type Issued, type TestPki } from "./pki.js";
import { startRawTlsServer, type RawTlsServer, type SkeFault } from "./raw-tls.js";

const DAY = 24 * 60 * 60 * 1000;
const LOOPBACK = "127.0.0.1";

export interface Zoo {
  config: Record<string, string>;
  resources: Record<string, Uint8Array>;
  close(): Promise<void>;
}

interface ServerSpec {
  /** Certificates sent, in this order (leaf first). */
  chain: Issued[];
  /** Extra Node TLS server options. */
  options?: tls.TlsOptions;
}

/** PEM bundle of certificates, as a resource. */
function bundle(...certificates: Issued[]): Uint8Array {
  return Buffer.from(certificates.map((c) => c.pem).join(""));
}

/** A DER "DH PARAMETERS" PEM for prime p and generator 2. */
function dhParams(prime: Buffer): string {
  const integer = (bytes: Buffer) => {
    const value = bytes[0] & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
    return Buffer.concat([Buffer.of(0x02), derLength(value.length), value]);
  };
  const body = Buffer.concat([integer(prime), integer(Buffer.of(2))]);
  const der = Buffer.concat([Buffer.of(0x30), derLength(body.length), body]);
  return `-----BEGIN DH PARAMETERS-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END DH PARAMETERS-----\n`;
}
function derLength(n: number): Buffer {
  return n < 128 ? Buffer.of(n) : n < 256 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff);
}

/** The message the e=3 signature cases sign (tests/cases/validate-cases.ts knows it too). */
export const E3_MESSAGE = "netkit e=3 signature";

/** Integer cube root, rounded up. */
function cubeRootUp(value: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(value.toString(2).length / 3) + 1);
  for (;;) {
    const next = (2n * x + value / (x * x)) / 3n;
    if (next >= x)
      break;
    x = next;
  }
  while (x * x * x < value)
    x++;
  return x;
}

/**
 * A signature "by" an RSA e=3 key made without the key (Bleichenbacher 2006): a cube whose top bytes are
 * 00 01 00 DigestInfo(SHA-256(message)) and whose low bytes are garbage. A verifier that extracts the hash
 * without checking the padding length and what follows it accepts it.
 */
function forgeE3(message: string, modulusBytes: number): Buffer {
  const digestInfo = Buffer.concat([Buffer.from("3031300d060960864801650304020105000420", "hex"), createHash("sha256").update(message).digest()]);
  const prefix = Buffer.concat([Buffer.of(0x00, 0x01, 0x00), digestInfo]);
  const garbageBits = BigInt((modulusBytes - prefix.length) * 8);
  const root = cubeRootUp(BigInt("0x" + prefix.toString("hex")) << garbageBits);
  return Buffer.from(root.toString(16).padStart(modulusBytes * 2, "0"), "hex");
}

const OLD = "DEFAULT:@SECLEVEL=0"; // lets OpenSSL serve what it would refuse to (weak keys, MD5, TLS 1.0)

export async function startTlsZoo(pki: TestPki): Promise<Zoo> {
  const { root, intermediate, leaf, strangerRoot, strangerLeaf } = pki;
  const now = Date.now();
  const past = { notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 30 * DAY) };
  const future = { notBefore: new Date(now + 30 * DAY), notAfter: new Date(now + 400 * DAY) };
  const localhost = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
  const attacker = await webcrypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, true, ["sign", "verify"]) as CryptoKeyPair;

  const ecdsaLeaf = await issue({ subject: "CN=localhost (ECDSA)", issuer: intermediate, key: "ec", ...localhost });
  const forgedUnderIntermediate = await issue({ subject: "CN=localhost", issuer: intermediate, forgeWith: attacker, ...localhost });
  const forgedUnderRoot = await issue({ subject: "CN=localhost", issuer: root, forgeWith: attacker, ...localhost });
  const leafIssuedByLeaf = await issue({ subject: "CN=localhost (issued by a leaf)", issuer: leaf, ...localhost });
  const secondIntermediate = await issue({ subject: "CN=netkit test intermediate 2", ca: true, issuer: intermediate });
  const pathTooLong = await issue({ subject: "CN=localhost (path too long)", issuer: secondIntermediate, ...localhost });
  const md5Leaf = resignWithMd5(await issue({ subject: "CN=localhost (MD5)", issuer: intermediate, ...localhost }), intermediate);
  const sha1Intermediate = await issue({ subject: "CN=netkit SHA-1 intermediate", ca: true, issuer: root, hash: "SHA-1" });
  const underSha1 = await issue({ subject: "CN=localhost (under SHA-1)", issuer: sha1Intermediate, ...localhost });
  const rsa512Leaf = await issue({ subject: "CN=localhost (RSA-512)", issuer: intermediate, rsaBits: 512, ...localhost });
  const expiredLeaf = await issue({ subject: "CN=localhost (expired)", issuer: intermediate, ...localhost, ...past });
  const futureLeaf = await issue({ subject: "CN=localhost (not yet valid)", issuer: intermediate, ...localhost, ...future });
  const expiredIntermediate = await issue({ subject: "CN=netkit expired intermediate", ca: true, issuer: root, ...past });
  const underExpired = await issue({ subject: "CN=localhost (under expired)", issuer: expiredIntermediate, ...localhost });
  const futureIntermediate = await issue({ subject: "CN=netkit future intermediate", ca: true, issuer: root, ...future });
  const underFuture = await issue({ subject: "CN=localhost (under future)", issuer: futureIntermediate, ...localhost });
  const expiredRoot = await issue({ subject: "CN=netkit expired root", ca: true, ...past });
  const underExpiredRootCa = await issue({ subject: "CN=netkit intermediate under expired root", ca: true, issuer: expiredRoot });
  const underExpiredRoot = await issue({ subject: "CN=localhost (under expired root)", issuer: underExpiredRootCa, ...localhost });
  const futureRoot = await issue({ subject: "CN=netkit future root", ca: true, ...future });
  const underFutureRootCa = await issue({ subject: "CN=netkit intermediate under future root", ca: true, issuer: futureRoot });
  const underFutureRoot = await issue({ subject: "CN=localhost (under future root)", issuer: underFutureRootCa, ...localhost });
  const wildcard = await issue({ subject: "CN=wildcard", issuer: intermediate, dnsNames: ["*.example.test", "f*.partial.test"] });
  const cnOnly = await issue({ subject: "CN=127.0.0.1", issuer: intermediate, dnsNames: ["other.test"] });
  const ipv6 = await issue({ subject: "CN=ipv6", issuer: intermediate, ipAddresses: ["::1"] });
  const chainA = await issue({ subject: "CN=netkit chain A", ca: true, issuer: root });
  const chainB = await issue({ subject: "CN=netkit chain B", ca: true, issuer: chainA });
  const underB = await issue({ subject: "CN=localhost (long chain)", issuer: chainB, ...localhost });
  const selfSigned = await issue({ subject: "CN=localhost (self-signed)", ...localhost });
  const clientOnly = await issue({ subject: "CN=localhost (client EKU)", issuer: intermediate, extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"], ...localhost });
  const device = await issue({ subject: "CN=netkit device", issuer: intermediate, extendedKeyUsage: ["1.3.6.1.5.5.7.3.2"] });
  // the intermediate's key, cross-signed by a root nobody trusts: a first candidate that leads nowhere
  const intermediateByStranger = await issue({ subject: "CN=netkit test intermediate", ca: true, pathLength: 0, issuer: strangerRoot, keys: intermediate.keys });
  const constrained = await issue({ subject: "CN=netkit constrained intermediate", ca: true, issuer: root, nameConstraints: { permitted: ["localhost"], excluded: ["bad.localhost"] } });
  const underConstrained = await issue({ subject: "CN=localhost (constrained)", issuer: constrained, dnsNames: ["localhost", "a.localhost"] });
  const excludedByConstraint = await issue({ subject: "CN=bad.localhost (excluded)", issuer: constrained, dnsNames: ["bad.localhost"] });
  // encoded as some roots of the SDK's CA store are: basicConstraints not critical
  const legacyRoot = await issue({ subject: "CN=netkit legacy root", ca: true, basicConstraintsCritical: false });
  const underLegacyRoot = await issue({ subject: "CN=localhost (legacy root)", issuer: legacyRoot, ...localhost });
  const caWithoutCertSign = await issue({ subject: "CN=netkit CA without keyCertSign", ca: true, issuer: root, keyUsage: 1 /* digitalSignature only */ });
  const underNoCertSign = await issue({ subject: "CN=localhost (under no keyCertSign)", issuer: caWithoutCertSign, ...localhost });
  const unknownCritical = await issue({ subject: "CN=localhost (unknown critical)", issuer: intermediate, criticalExtension: "1.3.6.1.4.1.55555.1", ...localhost });
  const e3 = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 });
  const rsaImport = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const e3Keys = {
    privateKey: await webcrypto.subtle.importKey("pkcs8", e3.privateKey.export({ type: "pkcs8", format: "der" }), rsaImport, true, ["sign"]),
    publicKey: await webcrypto.subtle.importKey("spki", e3.publicKey.export({ type: "spki", format: "der" }), rsaImport, true, ["verify"]),
  } as CryptoKeyPair;
  const e3Root = await issue({ subject: "CN=netkit e=3 root", ca: true, keys: e3Keys });
  const sha1Root = await issue({ subject: "CN=netkit SHA-1 root", ca: true, hash: "SHA-1" });
  const underSha1RootCa = await issue({ subject: "CN=netkit intermediate under SHA-1 root", ca: true, issuer: sha1Root });
  const underSha1Root = await issue({ subject: "CN=localhost (under SHA-1 root)", issuer: underSha1RootCa, ...localhost });

  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const raws: RawTlsServer[] = [];
  const config: Record<string, string> = {};
  const listen = async (name: string, server: net.Server) => {
    servers.push(server);
    server.on("connection", (socket: net.Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, LOOPBACK, resolve);
    });
    config[`zoo_${name}`] = String((server.address() as AddressInfo).port);
  };
  const serve = (name: string, spec: ServerSpec) => listen(name, https.createServer({
    key: spec.chain[0].keyPem,
    cert: spec.chain.map((c) => c.pem).join(""),
    maxVersion: "TLSv1.2",
    ...spec.options,
  }, (request, response) => {
    response.setHeader("content-type", "text/plain");
    response.end(`zoo ${name}`);
  }));

  await serve("ecdsa", { chain: [ecdsaLeaf, intermediate] });
  await serve("static_rsa", { chain: [leaf, intermediate], options: { ciphers: "AES128-GCM-SHA256:AES128-SHA256:AES128-SHA" } });
  await serve("forged_intermediate", { chain: [forgedUnderIntermediate, intermediate] });
  await serve("forged_root", { chain: [forgedUnderRoot, root] });
  await serve("non_ca_issuer", { chain: [leafIssuedByLeaf, leaf, intermediate] });
  await serve("path_length", { chain: [pathTooLong, secondIntermediate, intermediate] });
  await serve("md5_leaf", { chain: [md5Leaf, intermediate], options: { ciphers: OLD } });
  await serve("sha1_intermediate", { chain: [underSha1, sha1Intermediate], options: { ciphers: OLD } });
  await serve("rsa512_leaf", { chain: [rsa512Leaf, intermediate], options: { ciphers: OLD } });
  // A 1024-bit group on purpose (the client must refuse DHE): Node warns about it once per process
  // ("SecurityWarning: DH parameter is less than 2048 bits"), which would open every test run; only that
  // warning is held back, while this one server is made.
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("DH parameter is less than 2048 bits"))
      return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    await serve("dh1024", {
      chain: [leaf, intermediate],
      options: { ciphers: "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA256:@SECLEVEL=0", dhparam: dhParams(getDiffieHellman("modp2").getPrime()) },
    });
  }
  finally {
    process.emitWarning = emitWarning;
  }
  await serve("expired_leaf", { chain: [expiredLeaf, intermediate] });
  await serve("future_leaf", { chain: [futureLeaf, intermediate] });
  await serve("expired_intermediate", { chain: [underExpired, expiredIntermediate] });
  await serve("future_intermediate", { chain: [underFuture, futureIntermediate] });
  await serve("expired_root", { chain: [underExpiredRoot, underExpiredRootCa] });
  await serve("future_root", { chain: [underFutureRoot, underFutureRootCa] });
  await serve("wildcard", { chain: [wildcard, intermediate] });
  await serve("cn_only", { chain: [cnOnly, intermediate] });
  await serve("ipv6", { chain: [ipv6, intermediate] });
  await serve("out_of_order", { chain: [underB, chainA, chainB] });
  await serve("extras", { chain: [leaf, strangerRoot, intermediate, strangerLeaf] });
  await serve("leaf_only", { chain: [leaf] });
  await serve("self_signed", { chain: [selfSigned] });
  await serve("client_eku", { chain: [clientOnly, intermediate] });
  await serve("sha1_root", { chain: [underSha1Root, underSha1RootCa] });
  await serve("tls10", { chain: [leaf, intermediate], options: { minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: OLD } });
  await serve("client_auth", { chain: [leaf, intermediate], options: { requestCert: true, rejectUnauthorized: true, ca: root.pem + intermediate.pem } });

  // Handshakes that go wrong: a peer that reads the ClientHello and then hangs up, or answers with an alert.
  await listen("hangup", net.createServer((socket) => socket.once("data", () => socket.destroy())));
  await listen("alert", net.createServer((socket) => socket.once("data", () => socket.end(Buffer.from("15030300020228", "hex")))));

  for (const fault of ["none", "unsigned", "sigalg-zero", "hash-zero", "other-key"] as SkeFault[]) {
    const raw = await startRawTlsServer({ chain: [leaf.der, intermediate.der], leafKeyPem: leaf.keyPem, otherKeyPem: strangerLeaf.keyPem, fault });
    raws.push(raw);
    config[`zoo_ske_${fault.replace("-", "_")}`] = String(raw.port);
  }

  const pin = (issued: Issued) => createHash("sha256").update(new X509Certificate(issued.der).publicKey.export({ type: "spki", format: "der" })).digest("base64");
  config.zoo_pin_leaf = pin(leaf);
  config.zoo_pin_intermediate = pin(intermediate);
  config.zoo_pin_other = pin(strangerLeaf);

  const resources: Record<string, Uint8Array> = {
    "zoo-intermediate.pem": bundle(intermediate),
    "zoo-expired-root.pem": bundle(expiredRoot),
    "zoo-future-root.pem": bundle(futureRoot),
    "zoo-self-signed.pem": bundle(selfSigned),
    "zoo-sha1-root.pem": bundle(sha1Root),
    "zoo-device.pem": bundle(device), // alone: the simulator's Socket writes at most 1 KB at once (SDK notes)
    "zoo-device-key.pem": Buffer.from(device.keyPem),
    // chains for the validator's own cases, in the order a server might send them
    "zoo-chain-valid.pem": bundle(leaf, intermediate),
    "zoo-chain-shuffled.pem": bundle(underB, chainA, strangerRoot, chainB),
    "zoo-chain-reversed.pem": bundle(underB, root, chainA, chainB),
    "zoo-chain-wildcard.pem": bundle(wildcard, intermediate),
    "zoo-chain-ipv6.pem": bundle(ipv6, intermediate),
    "zoo-chain-no-certsign.pem": bundle(underNoCertSign, caWithoutCertSign),
    "zoo-chain-critical.pem": bundle(unknownCritical, intermediate),
    "zoo-legacy-root.pem": bundle(legacyRoot),
    "zoo-chain-legacy.pem": bundle(underLegacyRoot),
    "zoo-chain-backtrack.pem": bundle(leaf, intermediateByStranger, intermediate),
    "zoo-chain-constrained.pem": bundle(underConstrained, constrained),
    "zoo-chain-excluded.pem": bundle(excludedByConstraint, constrained),
    "zoo-e3.pem": bundle(e3Root),
    "zoo-e3-genuine.bin": sign("sha256", Buffer.from(E3_MESSAGE), e3.privateKey),
    "zoo-e3-forged.bin": forgeE3(E3_MESSAGE, 256),
  };
  return {
    config,
    resources,
    async close() {
      for (const socket of sockets)
        socket.destroy();
      await Promise.all(raws.map((raw) => raw.close()));
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
