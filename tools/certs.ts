// `npm run certs -- <command>`: chooses the few root certificates the device needs (`add`), checks the
// ones in certs/ for expiry (`check`), prints SPKI pins (`pin`) and issues the device's own HTTPS server
// certificate from a small local CA (`device`). X.509 is read with Node's crypto.X509Certificate
// (OpenSSL) and issued with @peculiar/x509 (tools/pki.ts); the command line comes from node:util
// parseArgs. See docs/certs.md.
import tls from "node:tls";
import net from "node:net";
import { X509Certificate, createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { issue, loadIssuer, type Issued } from "./pki.js";
import { projectRoot } from "../host/paths.js";

const DAY = 24 * 60 * 60 * 1000;
const WARN_DAYS = 90;

const usage = `usage: certs <command> [options]

commands:
  add <host[:port]>…   connect with TLS, find the root that anchors the server's chain and write it
                       as PEM into the certs folder (unless an equal one is already there)
  check                for every PEM in the certs folder: subject, issuer, validity, days left and
                       SPKI SHA-256; warns under ${WARN_DAYS} days, fails when expired or malformed
  pin <host[:port]>    print the SPKI SHA-256 of each certificate the server presents, leaf first
  device <ip|name>…    issue the device's HTTPS server certificate (RSA, for these IP addresses and
                       host names) from a small local CA, made on first use: trust the CA once in your
                       browser or system, and every device certificate it issues is trusted

options:
  --dir <folder>       the certs folder (default: the project's certs/)
  --manifest <file>    add: the app manifest whose config.certs lists the folder's roots (default: the
                       project's manifest.json, when --dir is the project's certs/); without one, add
                       prints the line to put in your manifest
  --store <file.pem>   search only this trust store for roots (repeatable; default: Node's built-in
                       Mozilla root store, tls.rootCertificates)
  --timeout <ms>       connect + TLS handshake limit (default 10000)
  --out <folder>       device: where device.pem and device-key.pem go (default: the project's identity/)
  --ca-dir <folder>    device: the CA's folder, netkit-ca.pem and netkit-ca-key.pem (default: the
                       project's ca/); never put it in the firmware
  --json               one JSON document on stdout, for scripts
  -h, --help           this text

exit codes: 0 ok (warnings included), 1 failure, 2 usage error`;

class UsageError extends Error {}
/** A failure to report in one line (exit 1), without a stack. */
class Refusal extends Error {}

// ---------------------------------------------------------------------------------------------------
// Certificates

export interface CertInfo {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  daysLeft: number;
  selfSigned: boolean;
  ca: boolean;
  /** SHA-256 fingerprint of the DER certificate, colon-separated hex. */
  sha256: string;
  /** base64 SHA-256 of the DER SubjectPublicKeyInfo: the value a `pins` entry takes. */
  spkiSha256: string;
}

/** "CN=a\nO=b" (Node's form) → "CN=a, O=b". */
function oneLine(name: string): string {
  return name.split("\n").filter(Boolean).join(", ");
}

function attribute(name: string, key: string): string | undefined {
  for (const line of name.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0 && line.slice(0, at) === key)
      return line.slice(at + 1);
  }
  return undefined;
}

export function spkiSha256(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

function isSelfSigned(cert: X509Certificate): boolean {
  if (cert.subject !== cert.issuer)
    return false;
  try {
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** Whether `issuer` issued `cert`: names (and key identifiers) match and its key verifies the signature. */
function issued(issuer: X509Certificate, cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function certInfo(cert: X509Certificate, now = Date.now()): CertInfo {
  const notAfter = new Date(cert.validTo);
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now) / DAY),
    selfSigned: isSelfSigned(cert),
    ca: cert.ca,
    sha256: cert.fingerprint256,
    spkiSha256: spkiSha256(cert),
  };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

interface PemBlock { label: string; text: string }

function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], text: m[0] }));
}

/** Every certificate of a PEM file; throws with a readable reason when one does not parse. */
function readPemCertificates(file: string): X509Certificate[] {
  const text = readFileSync(file, "latin1");
  const blocks = pemBlocks(text);
  if (blocks.some((b) => b.label.includes("PRIVATE KEY")))
    throw new Error("holds a private key: only public certificates belong here");
  const certs = blocks.filter((b) => b.label === "CERTIFICATE");
  if (!certs.length)
    throw new Error(text.includes("-----BEGIN") ? "no complete CERTIFICATE block" : "not PEM (no -----BEGIN CERTIFICATE----- block)");
  return certs.map((b, i) => {
    try {
      return new X509Certificate(b.text);
    } catch (error) {
      throw new Error(`certificate ${i + 1} does not parse (${(error as Error).message})`);
    }
  });
}

function pemFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.toLowerCase().endsWith(".pem")).sort()
    .map((name) => path.join(dir, name)).filter((file) => statSync(file).isFile());
}

function fileNameFor(cert: X509Certificate): string {
  const name = attribute(cert.subject, "CN") ?? attribute(cert.subject, "OU") ?? attribute(cert.subject, "O") ?? cert.fingerprint256.slice(0, 11);
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "root";
}

// ---------------------------------------------------------------------------------------------------
// Network

interface Target { label: string; host: string; port: number }

function parseTarget(text: string): Target {
  let host: string, port = 443;
  if (text.includes("://")) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new UsageError(`not a host or URL: ${text}`);
    }
    host = url.hostname.replace(/^\[|\]$/g, "");
    if (url.port)
      port = Number(url.port);
  } else {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    const plain = /^([^:\s/]+)(?::(\d+))?$/.exec(text);
    const match = bracketed ?? plain;
    if (match) {
      host = match[1];
      if (match[2])
        port = Number(match[2]);
    } else if (net.isIPv6(text)) {
      host = text;
    } else {
      throw new UsageError(`not host[:port]: ${text}`);
    }
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`not host[:port]: ${text}`);
  return { label: `${net.isIPv6(host) ? `[${host}]` : host}:${port}`, host, port };
}

class Unreachable extends Error {
  constructor(message: string, readonly status: "unreachable" | "tls-error") { super(message); }
  /** What to tell the user: "unreachable: …" or "TLS failed: …". */
  get summary(): string {
    return `${this.status === "unreachable" ? "unreachable" : "TLS failed"}: ${this.message}`;
  }
}

/** The chain the server sent, leaf first, ordered by issuer (Node drops certificates off the chain). */
async function fetchChain(target: Target, timeout: number): Promise<X509Certificate[]> {
  const socket = tls.connect({
    host: target.host,
    port: target.port,
    servername: net.isIP(target.host) ? undefined : target.host,
    rejectUnauthorized: false,
    // An empty CA list: otherwise Node completes the chain from its own store and we could not tell
    // what the server sent from what it lacks.
    ca: [],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Unreachable(`no TLS handshake within ${timeout} ms`, "unreachable")), timeout);
      socket.once("secureConnect", () => { clearTimeout(timer); resolve(); });
      socket.once("error", (error: NodeJS.ErrnoException) => { clearTimeout(timer); reject(explain(error)); });
    });
    const chain: X509Certificate[] = [];
    const seen = new Set<string>();
    let peer: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
    while (peer && peer.raw && !seen.has(peer.fingerprint256)) {
      seen.add(peer.fingerprint256);
      chain.push(new X509Certificate(peer.raw));
      if (peer.issuerCertificate === peer)
        break;
      peer = peer.issuerCertificate;
    }
    if (!chain.length)
      throw new Unreachable("the server presented no certificate", "tls-error");
    return chain;
  } finally {
    socket.destroy();
  }
}

function explain(error: NodeJS.ErrnoException): Unreachable {
  switch (error.code) {
    case "ECONNREFUSED": return new Unreachable("connection refused (nothing listens there)", "unreachable");
    case "ENOTFOUND": case "EAI_AGAIN": return new Unreachable("the host name does not resolve", "unreachable");
    case "ETIMEDOUT": case "EHOSTUNREACH": case "ENETUNREACH": return new Unreachable(`no route or no answer (${error.code})`, "unreachable");
    case "ECONNRESET": return new Unreachable("the connection was reset during the TLS handshake", "tls-error");
    default: return new Unreachable(`TLS handshake failed: ${error.message}`, error.code?.startsWith("E") && !error.code.startsWith("ERR_") ? "unreachable" : "tls-error");
  }
}

// ---------------------------------------------------------------------------------------------------
// Output

interface Out {
  json: boolean;
  /** Progress and results for a terminal (silent with --json). */
  say(line?: string): void;
  progress(line: string): void;
}

function output(json: boolean): Out {
  return {
    json,
    say: (line = "") => { if (!json) process.stdout.write(line + "\n"); },
    progress: (line) => { if (!json) process.stderr.write(line + "\n"); },
  };
}

function expiry(info: CertInfo): string {
  const date = info.notAfter.slice(0, 10);
  return info.daysLeft < 0 ? `expired ${date} (${-info.daysLeft} days ago)` : `expires ${date} (${info.daysLeft} days left)`;
}

function printChain(out: Out, chain: CertInfo[]): void {
  chain.forEach((info, i) => {
    const role = i === 0 ? "leaf" : info.selfSigned ? "root" : "intermediate";
    out.say(`    ${i}. ${info.subject}  [${role}]`);
    out.say(`       issuer: ${info.issuer}`);
    out.say(`       ${expiry(info)}`);
  });
}

// ---------------------------------------------------------------------------------------------------
// Commands

interface Options { dir: string; store?: string[]; timeout: number; json: boolean; manifest?: string }

function loadStore(files: string[] | undefined): { name: string; certs: X509Certificate[] } {
  if (!files?.length)
    return { name: "Node's built-in Mozilla root store", certs: tls.rootCertificates.map((pem) => new X509Certificate(pem)) };
  const certs: X509Certificate[] = [];
  for (const file of files) {
    try {
      certs.push(...readPemCertificates(file));
    } catch (error) {
      throw new UsageError(`cannot read the store ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
    }
  }
  return { name: files.join(", "), certs };
}

type AddStatus = "added" | "present" | "incomplete" | "no-root" | "unreachable" | "tls-error";

interface AddResult {
  target: string;
  status: AddStatus;
  ok: boolean;
  message: string;
  chain: CertInfo[];
  root: CertInfo | null;
  file: string | null;
}

/** The store certificate that anchors the chain: from the top of the chain down, the first one sent
 *  that the store holds, or the store certificate that issued it (unexpired and latest-expiring first). */
function findRoot(chain: X509Certificate[], store: X509Certificate[]): X509Certificate | undefined {
  const now = Date.now();
  const rank = (c: X509Certificate) => (new Date(c.validTo).getTime() > now ? 1 : 0) * 1e15 + new Date(c.validTo).getTime();
  for (let i = chain.length - 1; i >= 0; i--) {
    const held = store.find((c) => c.fingerprint256 === chain[i].fingerprint256);
    if (held)
      return held;
    const issuers = store.filter((c) => issued(c, chain[i])).sort((a, b) => rank(b) - rank(a));
    if (issuers.length)
      return issuers[0];
  }
  return undefined;
}

async function add(hosts: string[], options: Options, out: Out): Promise<number> {
  if (!hosts.length)
    throw new UsageError("add needs at least one host[:port]");
  const targets = hosts.map(parseTarget);
  const store = loadStore(options.store);
  const dir = options.dir;
  out.progress(`trust store: ${store.name} (${store.certs.length} certificates)`);
  const results: AddResult[] = [];
  for (const target of targets) {
    out.progress(`${target.label}: connecting…`);
    const result: AddResult = { target: target.label, status: "added", ok: false, message: "", chain: [], root: null, file: null };
    results.push(result);
    let chain: X509Certificate[];
    try {
      chain = await fetchChain(target, options.timeout);
    } catch (error) {
      if (!(error instanceof Unreachable))
        throw error;
      result.status = error.status;
      result.message = error.summary;
      out.say(`✗ ${target.label}: ${result.message}`);
      continue;
    }
    result.chain = chain.map((c) => certInfo(c));
    out.say(`${target.label}: the server sent ${chain.length} certificate${chain.length === 1 ? "" : "s"}:`);
    printChain(out, result.chain);
    const root = findRoot(chain, store.certs);
    const last = chain[chain.length - 1];
    if (!root) {
      if (isSelfSigned(last)) {
        result.status = "no-root";
        result.message = `no root found: the chain ends in "${oneLine(last.subject)}", which is not in the trust store`;
      } else if (last.ca) {
        // The server sent its chain up to a CA: what is missing is the root above it.
        result.status = "no-root";
        result.message = `no root found: the chain ends in the CA "${oneLine(last.subject)}", issued by "${oneLine(last.issuer)}", which is not in the trust store`;
      } else {
        result.status = "incomplete";
        result.message = `chain incomplete: the server did not send the certificate of "${oneLine(last.issuer)}" `
          + `and the trust store has no root of that name and key (an intermediate is missing, or the root is not in the store)`;
      }
      out.say(`✗ ${target.label}: ${result.message}`);
      continue;
    }
    result.root = certInfo(root);
    out.say(`  root: ${result.root.subject} (${expiry(result.root)})`);
    out.say(`        SPKI SHA-256 ${result.root.spkiSha256}`);
    mkdirSync(dir, { recursive: true });
    const present = findInDir(dir, root);
    if (present) {
      result.status = "present";
      result.ok = true;
      result.file = present;
      result.message = `already present in ${present}`;
      out.say(`✓ ${target.label}: root ${result.message}`);
      continue;
    }
    const base = fileNameFor(root);
    let file = path.join(dir, `${base}.pem`);
    for (let n = 2; existsSync(file); n++)
      file = path.join(dir, `${base}-${n}.pem`);
    writeFileSync(file, root.toString().trim() + "\n");
    result.ok = true;
    result.file = file;
    result.message = `wrote ${file}`;
    out.say(`✓ ${target.label}: ${result.message}`);
  }
  const ok = results.every((r) => r.ok);
  const files = results.flatMap((r) => (r.file && path.dirname(r.file) === dir ? [path.basename(r.file)] : []));
  const listing = files.length ? listInManifest(files, options.manifest) : undefined;
  if (out.json)
    process.stdout.write(JSON.stringify({ command: "add", dir, store: store.name, ok, results, manifest: listing ?? null }, null, 2) + "\n");
  else if (listing) {
    if (listing.updated)
      out.say(`\nlisted ${listing.added.join(", ")} in config.certs of ${listing.file}.`);
    else if (listing.added.length)
      out.say(`\n${listing.reason}: list ${listing.added.length > 1 ? "them" : "it"} in your manifest's config yourself:\n  ${listing.line}`);
    if (results.some((r) => r.status === "added") || listing.added.length)
      out.say(`rebuild the firmware to include the new root${files.length > 1 ? "s" : ""}.`);
  }
  return ok ? 0 : 1;
}

interface Listing {
  /** The manifest, if one was given or found. */
  file: string | null;
  /** The files that were not yet in config.certs. */
  added: string[];
  /** Whether the manifest now lists them. */
  updated: boolean;
  /** The config.certs line with them, for a manifest the command did not write. */
  line: string;
  reason?: string;
}

/**
 * Lists `files` (names in the certs folder) in the manifest's config.certs, the trust anchors of every HTTPS
 * request. The manifest is rewritten only when it is exactly what JSON.stringify(…, null, 2) makes of it, so
 * no formatting or comment is lost; otherwise the line to add is printed.
 */
function listInManifest(files: string[], manifestFile: string | undefined): Listing {
  if (!manifestFile) {
    const line = `"certs": ${JSON.stringify(files)}`;
    return { file: null, added: files, updated: false, line, reason: "no manifest given (--manifest)" };
  }
  let text: string;
  let manifest: { config?: Record<string, unknown> };
  try {
    text = readFileSync(manifestFile, "utf8");
    manifest = JSON.parse(text) as typeof manifest;
  }
  catch (error) {
    const line = `"certs": ${JSON.stringify(files)}`;
    return { file: manifestFile, added: files, updated: false, line, reason: `cannot read ${manifestFile} (${(error as Error).message.split("\n")[0]})` };
  }
  const config = manifest.config ?? {};
  const listed = Array.isArray(config.certs) ? (config.certs as unknown[]).map(String) : typeof config.certs === "string" ? [config.certs] : [];
  const added = files.filter((file) => !listed.includes(file));
  const certs = [...listed, ...added];
  const line = `"certs": ${JSON.stringify(certs)}`;
  if (!added.length)
    return { file: manifestFile, added, updated: false, line };
  if (JSON.stringify(manifest, null, 2) + "\n" !== text)
    return { file: manifestFile, added, updated: false, line, reason: `${manifestFile} is formatted by hand` };
  manifest.config = { ...config, certs };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  return { file: manifestFile, added, updated: true, line };
}

function findInDir(dir: string, cert: X509Certificate): string | undefined {
  for (const file of pemFiles(dir)) {
    let certs: X509Certificate[];
    try {
      certs = readPemCertificates(file);
    } catch {
      continue;
    }
    if (certs.some((c) => c.fingerprint256 === cert.fingerprint256))
      return file;
  }
  return undefined;
}

type CheckStatus = "ok" | "warn" | "error";

async function check(options: Options, out: Out): Promise<number> {
  const dir = options.dir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const message = `no such folder: ${dir}`;
    if (out.json)
      process.stdout.write(JSON.stringify({ command: "check", dir, ok: false, error: message, files: [] }, null, 2) + "\n");
    else
      process.stderr.write(`certs: ${message}\n`);
    return 1;
  }
  const now = Date.now();
  const files = pemFiles(dir).map((file) => {
    const entry: { file: string; status: CheckStatus; error?: string; certificates: (CertInfo & { status: CheckStatus; problem?: string })[] } =
      { file, status: "ok", certificates: [] };
    try {
      entry.certificates = readPemCertificates(file).map((cert) => {
        const info = certInfo(cert, now);
        if (new Date(info.notAfter).getTime() < now)
          return { ...info, status: "error" as const, problem: "expired" };
        if (new Date(info.notBefore).getTime() > now)
          return { ...info, status: "warn" as const, problem: `not valid before ${info.notBefore.slice(0, 10)}` };
        if (info.daysLeft < WARN_DAYS)
          return { ...info, status: "warn" as const, problem: `expires in ${info.daysLeft} days (under ${WARN_DAYS})` };
        return { ...info, status: "ok" as const };
      });
      entry.status = entry.certificates.some((c) => c.status === "error") ? "error"
        : entry.certificates.some((c) => c.status === "warn") ? "warn" : "ok";
    } catch (error) {
      entry.status = "error";
      entry.error = `malformed: ${(error as Error).message}`;
    }
    return entry;
  });
  const certificates = files.flatMap((f) => f.certificates);
  const summary = {
    files: files.length,
    certificates: certificates.length,
    warnings: certificates.filter((c) => c.status === "warn").length,
    errors: certificates.filter((c) => c.status === "error").length + files.filter((f) => f.error).length,
  };
  const ok = summary.errors === 0;
  if (out.json) {
    process.stdout.write(JSON.stringify({ command: "check", dir, ok, summary, files }, null, 2) + "\n");
    return ok ? 0 : 1;
  }
  if (!files.length) {
    out.say(`no PEM files in ${dir}: nothing to check (add roots with \`npm run certs -- add <host>\`)`);
    return 0;
  }
  const mark = { ok: "✓", warn: "!", error: "✗" };
  for (const entry of files) {
    const shown = path.relative(process.cwd(), entry.file);
    out.say(`${mark[entry.status]} ${shown.startsWith("..") || path.isAbsolute(shown) ? entry.file : shown}${entry.error ? `: ${entry.error}` : ""}`);
    for (const c of entry.certificates) {
      out.say(`    ${c.subject}${c.selfSigned ? "" : "  (not self-signed: not a root)"}`);
      out.say(`      issuer:       ${c.issuer}`);
      out.say(`      valid:        ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}, ${c.daysLeft < 0 ? `expired ${-c.daysLeft} days ago` : `${c.daysLeft} days left`}`);
      out.say(`      SPKI SHA-256: ${c.spkiSha256}`);
      if (c.problem)
        out.say(`      ${c.status === "error" ? "ERROR" : "WARNING"}: ${c.problem}`);
    }
  }
  out.say(`\n${summary.certificates} certificate${summary.certificates === 1 ? "" : "s"} in ${summary.files} file${summary.files === 1 ? "" : "s"}: `
    + `${summary.warnings} warning${summary.warnings === 1 ? "" : "s"}, ${summary.errors} error${summary.errors === 1 ? "" : "s"}`);
  return ok ? 0 : 1;
}

async function pin(hosts: string[], options: Options, out: Out): Promise<number> {
  if (hosts.length !== 1)
    throw new UsageError("pin takes exactly one host[:port]");
  const target = parseTarget(hosts[0]);
  out.progress(`${target.label}: connecting…`);
  let chain: X509Certificate[];
  try {
    chain = await fetchChain(target, options.timeout);
  } catch (error) {
    if (!(error instanceof Unreachable))
      throw error;
    const message = error.summary;
    if (out.json)
      process.stdout.write(JSON.stringify({ command: "pin", target: target.label, ok: false, status: error.status, message, chain: [], pins: [] }, null, 2) + "\n");
    else
      out.say(`✗ ${target.label}: ${message}`);
    return 1;
  }
  const infos = chain.map((c) => certInfo(c));
  const pins = infos.map((c) => c.spkiSha256);
  const suggested = pins.length > 1 ? [pins[0], pins[1]] : [pins[0]];
  if (out.json) {
    process.stdout.write(JSON.stringify({ command: "pin", target: target.label, ok: true, status: "ok", chain: infos, pins, suggested }, null, 2) + "\n");
    return 0;
  }
  out.say(`${target.label}: SPKI SHA-256 of each certificate presented, leaf first:`);
  infos.forEach((c, i) => {
    const role = i === 0 ? "leaf" : c.selfSigned ? "root" : "intermediate";
    out.say(`  ${i}. ${c.spkiSha256}  ${c.subject} [${role}], ${expiry(c)}`);
  });
  out.say("");
  if (pins.length > 1) {
    out.say(`suggested: pins: ["${pins[0]}", "${pins[1]}"]`);
    out.say(`  the leaf's key plus its issuer's as the backup: the leaf key changes when the server is re-keyed,`);
    out.say(`  the issuer's stays while the same CA renews the certificate.`);
  } else {
    out.say(`suggested: pins: ["${pins[0]}", "<backup>"]`);
    out.say(`  the server sent a single certificate, so the chain offers no backup: generate a spare key pair`);
    out.say(`  offline and pin its SPKI SHA-256 too, so the device survives a key change.`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// The device's own certificate

/** What the SDK's Linux socket takes in one write: the device sends its certificate in one TLS record (docs/server.md). */
const SIMULATOR_RECORD_LIMIT = 1000;
const CA_DAYS = 3650;
/** The longest validity Apple's platforms accept for a TLS server certificate (398 days). */
const DEVICE_DAYS = 397;

/** A positive serial number of 16 random bytes: certificates of one CA must never share one. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return bytes.toString("hex");
}

function isHostName(name: string): boolean {
  return name.length <= 253 && name.split(".").every((label) => label.length > 0 && label.length <= 63
    && /^[A-Za-z0-9-]+$/.test(label) && !label.startsWith("-") && !label.endsWith("-"));
}

interface DeviceOptions { out: string; caDir: string; json: boolean }

/** The CA of ca-dir, or a new one when the folder holds none. */
async function deviceCa(caDir: string, out: Out): Promise<{ ca: Issued; file: string; created: boolean }> {
  const file = path.join(caDir, "netkit-ca.pem");
  const keyFile = path.join(caDir, "netkit-ca-key.pem");
  if (existsSync(file) !== existsSync(keyFile))
    throw new Refusal(`${caDir} holds only one of netkit-ca.pem and netkit-ca-key.pem: restore the other, or remove both to make a new CA (devices issued by the old one then need new certificates)`);
  if (existsSync(file)) {
    const ca = await loadIssuer(readFileSync(file, "utf8"), readFileSync(keyFile, "utf8"));
    if (ca.certificate.notAfter.getTime() < Date.now())
      throw new Refusal(`the CA ${file} expired on ${ca.certificate.notAfter.toISOString().slice(0, 10)}: remove ${caDir} to make a new one`);
    return { ca, file, created: false };
  }
  out.progress(`making a CA in ${caDir} (its key stays on this computer)…`);
  const ca = await issue({ subject: "CN=netkit device CA", ca: true, pathLength: 0, serialNumber: randomSerial(), notAfter: new Date(Date.now() + CA_DAYS * DAY) });
  mkdirSync(caDir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(file, ca.pem);
  return { ca, file, created: true };
}

async function device(names: string[], options: DeviceOptions, out: Out): Promise<number> {
  if (!names.length)
    throw new UsageError("device needs the device's IP address or host name (one or more)");
  const ipAddresses: string[] = [];
  const dnsNames: string[] = [];
  for (const name of names) {
    if (net.isIP(name))
      ipAddresses.push(name);
    else if (isHostName(name))
      dnsNames.push(name.toLowerCase());
    else
      throw new UsageError(`not an IP address or host name: ${name}`);
  }
  const { ca, file: caFile, created } = await deviceCa(options.caDir, out);
  const leaf = await issue({
    subject: `CN=${dnsNames[0] ?? ipAddresses[0]}`, issuer: ca, dnsNames, ipAddresses,
    serialNumber: randomSerial(), notAfter: new Date(Date.now() + DEVICE_DAYS * DAY),
  });
  mkdirSync(options.out, { recursive: true });
  const certFile = path.join(options.out, "device.pem");
  const keyFile = path.join(options.out, "device-key.pem");
  writeFileSync(keyFile, leaf.keyPem, { mode: 0o600 });
  writeFileSync(certFile, leaf.pem);
  const caInfo = certInfo(new X509Certificate(ca.pem));
  const info = certInfo(new X509Certificate(leaf.pem));
  const bytes = leaf.der.length;
  const warning = bytes > SIMULATOR_RECORD_LIMIT
    ? `the certificate is ${bytes} bytes: over ${SIMULATOR_RECORD_LIMIT}, the simulator's socket cannot send it in one write (a board can)` : undefined;
  if (out.json) {
    process.stdout.write(JSON.stringify({
      command: "device", ok: true,
      ca: { file: caFile, created, ...caInfo },
      device: { file: certFile, keyFile, names: [...ipAddresses, ...dnsNames], bytes, ...info },
      warnings: warning ? [warning] : [],
    }, null, 2) + "\n");
    return 0;
  }
  out.say(`${created ? "made" : "used"} the CA ${caFile}: ${caInfo.subject}, ${expiry(caInfo)}`);
  out.say(`wrote ${certFile} (${bytes} bytes) and its key ${keyFile}`);
  out.say(`  for ${[...ipAddresses, ...dnsNames].join(", ")}; ${expiry(info)}; SPKI SHA-256 ${info.spkiSha256}`);
  if (warning)
    out.say(`! ${warning}`);
  out.say("");
  const folder = path.relative(projectRoot, options.out);
  const entry = folder.startsWith("..") || path.isAbsolute(folder) ? options.out : `./${folder}`;
  out.say(`next: list the folder in the app manifest's resources ("${entry}/*"), build with`);
  out.say(`secureServer=443, and trust ${caFile} once in your browser or system (docs/certs.md).`);
  out.say(`The device's key goes into its firmware; the CA's key never does.`);
  return 0;
}

// ---------------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        manifest: { type: "string" },
        store: { type: "string", multiple: true },
        timeout: { type: "string" },
        out: { type: "string" },
        "ca-dir": { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`certs: ${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage + "\n");
    return 0;
  }
  const [command, ...rest] = positionals;
  const out = output(values.json);
  try {
    const timeout = values.timeout === undefined ? 10000 : Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout <= 0)
      throw new UsageError(`--timeout takes a positive number of milliseconds, not ${values.timeout}`);
    const dir = path.resolve(values.dir ?? path.join(projectRoot, "certs"));
    const options: Options = {
      dir,
      store: values.store,
      timeout,
      json: values.json,
      // the project's manifest lists the project's certs/; another folder's manifest is the user's to name
      manifest: values.manifest !== undefined ? path.resolve(values.manifest)
        : dir === path.join(projectRoot, "certs") ? path.join(projectRoot, "manifest.json") : undefined,
    };
    switch (command) {
      case "add": return await add(rest, options, out);
      case "check":
        if (rest.length)
          throw new UsageError(`check takes no arguments (got ${rest.join(" ")})`);
        return await check(options, out);
      case "pin": return await pin(rest, options, out);
      case "device": return await device(rest, {
        out: path.resolve(values.out ?? path.join(projectRoot, "identity")),
        caDir: path.resolve(values["ca-dir"] ?? path.join(projectRoot, "ca")),
        json: values.json,
      }, out);
      case undefined: throw new UsageError("no command");
      default: throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`certs: ${error.message}\n\n${usage}\n`);
      return 2;
    }
    if (error instanceof Refusal) {
      process.stderr.write(`certs: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`certs: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}

// Run when started as `node build/node/tools/certs.js`; bin/certs.js imports main() and calls it itself.
function startedDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (startedDirectly())
  process.exitCode = await main(process.argv.slice(2));
