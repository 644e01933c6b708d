// Certificate path validation for TLS servers, from RFC 5280 (section 6) and RFC 6125, in place of the SDK's
// (see docs/security.md for what the SDK's check let through). Every refusal is a TlsError whose code says
// why and whose message names the certificate.
import { describeName, DerError, parseCertificate, sameBytes } from "tls/der";
import type { Certificate } from "tls/der";
import { sha256, verifySignature } from "tls/signature";
import type { Hash } from "tls/signature";

export type TlsErrorCode =
  | "ERR_TLS_UNTRUSTED"
  | "ERR_TLS_HOSTNAME"
  | "ERR_TLS_EXPIRED"
  | "ERR_TLS_NOT_YET_VALID"
  | "ERR_CLOCK_NOT_SET"
  | "ERR_TLS_WEAK"
  | "ERR_TLS_PIN"
  | "ERR_TLS_HANDSHAKE";

export class TlsError extends Error {
  override name = "TlsError";
  readonly code: TlsErrorCode;
  constructor(code: TlsErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
  /** The message without its code. */
  get reason(): string {
    return this.message.slice(this.code.length + 2);
  }
}

export interface ValidationOptions {
  /** Trust anchors, DER. */
  anchors: readonly (ArrayBuffer | Uint8Array)[];
  /** The name the server must carry: a DNS name or an IPv4/IPv6 literal. */
  serverName?: string;
  /** The time to check validity at (ms since 1970). */
  now: number;
  /** The earliest time the device clock can be right: the firmware's build time. */
  notBefore: number;
  /** Base64 SHA-256 of a SubjectPublicKeyInfo: one must match a key on the validated path. */
  pins?: readonly string[];
  /** False: check pins only (encrypt-only). */
  verify?: boolean;
}

const MAX_PATH = 8;
const MIN_RSA_BITS = 2048;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_PURPOSE = "2.5.29.37.0";
const KEY_CERT_SIGN = 1 << 5;

interface SignatureAlgorithm {
  kind: "rsa" | "ecdsa";
  hash: Hash;
}
const SIGNATURES: Record<string, SignatureAlgorithm> = {
  "1.2.840.113549.1.1.11": { kind: "rsa", hash: "SHA256" },
  "1.2.840.113549.1.1.12": { kind: "rsa", hash: "SHA384" },
  "1.2.840.113549.1.1.13": { kind: "rsa", hash: "SHA512" },
  "1.2.840.10045.4.3.2": { kind: "ecdsa", hash: "SHA256" },
  "1.2.840.10045.4.3.3": { kind: "ecdsa", hash: "SHA384" },
  "1.2.840.10045.4.3.4": { kind: "ecdsa", hash: "SHA512" },
};
const WEAK_SIGNATURES: Record<string, string> = {
  "1.2.840.113549.1.1.4": "MD5 with RSA",
  "1.2.840.113549.1.1.5": "SHA-1 with RSA",
  "1.2.840.10045.4.1": "ECDSA with SHA-1",
  "1.2.840.10040.4.3": "DSA with SHA-1",
};

function label(certificate: Certificate): string {
  return `"${describeName(certificate.subject)}"`;
}

function parse(der: ArrayBuffer | Uint8Array, what: string): Certificate {
  try {
    return parseCertificate(der);
  }
  catch (error) {
    if (error instanceof DerError)
      throw new TlsError("ERR_TLS_HANDSHAKE", `${what} is not a valid certificate (${error.message})`);
    throw error;
  }
}

function checkDates(certificate: Certificate, now: number, role: string): void {
  if (now < certificate.notBefore)
    throw new TlsError("ERR_TLS_NOT_YET_VALID", `${role} ${label(certificate)} is valid from ${new Date(certificate.notBefore).toISOString()}`);
  if (now > certificate.notAfter)
    throw new TlsError("ERR_TLS_EXPIRED", `${role} ${label(certificate)} expired ${new Date(certificate.notAfter).toISOString()}`);
}

function checkKey(certificate: Certificate, role: string): void {
  const key = certificate.key;
  if (key.type === "rsa" && key.bits < MIN_RSA_BITS)
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a ${key.bits}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
  if (key.type === "ec" && key.curve !== "P-256" && key.curve !== "P-384")
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} uses curve ${key.curve} (P-256 and P-384 are supported)`);
  if (key.type === "other")
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a key of type ${key.algorithm}, which is not supported`);
  if (certificate.unknownCritical.length)
    throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(certificate)} has a critical extension this device does not process (${certificate.unknownCritical.join(", ")})`);
}

/** Checks the signature on `subject` with `issuer`'s key; throws ERR_TLS_WEAK for algorithms refused. */
function signedBy(subject: Certificate, issuer: Certificate): boolean {
  const algorithm = SIGNATURES[subject.signatureAlgorithm];
  if (!algorithm) {
    const weak = WEAK_SIGNATURES[subject.signatureAlgorithm];
    throw new TlsError("ERR_TLS_WEAK", weak
      ? `${label(subject)} is signed with ${weak}, which is refused`
      : `${label(subject)} is signed with an unsupported algorithm (${subject.signatureAlgorithm})`);
  }
  const keyKind = issuer.key.type === "ec" ? "ecdsa" : issuer.key.type;
  return keyKind === algorithm.kind && verifySignature(issuer.der, algorithm.kind, algorithm.hash, subject.tbs, subject.signature);
}

function checkIssuer(issuer: Certificate, below: number, role: string): void {
  // A v1 trust anchor carries no basicConstraints; trusting it was the configuration's decision.
  if (issuer.ca === false || (issuer.ca === undefined && role !== "trust anchor"))
    throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(issuer)} is not a CA (basicConstraints), yet it issued the certificate below it`);
  if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KEY_CERT_SIGN))
    throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(issuer)} may not sign certificates (keyUsage lacks keyCertSign)`);
  if (issuer.pathLength !== undefined && below > issuer.pathLength)
    throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(issuer)} allows ${issuer.pathLength} CA certificate(s) below it, the chain has ${below}`);
}

/** RFC 6125 6.4: exact match, or a wildcard as the whole left-most label over at least two labels. */
export function matchesDnsName(pattern: string, host: string): boolean {
  const name = pattern.toLowerCase().replace(/\.$/, "");
  const wanted = host.toLowerCase().replace(/\.$/, "");
  if (!name.includes("*"))
    return name === wanted;
  if (!name.startsWith("*.") || name.indexOf("*", 1) >= 0)
    return false; // partial-label wildcards ("f*.example.com") and wildcards elsewhere never match
  const suffix = name.slice(1);                     // ".example.com"
  if (suffix.split(".").length < 3)
    return false;                                    // "*.com" is too broad
  const dot = wanted.indexOf(".");
  return dot > 0 && wanted.slice(dot) === suffix;
}

/** An IPv4 or IPv6 literal as bytes, or undefined when `host` is a DNS name. */
export function ipBytes(host: string): Uint8Array | undefined {
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(literal);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    return parts.every((n) => n <= 255) ? Uint8Array.from(parts) : undefined;
  }
  if (!literal.includes(":") || !/^[0-9a-fA-F:.]+$/.test(literal))
    return undefined;
  const halves = literal.split("::");
  if (halves.length > 2)
    return undefined;
  const groups = (part: string): number[] | undefined => {
    if (!part)
      return [];
    const out: number[] = [];
    for (const piece of part.split(":")) {
      const tail = /^\d+\.\d+\.\d+\.\d+$/.test(piece) ? ipBytes(piece) : undefined;
      if (tail)
        out.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      else if (/^[0-9a-fA-F]{1,4}$/.test(piece))
        out.push(parseInt(piece, 16));
      else
        return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail)
    return undefined;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0))
    return undefined;
  const words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4)
    return Array.from(bytes).join(".");
  const words: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2)
    words.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes "::"
  let best = -1;
  let length = 1;
  for (let i = 0; i < words.length; i++) {
    let j = i;
    while (j < words.length && words[j] === "0")
      j++;
    if (j - i > length) {
      best = i;
      length = j - i;
    }
  }
  if (best < 0)
    return words.join(":");
  return `${words.slice(0, best).join(":")}::${words.slice(best + length).join(":")}`;
}

/** Checks the server name against the leaf's subjectAltName (never its CN). */
export function checkServerName(leaf: Certificate, serverName: string | undefined): void {
  if (!serverName)
    throw new TlsError("ERR_TLS_HOSTNAME", "no server name to check the certificate against");
  const ip = ipBytes(serverName);
  const matched = ip
    ? leaf.ipAddresses.some((address) => sameBytes(address, ip))
    : leaf.dnsNames.some((pattern) => matchesDnsName(pattern, serverName));
  if (matched)
    return;
  const names = [...leaf.dnsNames, ...leaf.ipAddresses.map(formatIp)];
  throw new TlsError("ERR_TLS_HOSTNAME", names.length
    ? `the certificate is for ${names.join(", ")}, not ${serverName}`
    : `the certificate carries no subjectAltName (its CN ${label(leaf)} is not used), so it cannot be for ${serverName}`);
}

function checkPins(path: readonly Certificate[], pins: readonly string[]): void {
  const seen: string[] = [];
  for (const certificate of path) {
    const pin = sha256(certificate.spki).toBase64();
    if (pins.includes(pin))
      return;
    seen.push(pin);
  }
  throw new TlsError("ERR_TLS_PIN", `no pinned key: the server's keys are ${seen.join(", ")}`);
}

/**
 * Validates the chain a server sent (leaf first, the rest in any order, extra certificates ignored)
 * against the trust anchors. Returns the validated path, leaf first and trust anchor last.
 */
export function validateServerChain(chain: readonly (ArrayBuffer | Uint8Array)[], options: ValidationOptions): Certificate[] {
  if (!chain.length)
    throw new TlsError("ERR_TLS_HANDSHAKE", "the server sent no certificate");
  const leaf = parse(chain[0], "the server's certificate");
  if (options.verify === false) {
    if (options.pins?.length)
      checkPins([leaf], options.pins); // the rest of an unverified chain proves nothing
    return [leaf];
  }
  if (options.now < options.notBefore)
    throw new TlsError("ERR_CLOCK_NOT_SET", `the device clock (${new Date(options.now).toISOString()}) is earlier than the firmware's build time: set the clock (SNTP) before verifying`);

  const anchors = options.anchors.map((der, i) => parse(der, `trust anchor ${i + 1}`));
  const path: Certificate[] = [leaf];
  let current = leaf;
  let anchored = anchors.some((anchor) => sameBytes(anchor.der, leaf.der)); // a configured self-signed leaf
  if (!anchored) {
    const others = chain.slice(1).map((der, i) => parse(der, `certificate ${i + 2} of the chain`));
    let caBelow = 0;
    while (!anchored) {
      if (path.length > MAX_PATH)
        throw new TlsError("ERR_TLS_UNTRUSTED", `the chain is longer than ${MAX_PATH} certificates`);
      const issuerName = current.issuer;
      const candidates = anchors.filter((anchor) => sameBytes(anchor.subject, issuerName));
      const fromAnchors = candidates.length;
      for (const other of others) {
        if (sameBytes(other.subject, issuerName) && !path.includes(other) && !anchors.some((anchor) => sameBytes(anchor.der, other.der)))
          candidates.push(other);
      }
      if (!candidates.length) {
        throw new TlsError("ERR_TLS_UNTRUSTED", path.length === 1 && others.length === 0 && !sameBytes(current.subject, current.issuer)
          ? `no trusted root: ${label(current)} was issued by "${describeName(issuerName)}", which the server did not send and no configured root is`
          : `no trusted root: the chain ends at ${label(current)}, issued by "${describeName(issuerName)}", which is not a configured root`);
      }
      const issuer = candidates.find((candidate) => signedBy(current, candidate));
      if (!issuer)
        throw new TlsError("ERR_TLS_UNTRUSTED", `the signature on ${label(current)} does not verify with the key of "${describeName(issuerName)}": forged or corrupted`);
      anchored = candidates.indexOf(issuer) < fromAnchors;
      const role = anchored ? "trust anchor" : "intermediate";
      checkIssuer(issuer, caBelow, role);
      if (!anchored)
        caBelow++;
      path.push(issuer);
      current = issuer;
    }
  }
  for (let i = 0; i < path.length; i++) {
    const role = i === 0 ? "the server's certificate" : i === path.length - 1 ? "trust anchor" : "intermediate";
    checkDates(path[i], options.now, role);
    checkKey(path[i], role);
  }
  if (leaf.extendedKeyUsage && !leaf.extendedKeyUsage.some((purpose) => purpose === SERVER_AUTH || purpose === ANY_PURPOSE))
    throw new TlsError("ERR_TLS_UNTRUSTED", `${label(leaf)} is not for server authentication (extendedKeyUsage)`);
  checkServerName(leaf, options.serverName);
  if (options.pins?.length)
    checkPins(path, options.pins);
  return path;
}
