// Name constraints (RFC 5280 4.2.1.10): a CA's permitted and excluded subtrees applied to the names of the
// certificates below it on a path. Processed forms: dNSName, iPAddress (v4, v6) and directoryName. A constraint
// of another form (rfc822Name, URI, otherName, …) refuses the path only when a certificate below carries a name
// of that form. A SAN wildcard is checked against what it could match (CVE-2025-61727). Pure.
import { commonNames, describeName, sameBytes, text } from "tls/der";
import type { Certificate, Subtree } from "tls/der";
import { TlsError } from "tls/error";
import { cnKind, formatIp, isDnsName } from "tls/names";

const DNS = 0x82;
const IP = 0x87;
const DIRECTORY = 0xa4;

/** What name comparisons a validation may spend: a hostile CA with thousands of subtrees fails instead. */
export interface NameBudget {
  comparisons: number;
}

function refuse(ca: Certificate, reason: string): never {
  throw new TlsError("ERR_TLS_UNTRUSTED", `the name constraints of "${describeName(ca.subject)}" ${reason}`);
}

function lower(name: string): string {
  const lowered = name.toLowerCase();
  return lowered.endsWith(".") ? lowered.slice(0, -1) : lowered;
}

/** `name` is `base` or below it (a constraint "example.com" holds "example.com" and "a.example.com"; "" holds all). */
function within(name: string, base: string): boolean {
  return !base || name === base || name.endsWith("." + base);
}

function labels(name: string): number {
  return name.split(".").length;
}

/** Whether any name a SAN dNSName (possibly "*.base") stands for lies in the subtree. */
function dnsMeets(name: string, subtree: string): boolean {
  if (!name.startsWith("*."))
    return within(name, subtree);
  const base = name.slice(2);
  return within(base, subtree) || (subtree.endsWith("." + base) && labels(subtree) === labels(base) + 1);
}

/** Whether every name a SAN dNSName stands for lies in the subtree. */
function dnsInside(name: string, subtree: string): boolean {
  return within(name.startsWith("*.") ? name.slice(2) : name, subtree);
}

function ipInside(address: Uint8Array, subtree: Uint8Array): boolean {
  const size = address.length;
  if (subtree.length !== 2 * size)
    return false;
  for (let i = 0; i < size; i++) {
    const mask = subtree[size + i];
    if ((address[i] & mask) !== (subtree[i] & mask))
      return false;
  }
  return true;
}

/** The RDNs of a Name's content octets, each as its whole SET TLV. */
function rdns(name: Uint8Array): Uint8Array[] {
  const result: Uint8Array[] = [];
  let at = 0;
  while (at < name.length) {
    if (name[at] !== 0x31 || at + 2 > name.length)
      return [];
    let length = name[at + 1];
    let head = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++)
        length = (length << 8) | name[at + 2 + i];
      head += count;
    }
    result.push(name.subarray(at, at + head + length));
    at += head + length;
  }
  return result;
}

/** A directoryName subtree holds the names whose RDN sequence begins with its own (RFC 5280 7.1, compared as DER). */
function directoryInside(name: Uint8Array, subtree: Uint8Array[]): boolean {
  const parts = rdns(name);
  return subtree.length <= parts.length && subtree.every((rdn, i) => sameBytes(rdn, parts[i]));
}

/** The Name inside a directoryName subtree ([4] EXPLICIT Name: a SEQUENCE), as its RDNs. */
function subtreeRdns(ca: Certificate, subtree: Subtree): Uint8Array[] {
  const value = subtree.value;
  if (value[0] !== 0x30)
    refuse(ca, "hold a directoryName that is not a Name");
  const head = value[1] & 0x80 ? 2 + (value[1] & 0x7f) : 2;
  return rdns(value.subarray(head));
}

function checkSubtree(ca: Certificate, subtree: Subtree): void {
  if (subtree.tag === DNS) {
    const name = text(subtree.value);
    if (name && !isDnsName(name))
      refuse(ca, `hold a malformed dNSName "${name}"`);
  }
  else if (subtree.tag === IP) {
    const size = subtree.value.length / 2;
    if (size !== 4 && size !== 16)
      refuse(ca, "hold an iPAddress that is not an address and mask");
    let ones = true;
    for (let i = size; i < subtree.value.length; i++) {
      for (let bit = 0x80; bit; bit >>= 1) {
        const set = (subtree.value[i] & bit) !== 0;
        if (set && !ones)
          refuse(ca, "hold an iPAddress mask that is not a CIDR prefix");
        ones = set;
      }
    }
  }
}

interface Names {
  dns: string[];
  ips: Uint8Array[];
  directories: Uint8Array[];
  otherForms: number[];
}

function namesOf(certificate: Certificate, leaf: boolean): Names {
  const san = certificate.subjectAltName;
  const dns = san ? san.dnsNames.slice() : [];
  if (leaf) {
    for (const cn of commonNames(certificate.subject)) {
      if (cnKind(cn) === "host" && !dns.includes(cn))
        dns.push(cn); // a CN written as a host name is a name the certificate claims
    }
  }
  return {
    dns,
    ips: san ? san.ipAddresses : [],
    directories: [...(certificate.subject.length ? [certificate.subject] : []), ...(san ? san.directoryNames : [])],
    otherForms: san ? san.otherForms : [],
  };
}

/**
 * Applies `ca`'s name constraints to `certificate` (below it on the path; `leaf` when it is the server's
 * certificate). Throws ERR_TLS_UNTRUSTED naming the name and the constraint.
 */
export function checkNameConstraints(ca: Certificate, certificate: Certificate, leaf: boolean, budget: NameBudget): void {
  const constraints = ca.nameConstraints;
  if (!constraints)
    return;
  const names = namesOf(certificate, leaf);
  const subtrees = constraints.permitted.length + constraints.excluded.length;
  const cost = subtrees * (names.dns.length + names.ips.length + names.directories.length + names.otherForms.length + 1);
  budget.comparisons -= cost;
  if (budget.comparisons < 0)
    refuse(ca, `would take over ${cost} comparisons against "${describeName(certificate.subject)}": refused as too costly`);
  for (const subtree of constraints.permitted)
    checkSubtree(ca, subtree);
  for (const subtree of constraints.excluded)
    checkSubtree(ca, subtree);
  const permitted = (tag: number): Subtree[] => constraints.permitted.filter((subtree) => subtree.tag === tag);
  const excluded = (tag: number): Subtree[] => constraints.excluded.filter((subtree) => subtree.tag === tag);

  if (names.dns.length) {
    const allowed = permitted(DNS).map((subtree) => lower(text(subtree.value)));
    const denied = excluded(DNS).map((subtree) => lower(text(subtree.value)));
    for (const raw of names.dns) {
      if ((allowed.length || denied.length) && !isDnsName(raw, true))
        refuse(ca, `cannot be checked against the malformed dNSName "${raw}"`);
      const name = lower(raw);
      const hit = denied.find((subtree) => dnsMeets(name, subtree));
      if (hit !== undefined)
        refuse(ca, `exclude "${hit}", and the certificate "${describeName(certificate.subject)}" is for ${raw}`);
      if (allowed.length && !allowed.some((subtree) => dnsInside(name, subtree)))
        refuse(ca, `permit only ${allowed.map((subtree) => `"${subtree}"`).join(", ")}, and the certificate "${describeName(certificate.subject)}" is for ${raw}`);
    }
  }
  if (names.ips.length) {
    const allowed = permitted(IP);
    const denied = excluded(IP);
    for (const address of names.ips) {
      const family = (subtree: Subtree): boolean => subtree.value.length === 2 * address.length;
      if (denied.some((subtree) => ipInside(address, subtree.value)))
        refuse(ca, `exclude the address ${formatIp(address)} of "${describeName(certificate.subject)}"`);
      const sameFamily = allowed.filter(family);
      if (sameFamily.length && !sameFamily.some((subtree) => ipInside(address, subtree.value)))
        refuse(ca, `do not permit the address ${formatIp(address)} of "${describeName(certificate.subject)}"`);
    }
  }
  if (names.directories.length) {
    const allowed = permitted(DIRECTORY).map((subtree) => subtreeRdns(ca, subtree));
    const denied = excluded(DIRECTORY).map((subtree) => subtreeRdns(ca, subtree));
    for (const name of names.directories) {
      if (denied.some((subtree) => directoryInside(name, subtree)))
        refuse(ca, `exclude the directory name "${describeName(name)}"`);
      if (allowed.length && !allowed.some((subtree) => directoryInside(name, subtree)))
        refuse(ca, `do not permit the directory name "${describeName(name)}"`);
    }
  }
  for (const form of names.otherForms) {
    if (permitted(form).length || excluded(form).length)
      refuse(ca, `constrain names of a form this device does not process (GeneralName tag 0x${form.toString(16)}), and "${describeName(certificate.subject)}" carries one`);
  }
}
