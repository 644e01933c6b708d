// What a certificate must be to stand where it stands on a server's path: RFC 5280's profile and the CA/Browser
// Forum baseline as x509-limbo and webpki apply them (docs/security.md lists each rule and the suite's cases).
// Plain functions of one certificate and its role; the path search (tls/validate) decides when to call them.
import { commonNames, describeName, sameBytes } from "tls/der";
import type { Certificate, CertificateNames } from "tls/der";
import { TlsError } from "tls/error";
import { cnKind, formatIp } from "tls/names";

export type Role = "the server's certificate" | "intermediate" | "trust anchor";

const MIN_RSA_BITS = 2048;
/** Above this a signature check costs the device too much to be spent on a candidate (docs/security.md: the bound). */
const MAX_RSA_BITS = 4096;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_PURPOSE = "2.5.29.37.0";
const KEY_CERT_SIGN = 1 << 5;
const BASIC_CONSTRAINTS = "2.5.29.19";
const SUBJECT_ALT_NAME = "2.5.29.17";
const EXTENDED_KEY_USAGE = "2.5.29.37";
const POLICY_CONSTRAINTS = "2.5.29.36";
const AUTHORITY_KEY_ID = "2.5.29.35";
/** Extensions RFC 5280 says conforming CAs MUST mark non-critical: AKI, SKI, authorityInfoAccess. */
const NEVER_CRITICAL: Record<string, string> = {
  "2.5.29.35": "authorityKeyIdentifier",
  "2.5.29.14": "subjectKeyIdentifier",
  "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
};

export function label(certificate: { subject: Uint8Array }): string {
  return `"${describeName(certificate.subject)}"`;
}

function untrusted(role: Role, certificate: Certificate, reason: string): never {
  throw new TlsError("ERR_TLS_UNTRUSTED", `${role} ${label(certificate)} ${reason}`);
}

/** Issuer and subject are the same name (RFC 5280 6.1: such a certificate does not count as a CA on the path). */
export function selfIssued(certificate: { issuer: Uint8Array; subject: Uint8Array }): boolean {
  return sameBytes(certificate.issuer, certificate.subject);
}

/** Validity at `now`, compared at the certificate's own granularity (whole seconds). */
export function checkDates(certificate: Certificate, now: number, role: Role): void {
  const second = now - (now % 1000);
  if (second < certificate.notBefore)
    throw new TlsError("ERR_TLS_NOT_YET_VALID", `${role} ${label(certificate)} is valid from ${new Date(certificate.notBefore).toISOString()}`);
  if (second > certificate.notAfter)
    throw new TlsError("ERR_TLS_EXPIRED", `${role} ${label(certificate)} expired ${new Date(certificate.notAfter).toISOString()}`);
}

/** Keys the device can verify with and the baseline allows: RSA of 2048 to 4096 bits in whole bytes with an exponent under 2^32, P-256, P-384. */
export function checkKey(certificate: CertificateNames, role: Role): void {
  const key = certificate.key;
  if (key.type === "rsa" && key.bits < MIN_RSA_BITS)
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a ${key.bits}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
  if (key.type === "rsa" && key.bits > MAX_RSA_BITS)
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a ${key.bits}-bit RSA key (at most ${MAX_RSA_BITS}: larger ones cost the device too much to verify)`);
  if (key.type === "rsa" && (key.exponentBits < 2 || key.exponentBits > 32))
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has an RSA public exponent of ${key.exponentBits} bits (2 to 32 accepted)`);
  if (key.type === "rsa" && key.bits % 8)
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a ${key.bits}-bit RSA key (not a whole number of bytes)`);
  if (key.type === "ec" && key.curve !== "P-256" && key.curve !== "P-384")
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} uses curve ${key.curve} (P-256 and P-384 are supported)`);
  if (key.type === "other")
    throw new TlsError("ERR_TLS_WEAK", `${role} ${label(certificate)} has a key of type ${key.algorithm}, which is not supported`);
}

function checkSerial(certificate: Certificate, role: Role): void {
  const serial = certificate.serial;
  if (!serial.length || serial[0] & 0x80)
    untrusted(role, certificate, "has a negative serial number");
  const significant = serial[0] === 0 ? serial.subarray(1) : serial;
  if (significant.length > 20)
    untrusted(role, certificate, `has a serial number of ${significant.length} octets (at most 20)`);
  if (significant.every((octet) => octet === 0))
    untrusted(role, certificate, "has serial number 0");
}

/**
 * The profile every certificate on a path must follow, whatever it proves: version, serial number, names,
 * which extensions must (not) be critical, key identifiers. A v1 trust anchor (no extensions at all) is
 * accepted as configured.
 */
export function checkProfile(certificate: Certificate, role: Role): void {
  const ca = role !== "the server's certificate";
  const v1Anchor = role === "trust anchor" && certificate.version === 0 && !certificate.extensions.length;
  if (certificate.version !== 2 && !v1Anchor)
    untrusted(role, certificate, `is an X.509 v${certificate.version + 1} certificate (v3 required)`);
  if (role !== "trust anchor")
    checkSerial(certificate, role);
  if (!certificate.algorithmsAgree)
    untrusted(role, certificate, "names two different signature algorithms (RFC 5280 4.1.1.2)");
  if (!certificate.issuer.length)
    untrusted(role, certificate, "has an empty issuer name");
  if (certificate.unknownCritical.length)
    untrusted(role, certificate, `has a critical extension this device does not process (${certificate.unknownCritical.join(", ")})`);
  for (const oid of certificate.critical) {
    if (NEVER_CRITICAL[oid])
      untrusted(role, certificate, `marks ${NEVER_CRITICAL[oid]} critical, which RFC 5280 forbids`);
  }
  if (certificate.extensions.includes(POLICY_CONSTRAINTS))
    untrusted(role, certificate, "carries policyConstraints, and this device does not process certificate policies");
  if (certificate.nameConstraints && !ca)
    untrusted(role, certificate, "carries nameConstraints, which only a CA may");
  const san = certificate.subjectAltName;
  const sanCritical = certificate.critical.includes(SUBJECT_ALT_NAME);
  if (!certificate.subject.length && !(san && sanCritical))
    untrusted(role, certificate, "has an empty subject and no critical subjectAltName");
  if (certificate.subject.length && san && sanCritical)
    untrusted(role, certificate, "marks its subjectAltName critical although its subject is not empty");
  if (!selfIssued(certificate) && !certificate.authorityKeyId && role !== "trust anchor")
    untrusted(role, certificate, "has no authorityKeyIdentifier (RFC 5280 4.2.1.1)");
  if (!ca || v1Anchor)
    return;
  if (!certificate.subject.length)
    untrusted(role, certificate, "is a CA with an empty subject");
  if (certificate.ca !== true)
    untrusted(role, certificate, certificate.ca === false ? "is not a CA (basicConstraints cA is FALSE)" : "has no basicConstraints, so it is not a CA");
  if (!certificate.critical.includes(BASIC_CONSTRAINTS))
    untrusted(role, certificate, "does not mark basicConstraints critical (RFC 5280 4.2.1.9)");
  if (!certificate.subjectKeyId)
    untrusted(role, certificate, "is a CA without a subjectKeyIdentifier (RFC 5280 4.2.1.2)");
  if (certificate.keyUsage !== undefined && !(certificate.keyUsage & KEY_CERT_SIGN))
    untrusted(role, certificate, "may not sign certificates (keyUsage lacks keyCertSign)");
  if (role === "intermediate") {
    const purposes = certificate.extendedKeyUsage;
    if (purposes && !purposes.includes(SERVER_AUTH) && !purposes.includes(ANY_PURPOSE))
      untrusted(role, certificate, "may not issue for server authentication (its extendedKeyUsage lacks serverAuth)");
    return;
  }
  // trust anchor, as the CA/Browser Forum's root profile (7.1.2.1)
  if (certificate.extendedKeyUsage)
    untrusted(role, certificate, "carries extendedKeyUsage, which a root must not");
  if (certificate.extensions.includes(AUTHORITY_KEY_ID)) {
    if (!certificate.authorityKeyId)
      untrusted(role, certificate, "has an authorityKeyIdentifier without a keyIdentifier");
    if (certificate.authorityKeyIdNamesIssuer)
      untrusted(role, certificate, "has an authorityKeyIdentifier naming an issuer or serial number, which a root must not");
    if (selfIssued(certificate) && !sameBytes(certificate.authorityKeyId, certificate.subjectKeyId))
      untrusted(role, certificate, "is self-signed, yet its authorityKeyIdentifier differs from its subjectKeyIdentifier");
  }
}

/**
 * A root of the SDK's built-in CA store (modules/crypt/data, a snapshot of browsers' roots): many were encoded
 * before today's profile (basicConstraints not critical, no subjectKeyIdentifier, an authorityKeyIdentifier
 * naming an issuer), and a root is trusted for its name and key (RFC 5280 6.1.1 (d)). So such a root is held
 * to what it proves: it is a CA that may sign certificates, for server authentication, with nothing critical
 * we do not process. Roots the application configures meet the whole profile (checkProfile).
 */
export function checkStoreRoot(certificate: Certificate): void {
  const role = "trust anchor";
  if (certificate.unknownCritical.length)
    untrusted(role, certificate, `has a critical extension this device does not process (${certificate.unknownCritical.join(", ")})`);
  if (certificate.ca === false)
    untrusted(role, certificate, "is not a CA (basicConstraints cA is FALSE)");
  if (certificate.keyUsage !== undefined && !(certificate.keyUsage & KEY_CERT_SIGN))
    untrusted(role, certificate, "may not sign certificates (keyUsage lacks keyCertSign)");
  const purposes = certificate.extendedKeyUsage;
  if (purposes && !purposes.includes(SERVER_AUTH) && !purposes.includes(ANY_PURPOSE))
    untrusted(role, certificate, "is not for server authentication (its extendedKeyUsage lacks serverAuth)");
}

/**
 * The server's certificate: not a CA, not for signing certificates, for server authentication. `trusted`: the
 * certificate is itself a configured anchor (a self-signed device certificate), whose CA bits are the
 * configuration's business.
 */
export function checkLeaf(leaf: Certificate, trusted: boolean): void {
  const role = "the server's certificate";
  if (!trusted && leaf.ca === true)
    untrusted(role, leaf, "is a CA certificate (basicConstraints cA is TRUE), not a server's");
  if (!trusted && leaf.keyUsage !== undefined && leaf.keyUsage & KEY_CERT_SIGN)
    untrusted(role, leaf, "may sign certificates (keyUsage keyCertSign), which a server's certificate must not");
  const purposes = leaf.extendedKeyUsage;
  if (purposes) {
    if (leaf.critical.includes(EXTENDED_KEY_USAGE))
      untrusted(role, leaf, "marks extendedKeyUsage critical");
    if (purposes.includes(ANY_PURPOSE))
      untrusted(role, leaf, "allows any extended key usage (anyExtendedKeyUsage)");
    if (!purposes.includes(SERVER_AUTH))
      untrusted(role, leaf, "is not for server authentication (extendedKeyUsage)");
  }
}

/**
 * A CN that reads as a host name repeats a subjectAltName entry exactly (CA/B BR 7.1.4.3) or names the domain
 * they lie in; one that reads as an address is an IP entry in canonical form. The CN is never matched against
 * the server name: this refuses a certificate that would tell another client something else.
 */
export function checkCommonNames(leaf: Certificate): void {
  const role = "the server's certificate";
  const san = leaf.subjectAltName;
  if (!san)
    return;
  for (const cn of commonNames(leaf.subject)) {
    const kind = cnKind(cn);
    if (kind === "ip" && !san.ipAddresses.some((address) => formatIp(address) === cn))
      untrusted(role, leaf, `has the CN "${cn}", which reads as an address its subjectAltName does not carry in that form`);
    // a host-name CN repeats a dNSName exactly, or names the domain they lie in
    if (kind === "host" && san.dnsNames.length && !san.dnsNames.some((name) => name === cn || name.endsWith("." + cn)))
      untrusted(role, leaf, `has the CN "${cn}", which is not one of its subjectAltName entries`);
  }
}
