// Certificate path validation for TLS servers, in place of the SDK's (docs/security.md says what the SDK's let
// through). The path is found by a search with backtracking, in the manner of Go's buildChains and webpki's
// build_chain, in three small steps:
//   issuersOf      the candidates for a certificate's issuer: trust anchors first, then what the server sent,
//                  those whose key identifier matches before the others
//   consider       one candidate: its key, the signature it must have made, then its profile, constraints and
//                  dates (tls/policy, tls/name-constraints)
//   extend         take a candidate that holds and go on from it; revisit the choice when its branch fails
// The whole search spends from one budget of signature checks and candidates, so a hostile chain fails in
// bounded time (docs/security.md: the figures and how they were chosen). When every branch fails, the reason
// is that of the deepest branch. Every refusal is a TlsError whose code says why and whose message names the
// certificate.
import { describeName, DerError, parseCertificate, peekCertificate, sameBytes } from "tls/der";
import type { Certificate, CertificateNames, PublicKey } from "tls/der";
import { sha256, verifySignature } from "tls/signature";
import type { Hash } from "tls/signature";
import { TlsError } from "tls/error";
import { checkServerName } from "tls/names";
import { checkNameConstraints } from "tls/name-constraints";
import type { NameBudget } from "tls/name-constraints";
import { checkCommonNames, checkDates, checkKey, checkLeaf, checkProfile, checkStoreRoot, label, selfIssued } from "tls/policy";
import type { Role } from "tls/policy";

export { TlsError } from "tls/error";
export type { TlsErrorCode } from "tls/error";
export { checkServerName, ipBytes, matchesDnsName } from "tls/names";

export interface ValidationOptions {
  /** Trust anchors, DER. */
  anchors: readonly (ArrayBuffer | Uint8Array)[];
  /** Trust anchors from the SDK's built-in CA store, held to what a root proves only (tls/policy checkStoreRoot). */
  storeAnchors?: readonly (ArrayBuffer | Uint8Array)[];
  /** The name the server must carry: a DNS name or an IPv4/IPv6 literal; null checks no name (not for TLS). */
  serverName?: string | null;
  /** The time to check validity at (ms since 1970). */
  now: number;
  /** The earliest time the device clock can be right: the firmware's build time. */
  notBefore: number;
  /** Base64 SHA-256 of a SubjectPublicKeyInfo: one must match a key on the validated path. */
  pins?: readonly string[];
  /** False: check pins only (encrypt-only). */
  verify?: boolean;
  /** The most intermediates a path may have, self-issued ones not counted. Default MAX_INTERMEDIATES. */
  maxDepth?: number;
  /** Receives what the search spent (signature checks, candidates considered). */
  spent?: { signatures: number; candidates: number };
}

/** The most intermediates on a path, self-issued ones not counted (webpki's figure). */
export const MAX_INTERMEDIATES = 6;
/** The most certificates below the trust anchor, self-issued ones included. */
export const MAX_PATH = 10;
/** Signature checks one validation may spend: see docs/security.md for the measurement behind it. */
export const MAX_SIGNATURES = 6;
/** Issuer candidates one validation may consider. */
export const MAX_CANDIDATES = 64;
/** Name-constraint comparisons one validation may spend. */
export const MAX_NAME_COMPARISONS = 1024;

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

/** Octets of a DER INTEGER's magnitude at `at` (tag 0x02), or -1 when there is none. */
function integerSize(signature: Uint8Array, at: number): [number, number] {
  if (signature[at] !== 0x02 || signature[at + 1] & 0x80)
    return [-1, at];
  const end = at + 2 + signature[at + 1];
  let start = at + 2;
  while (start < end && signature[start] === 0)
    start++;
  return [end - start, end];
}

/**
 * Whether a signature of this size can have been made with `key`: an RSA signature is as long as the modulus; an
 * ECDSA signature's r and s are below the curve's order, and a P-384 one has one of them longer than 32 octets
 * (both shorter has a chance of 2^-256: that signature was made on P-256). A mismatch costs no signature check, so
 * a hostile chain's look-alikes must carry keys like the real issuer's, whose check the handshake pays anyway.
 */
function keyFitsSignature(key: PublicKey, kind: "rsa" | "ecdsa", signature: Uint8Array): boolean {
  if (kind === "rsa")
    return key.type === "rsa" && signature.length === (key.bits + 7) >> 3;
  if (key.type !== "ec" || signature[0] !== 0x30 || signature[1] & 0x80)
    return false;
  const [r, next] = integerSize(signature, 2);
  const [s] = integerSize(signature, next);
  const size = key.curve === "P-384" ? 48 : 32;
  return r > 0 && s > 0 && r <= size && s <= size && (size === 32 || Math.max(r, s) > 32);
}

/** The search ran out of budget: ends the whole validation. */
class BudgetSpent extends TlsError {}
/** A candidate's key did not make the signature: the least telling failure of a branch. */
class NotTheSigner extends TlsError {}

/**
 * A certificate that may stand on the path: what the server sent, or a trust anchor. Only its names are read
 * at first; the whole certificate when it is considered (a hostile chain's look-alikes cost little unread).
 */
interface Node {
  der: Uint8Array;
  names: CertificateNames;
  anchor: boolean;
  /** A root of the SDK's CA store (see storeAnchors). */
  store?: boolean;
  id: number;
  /** Read on first use; undefined until then. */
  parsed?: Certificate;
  /** It could not be read: never a candidate again. */
  broken?: boolean;
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

/** One validation's search: its pool of certificates, its budget, and the most telling failure so far. */
class PathSearch {
  signatures = 0;
  candidates = 0;
  names: NameBudget = { comparisons: MAX_NAME_COMPARISONS };
  #verified = new Map<number, boolean>();
  #profiles = new Map<number, TlsError | undefined>();
  #failure?: { depth: number; rank: number; error: TlsError };

  constructor(readonly pool: readonly Node[], readonly now: number, readonly maxDepth: number) {}

  /** The node's certificate, read on first use (a DerError propagates: the caller passes the node over). */
  certificate(node: Node): Certificate {
    return node.parsed ??= parseCertificate(node.der);
  }

  /** Keeps the failure of the deepest branch; at equal depth, one past the signature check (rank 2) over one before. */
  fail(depth: number, rank: number, error: TlsError): void {
    const best = this.#failure;
    if (!best || depth > best.depth || (depth === best.depth && rank > best.rank))
      this.#failure = { depth, rank, error };
  }

  get failure(): TlsError | undefined {
    return this.#failure?.error;
  }

  issuersOf(certificate: Certificate): Node[] {
    const wanted = certificate.authorityKeyId;
    const rank = (node: Node): number => !wanted || !node.names.subjectKeyId ? 1 : sameBytes(wanted, node.names.subjectKeyId) ? 0 : 2;
    const found = this.pool.filter((node) => !node.broken && node.parsed !== certificate && sameBytes(node.names.subject, certificate.issuer));
    // trust anchors first, then by key identifier: matching, absent, different; the server's order otherwise
    return found.sort((a, b) => (a.anchor === b.anchor ? 0 : a.anchor ? -1 : 1) || rank(a) - rank(b) || a.id - b.id);
  }

  /** Whether `issuer`'s key made the signature on `subject`: each pair checked once, from the budget. */
  signed(subject: Node, issuer: Node): boolean {
    const key = subject.id * 4096 + issuer.id;
    const known = this.#verified.get(key);
    if (known !== undefined)
      return known;
    const certificate = this.certificate(subject);
    const algorithm = SIGNATURES[certificate.signatureAlgorithm];
    if (!algorithm) {
      const weak = WEAK_SIGNATURES[certificate.signatureAlgorithm];
      throw new TlsError("ERR_TLS_WEAK", weak
        ? `${label(certificate)} is signed with ${weak}, which is refused`
        : `${label(certificate)} is signed with an unsupported algorithm (${certificate.signatureAlgorithm})`);
    }
    if (!keyFitsSignature(issuer.names.key, algorithm.kind, certificate.signature))
      return false; // that key cannot have made this signature: no check spent
    if (this.signatures >= MAX_SIGNATURES)
      throw new BudgetSpent("ERR_TLS_UNTRUSTED", `gave up after ${MAX_SIGNATURES} signature checks without finding a path to a trusted root: the server sent ${this.pool.filter((node) => !node.anchor).length} certificates`);
    this.signatures++;
    let verified = false;
    try {
      verified = verifySignature(issuer.der, algorithm.kind, algorithm.hash, certificate.tbs, certificate.signature);
    }
    catch (error) {
      throw new TlsError("ERR_TLS_WEAK", `the key of ${label(issuer.names)} cannot verify a signature on this device (${(error as Error).message})`);
    }
    this.#verified.set(key, verified);
    return verified;
  }

  /** The profile of a node in a role, checked once. */
  profile(node: Node, role: Role): void {
    const key = node.id * 2 + (role === "trust anchor" ? 1 : 0);
    if (!this.#profiles.has(key)) {
      try {
        if (node.store)
          checkStoreRoot(this.certificate(node));
        else
          checkProfile(this.certificate(node), role);
        this.#profiles.set(key, undefined);
      }
      catch (error) {
        if (!(error instanceof TlsError))
          throw error;
        this.#profiles.set(key, error);
      }
    }
    const error = this.#profiles.get(key);
    if (error)
      throw error;
  }

  /** Throws unless `candidate` may issue the last certificate of `path` and stand above the rest. */
  consider(path: readonly Node[], candidate: Node): void {
    const role: Role = candidate.anchor ? "trust anchor" : "intermediate";
    checkKey(candidate.names, role);
    if (!this.signed(path[path.length - 1], candidate))
      throw new NotTheSigner("ERR_TLS_UNTRUSTED", `the signature on ${label(this.certificate(path[path.length - 1]))} does not verify with the key of ${label(candidate.names)}: forged, corrupted, or another CA of that name`);
    // the candidate is the issuer: only now is it read whole
    let issuer: Certificate;
    try {
      issuer = this.certificate(candidate);
    }
    catch (error) {
      if (!(error instanceof DerError))
        throw error;
      candidate.broken = true;
      throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(candidate.names)}, the issuer of ${label(this.certificate(path[path.length - 1]))}, is not a valid certificate (${error.message})`);
    }
    this.profile(candidate, role);
    let below = 0; // CAs below the candidate, self-issued ones not counted (RFC 5280 6.1.4 (l))
    for (let i = 1; i < path.length; i++) {
      if (!selfIssued(this.certificate(path[i])))
        below++;
    }
    if (issuer.pathLength !== undefined && below > issuer.pathLength)
      throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(issuer)} allows ${issuer.pathLength} CA certificate(s) below it, the path has ${below}`);
    checkDates(issuer, this.now, role);
    for (let i = 0; i < path.length; i++) {
      // name constraints apply to every certificate below, except self-issued intermediates (RFC 5280 6.1.3 (b))
      if (i === 0 || !selfIssued(this.certificate(path[i])))
        checkNameConstraints(issuer, this.certificate(path[i]), i === 0, this.names);
    }
  }

  /** A path from `path` (leaf first) to a trust anchor, or undefined when every branch failed. */
  extend(path: Node[]): Node[] | undefined {
    const current = this.certificate(path[path.length - 1]);
    const depth = path.length;
    const candidates = this.issuersOf(current);
    if (!candidates.length) {
      this.fail(depth, 0, new TlsError("ERR_TLS_UNTRUSTED", depth === 1 && this.pool.every((node) => node.anchor || node.id === 0) && !selfIssued(current)
        ? `no trusted root: ${label(current)} was issued by "${describeName(current.issuer)}", which the server did not send and no configured root is`
        : `no trusted root: the chain ends at ${label(current)}, issued by "${describeName(current.issuer)}", which is not a configured root`));
      return undefined;
    }
    for (const candidate of candidates) {
      if (this.candidates >= MAX_CANDIDATES)
        throw new BudgetSpent("ERR_TLS_UNTRUSTED", `gave up after considering ${MAX_CANDIDATES} issuer candidates without finding a path to a trusted root`);
      this.candidates++;
      const issuer = candidate.names;
      if (path.some((node) => node === candidate || (sameBytes(node.names.subject, issuer.subject) && sameBytes(node.names.spki, issuer.spki)))) {
        this.fail(depth, 0, new TlsError("ERR_TLS_UNTRUSTED", `the chain loops back to ${label(issuer)} without reaching a trusted root`));
        continue;
      }
      if (!candidate.anchor) {
        const intermediates = path.slice(1).filter((node) => !selfIssued(this.certificate(node))).length + (selfIssued(issuer) ? 0 : 1);
        if (intermediates > this.maxDepth || path.length > MAX_PATH) {
          this.fail(depth, 0, new TlsError("ERR_TLS_UNTRUSTED", `the chain is longer than ${this.maxDepth} intermediates (${MAX_PATH} certificates) without reaching a trusted root`));
          continue;
        }
      }
      try {
        this.consider(path, candidate);
      }
      catch (error) {
        if (!(error instanceof TlsError) || error instanceof BudgetSpent)
          throw error;
        this.fail(depth, error instanceof NotTheSigner ? 1 : 2, error);
        continue;
      }
      const extended = [...path, candidate];
      if (candidate.anchor)
        return extended;
      const found = this.extend(extended);
      if (found)
        return found;
    }
    return undefined;
  }
}

/**
 * Validates the chain a server sent (leaf first, the rest in any order; duplicates, unrelated certificates and
 * certificates that cannot be read are passed over) against the trust anchors. Returns the validated path,
 * leaf first and trust anchor last.
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

  const pool: Node[] = [{ der: leaf.der, names: leaf, anchor: false, id: 0, parsed: leaf }];
  const unreadable: string[] = [];
  const add = (input: ArrayBuffer | Uint8Array, anchor: boolean, what: string, store = false): void => {
    const der = input instanceof Uint8Array ? input : new Uint8Array(input);
    try {
      if (!pool.some((node) => node.anchor === anchor && sameBytes(node.der, der)))
        pool.push({ der, names: peekCertificate(der), anchor, store, id: pool.length });
    }
    catch (error) {
      if (!(error instanceof DerError))
        throw error;
      unreadable.push(`${what}: ${error.message}`);
    }
  };
  options.anchors.forEach((der, i) => add(der, true, `trust anchor ${i + 1}`));
  options.storeAnchors?.forEach((der, i) => add(der, true, `root ${i + 1} of the SDK's CA store`, true));
  const trusted = pool.some((node) => node.anchor && sameBytes(node.der, leaf.der)); // a configured self-signed leaf
  checkProfile(leaf, "the server's certificate");
  checkLeaf(leaf, trusted);
  checkKey(leaf, "the server's certificate");

  let path = [leaf];
  if (!trusted) {
    chain.slice(1).forEach((der, i) => add(der, false, `certificate ${i + 2} of the chain`));
    const search = new PathSearch(pool, options.now, options.maxDepth ?? MAX_INTERMEDIATES);
    let found: Node[] | undefined;
    try {
      found = search.extend([pool[0]]);
    }
    finally {
      if (options.spent) {
        options.spent.signatures = search.signatures;
        options.spent.candidates = search.candidates;
      }
    }
    if (!found) {
      const failure = search.failure!;
      if (!unreadable.length)
        throw failure;
      throw new TlsError(failure.code, `${failure.reason} (and ${unreadable.length} certificate(s) could not be read: ${unreadable.join("; ")})`);
    }
    path = found.map((node) => search.certificate(node));
  }
  checkDates(leaf, options.now, "the server's certificate");
  checkServerName(leaf, options.serverName);
  checkCommonNames(leaf);
  if (options.pins?.length)
    checkPins(path, options.pins);
  return path;
}
