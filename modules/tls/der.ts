// X.509 certificates (RFC 5280) read from DER: only the fields path validation needs, as views into the
// certificate's bytes (no copies). Pure: no I/O, no crypto. Written for XS's small stack: iterative, no
// recursion, and a malformed certificate fails with one DerError rather than a wrong answer. One piece
// (a little over 500 lines): the reader, its cursor and the extension decoders share one set of helpers.

export class DerError extends Error {
  override name = "DerError";
}

/** One TLV: tag, and where its value lies in `bytes`. */
interface Tlv {
  tag: number;
  /** Where the TLV itself begins (its tag). */
  head: number;
  start: number;
  end: number;
}

class Reader {
  constructor(readonly bytes: Uint8Array, public at = 0, readonly end = bytes.length) {}

  get more(): boolean {
    return this.at < this.end;
  }

  peek(): number {
    return this.at < this.end ? this.bytes[this.at] : -1;
  }

  next(expected?: number): Tlv {
    const bytes = this.bytes;
    if (this.at + 2 > this.end)
      throw new DerError("truncated");
    const head = this.at;
    const tag = bytes[this.at++];
    if (expected !== undefined && tag !== expected)
      throw new DerError(`tag 0x${tag.toString(16)} where 0x${expected.toString(16)} was expected`);
    let length = bytes[this.at++];
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count < 1 || count > 3)
        throw new DerError("bad length");
      length = 0;
      for (let i = 0; i < count; i++)
        length = (length << 8) | bytes[this.at++];
    }
    const start = this.at;
    const end = start + length;
    if (end > this.end)
      throw new DerError("length beyond its container");
    this.at = end;
    return { tag, head, start, end };
  }

  /** A reader over the value of the next TLV (which must carry `tag`). */
  enter(tag: number): Reader {
    const tlv = this.next(tag);
    return new Reader(this.bytes, tlv.start, tlv.end);
  }
}

export function oidToString(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  let value = 0;
  for (let i = start; i < end; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (bytes[i] & 0x80)
      continue;
    if (!text) {
      const first = value < 80 ? Math.floor(value / 40) : 2;
      text = `${first}.${value - first * 40}`;
    }
    else
      text += "." + value;
    value = 0;
  }
  return text;
}

function readOid(reader: Reader): string {
  const tlv = reader.next(0x06);
  return oidToString(reader.bytes, tlv.start, tlv.end);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length)
    return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i])
      return false;
  }
  return true;
}

/** bytes[start, end) as a string of Latin-1 characters (compared byte for byte). */
export function text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let result = "";
  for (let i = start; i < end; i++)
    result += String.fromCharCode(bytes[i]);
  return result;
}

/** `count` decimal digits of bytes[at…], read as a number. */
function digits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = bytes[i] - 0x30;
    if (digit < 0 || digit > 9)
      throw new DerError("bad time");
    value = value * 10 + digit;
  }
  return value;
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), in ms since 1970. */
function readTime(reader: Reader): number {
  const tlv = reader.next();
  const bytes = reader.bytes;
  const length = tlv.end - tlv.start;
  let year: number;
  let at = tlv.start;
  if (tlv.tag === 0x17 && length === 13) {
    year = digits(bytes, at, 2);
    year += year < 50 ? 2000 : 1900;
    at += 2;
  }
  else if (tlv.tag === 0x18 && length === 15) {
    year = digits(bytes, at, 4);
    at += 4;
  }
  else
    throw new DerError("bad time");
  if (bytes[tlv.end - 1] !== 0x5a) // "Z"
    throw new DerError("time not in UTC");
  return Date.UTC(year, digits(bytes, at, 2) - 1, digits(bytes, at + 2, 2), digits(bytes, at + 4, 2), digits(bytes, at + 6, 2), digits(bytes, at + 8, 2));
}

export type PublicKey =
  | { type: "rsa"; bits: number; exponentBits: number }
  | { type: "ec"; curve: string }
  | { type: "other"; algorithm: string };

/** One subtree of a nameConstraints extension: the GeneralName's tag (0x82 dNSName, 0x87 iPAddress, 0xa4 directoryName, …) and its value. */
export interface Subtree {
  tag: number;
  value: Uint8Array;
}

export interface NameConstraints {
  permitted: Subtree[];
  excluded: Subtree[];
}

export interface Certificate {
  /** The whole certificate. */
  der: Uint8Array;
  tbs: Uint8Array;
  /** 0 for v1, 2 for v3. */
  version: number;
  /** The serialNumber INTEGER's content octets. */
  serial: Uint8Array;
  /** signatureAlgorithm OID, e.g. "1.2.840.113549.1.1.11". */
  signatureAlgorithm: string;
  /** The TBS's signature AlgorithmIdentifier equals the outer signatureAlgorithm (RFC 5280 4.1.1.2). */
  algorithmsAgree: boolean;
  signature: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: number;
  notAfter: number;
  /** The DER SubjectPublicKeyInfo (what pins hash). */
  spki: Uint8Array;
  key: PublicKey;
  /** basicConstraints: undefined when absent. */
  ca?: boolean;
  pathLength?: number;
  /** keyUsage bits (bit 0 = digitalSignature … bit 5 = keyCertSign), undefined when absent. */
  keyUsage?: number;
  /** extendedKeyUsage OIDs, undefined when absent. */
  extendedKeyUsage?: string[];
  /** subjectAltName: undefined when absent. */
  subjectAltName?: {
    dnsNames: string[];
    /** iPAddress entries: 4 or 16 bytes each. */
    ipAddresses: Uint8Array[];
    /** directoryName entries: the Name's content octets, as `subject`. */
    directoryNames: Uint8Array[];
    /** Tags of the other GeneralName forms present (otherName 0xa0, rfc822Name 0x81, URI 0x86, …). */
    otherForms: number[];
  };
  dnsNames: string[];
  ipAddresses: Uint8Array[];
  nameConstraints?: NameConstraints;
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  /** The authorityKeyIdentifier also names the issuer's issuer and serial (authorityCertIssuer, authorityCertSerialNumber). */
  authorityKeyIdNamesIssuer?: boolean;
  /** OIDs of every extension, in order, and of the critical ones. */
  extensions: string[];
  critical: string[];
  /** OIDs of critical extensions this reader does not process. */
  unknownCritical: string[];
}

const CURVE_OIDS: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.2.840.10045.3.1.1": "P-192",
};

/** The bit length of a non-negative INTEGER. */
function bitLength(bytes: Uint8Array, integer: Tlv): number {
  let start = integer.start;
  while (start < integer.end && bytes[start] === 0)
    start++;
  let size = (integer.end - start) * 8;
  for (let top = bytes[start]; size > 0 && !(top & 0x80); top <<= 1)
    size--;
  return size;
}

function readPublicKey(bytes: Uint8Array, spki: Tlv): PublicKey {
  const reader = new Reader(bytes, spki.start, spki.end);
  const algorithm = reader.enter(0x30);
  const oid = readOid(algorithm);
  const bits = reader.next(0x03);
  if (oid === "1.2.840.113549.1.1.1") {
    const rsa = new Reader(bytes, bits.start + 1, bits.end).enter(0x30);
    const modulus = rsa.next(0x02);
    let start = modulus.start;
    while (start < modulus.end && bytes[start] === 0)
      start++;
    return { type: "rsa", bits: bitLength(bytes, modulus), exponentBits: bitLength(bytes, rsa.next(0x02)) };
  }
  if (oid === "1.2.840.10045.2.1") {
    const curve = algorithm.peek() === 0x06 ? readOid(algorithm) : "explicit parameters";
    return { type: "ec", curve: CURVE_OIDS[curve] ?? curve };
  }
  return { type: "other", algorithm: oid };
}

/** GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL } */
function readSubtrees(reader: Reader): Subtree[] {
  const subtrees: Subtree[] = [];
  while (reader.more) {
    const subtree = reader.enter(0x30);
    const base = subtree.next();
    subtrees.push({ tag: base.tag, value: reader.bytes.subarray(base.start, base.end) });
  }
  if (!subtrees.length)
    throw new DerError("empty name constraints subtrees");
  return subtrees;
}

function readExtensions(certificate: Certificate, reader: Reader): void {
  const bytes = reader.bytes;
  const list = reader.enter(0x30);
  if (!list.more)
    throw new DerError("empty extensions");
  while (list.more) {
    const extension = list.enter(0x30);
    const oid = readOid(extension);
    let critical = false;
    if (extension.peek() === 0x01) {
      const flag = extension.next(0x01);
      critical = bytes[flag.start] !== 0;
    }
    if (certificate.extensions.includes(oid))
      throw new DerError(`extension ${oid} appears twice`);
    certificate.extensions.push(oid);
    if (critical)
      certificate.critical.push(oid);
    const value = extension.enter(0x04);
    switch (oid) {
    case "2.5.29.19": { // basicConstraints
      const constraints = value.enter(0x30);
      certificate.ca = false;
      if (constraints.peek() === 0x01) {
        const flag = constraints.next(0x01);
        certificate.ca = bytes[flag.start] !== 0;
      }
      if (constraints.peek() === 0x02) {
        const length = constraints.next(0x02);
        let n = 0;
        for (let i = length.start; i < length.end; i++)
          n = n * 256 + bytes[i];
        certificate.pathLength = n;
      }
    } break;
    case "2.5.29.15": { // keyUsage: BIT STRING, first octet counts unused bits
      const bits = value.next(0x03);
      let usage = 0;
      for (let i = bits.start + 1, shift = 0; i < bits.end && shift < 16; i++, shift += 8) {
        const octet = bytes[i];
        for (let bit = 0; bit < 8; bit++) {
          if (octet & (0x80 >> bit))
            usage |= 1 << (shift + bit);
        }
      }
      certificate.keyUsage = usage;
    } break;
    case "2.5.29.37": { // extendedKeyUsage: SEQUENCE SIZE (1..MAX) OF KeyPurposeId
      const purposes = value.enter(0x30);
      certificate.extendedKeyUsage = [];
      while (purposes.more)
        certificate.extendedKeyUsage.push(readOid(purposes));
    } break;
    case "2.5.29.17": { // subjectAltName
      const names = value.enter(0x30);
      const san = certificate.subjectAltName = { dnsNames: certificate.dnsNames, ipAddresses: certificate.ipAddresses, directoryNames: [] as Uint8Array[], otherForms: [] as number[] };
      if (!names.more)
        throw new DerError("empty subjectAltName");
      while (names.more) {
        const name = names.next();
        if (name.tag === 0x82)
          san.dnsNames.push(text(bytes, name.start, name.end));
        else if (name.tag === 0x87) {
          if (name.end - name.start !== 4 && name.end - name.start !== 16)
            throw new DerError("an iPAddress name of neither 4 nor 16 bytes");
          san.ipAddresses.push(bytes.subarray(name.start, name.end));
        }
        else if (name.tag === 0xa4) { // [4] EXPLICIT Name
          const inner = new Reader(bytes, name.start, name.end).next(0x30);
          san.directoryNames.push(bytes.subarray(inner.start, inner.end));
        }
        else if (!san.otherForms.includes(name.tag))
          san.otherForms.push(name.tag);
      }
    } break;
    case "2.5.29.14": { // subjectKeyIdentifier
      const id = value.next(0x04);
      certificate.subjectKeyId = bytes.subarray(id.start, id.end);
    } break;
    case "2.5.29.35": { // authorityKeyIdentifier: keyIdentifier [0], authorityCertIssuer [1], authorityCertSerialNumber [2]
      const aki = value.enter(0x30);
      if (aki.peek() === 0x80) {
        const id = aki.next(0x80);
        certificate.authorityKeyId = bytes.subarray(id.start, id.end);
      }
      if (aki.more)
        certificate.authorityKeyIdNamesIssuer = true;
    } break;
    case "2.5.29.30": { // nameConstraints: permittedSubtrees [0], excludedSubtrees [1]
      const constraints = value.enter(0x30);
      const result: NameConstraints = { permitted: [], excluded: [] };
      if (constraints.peek() === 0xa0)
        result.permitted = readSubtrees(constraints.enter(0xa0));
      if (constraints.peek() === 0xa1)
        result.excluded = readSubtrees(constraints.enter(0xa1));
      if (constraints.more || (!result.permitted.length && !result.excluded.length))
        throw new DerError("malformed nameConstraints");
      certificate.nameConstraints = result;
    } break;
    case "1.3.6.1.5.5.7.1.1": { // authorityInfoAccess: SEQUENCE SIZE (1..MAX) OF AccessDescription { OID, GeneralName }
      const descriptions = value.enter(0x30);
      if (!descriptions.more)
        throw new DerError("empty authorityInfoAccess");
      while (descriptions.more) {
        const description = descriptions.enter(0x30);
        readOid(description);
        description.next();
      }
    } break;
    default:
      if (critical)
        certificate.unknownCritical.push(oid);
      continue;
    }
    if (value.more)
      throw new DerError(`trailing bytes in extension ${oid}`);
  }
}

function sameRange(bytes: Uint8Array, a: Tlv, b: Tlv): boolean {
  return a.end - a.head === b.end - b.head && sameBytes(bytes.subarray(a.head, a.end), bytes.subarray(b.head, b.end));
}

/** The values of one attribute type (an OID) in a Name's content octets, in order. */
function nameAttributes(name: Uint8Array, type: string): string[] {
  const values: string[] = [];
  const reader = new Reader(name);
  while (reader.more) {
    const set = reader.enter(0x31);
    while (set.more) {
      const pair = set.enter(0x30);
      const oid = readOid(pair);
      const value = pair.next();
      if (oid === type)
        values.push(text(name, value.start, value.end));
    }
  }
  return values;
}

const COMMON_NAME = "2.5.4.3";
const ORGANIZATION = "2.5.4.10";

/** The commonName values of a Name (its content octets). */
export function commonNames(name: Uint8Array): string[] {
  return nameAttributes(name, COMMON_NAME);
}

/** What a path search needs to know of a certificate before reading it whole: its names and key identifier. */
export interface CertificateNames {
  issuer: Uint8Array;
  subject: Uint8Array;
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  /** The DER SubjectPublicKeyInfo, and what kind of key it holds. */
  spki: Uint8Array;
  key: PublicKey;
}

/** The last octet of 2.5.29.14 (subjectKeyIdentifier) and 2.5.29.35 (authorityKeyIdentifier), after 0x55 0x1d. */
const SUBJECT_KEY_ID = 0x0e;
const AUTHORITY_KEY_ID = 0x23;

/** The names, key and key identifiers of a DER certificate, found without reading the rest. Throws DerError. */
export function peekCertificate(input: ArrayBuffer | Uint8Array): CertificateNames {
  const der = input instanceof Uint8Array ? input : new Uint8Array(input);
  const tbs = new Reader(der).enter(0x30).enter(0x30);
  if (tbs.peek() === 0xa0)
    tbs.next(0xa0);
  tbs.next(0x02);
  tbs.next(0x30);
  const issuer = tbs.next(0x30);
  tbs.next(0x30);
  const subject = tbs.next(0x30);
  const spki = tbs.next(0x30);
  const names: CertificateNames = {
    issuer: der.subarray(issuer.start, issuer.end),
    subject: der.subarray(subject.start, subject.end),
    spki: der.subarray(spki.head, spki.end),
    key: readPublicKey(der, spki),
  };
  while (tbs.more) {
    if (tbs.peek() !== 0xa3) {
      tbs.next();
      continue;
    }
    const list = tbs.enter(0xa3).enter(0x30);
    while (list.more) {
      const extension = list.enter(0x30);
      const oid = extension.next(0x06);
      const last = der[oid.start + 2];
      if (oid.end - oid.start !== 3 || der[oid.start] !== 0x55 || der[oid.start + 1] !== 0x1d || (last !== SUBJECT_KEY_ID && last !== AUTHORITY_KEY_ID))
        continue;
      if (extension.peek() === 0x01)
        extension.next(0x01);
      const value = extension.enter(0x04);
      if (last === SUBJECT_KEY_ID) {
        const id = value.next(0x04);
        names.subjectKeyId = der.subarray(id.start, id.end);
      }
      else {
        const aki = value.enter(0x30);
        if (aki.peek() === 0x80) {
          const id = aki.next(0x80);
          names.authorityKeyId = der.subarray(id.start, id.end);
        }
      }
    }
  }
  return names;
}

/** Parses a DER certificate. Throws DerError when it is not one. */
export function parseCertificate(input: ArrayBuffer | Uint8Array): Certificate {
  const der = input instanceof Uint8Array ? input : new Uint8Array(input);
  const outer = new Reader(der).enter(0x30);
  const tbsTlv = outer.next(0x30);
  const algorithmTlv = outer.next(0x30);
  const signatureAlgorithm = readOid(new Reader(der, algorithmTlv.start, algorithmTlv.end));
  const signature = outer.next(0x03);
  if (outer.more)
    throw new DerError("trailing bytes after the signature");

  const tbs = new Reader(der, tbsTlv.start, tbsTlv.end);
  let version = 0;
  if (tbs.peek() === 0xa0) {
    const explicit = tbs.enter(0xa0);
    const number = explicit.next(0x02);
    if (number.end - number.start !== 1)
      throw new DerError("bad version");
    version = der[number.start];
  }
  const serial = tbs.next(0x02);
  const innerAlgorithm = tbs.next(0x30);
  const issuer = tbs.next(0x30);
  const validity = tbs.enter(0x30);
  const notBefore = readTime(validity);
  const notAfter = readTime(validity);
  const subject = tbs.next(0x30);
  const spki = tbs.next(0x30);
  const subjectBytes = der.subarray(subject.start, subject.end);
  const certificate: Certificate = {
    der,
    tbs: der.subarray(tbsTlv.head, tbsTlv.end),
    version,
    serial: der.subarray(serial.start, serial.end),
    signatureAlgorithm,
    algorithmsAgree: sameRange(der, innerAlgorithm, algorithmTlv),
    signature: der.subarray(signature.start + 1, signature.end), // skip the unused-bits octet
    issuer: der.subarray(issuer.start, issuer.end),
    subject: subjectBytes,
    notBefore,
    notAfter,
    spki: der.subarray(spki.head, spki.end),
    key: readPublicKey(der, spki),
    dnsNames: [],
    ipAddresses: [],
    extensions: [],
    critical: [],
    unknownCritical: [],
  };
  while (tbs.more) {
    const tag = tbs.peek();
    if (tag === 0xa3)
      readExtensions(certificate, tbs.enter(0xa3));
    else
      tbs.next(); // issuerUniqueID, subjectUniqueID
  }
  return certificate;
}

/** A readable form of a Name: its CN, else its O, else "(unnamed)". */
export function describeName(name: Uint8Array): string {
  return nameAttributes(name, COMMON_NAME)[0] ?? nameAttributes(name, ORGANIZATION).pop() ?? "(unnamed)";
}
