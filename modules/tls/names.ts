// Host names and IP addresses as certificates carry them: the server-name check (RFC 6125 / RFC 9525), the
// syntax of a dNSName (RFC 5280 4.2.1.6: RFC 1034 preferred syntax), and IP literals to bytes and back
// (RFC 5952). Pure; loops rather than RegExps (a RegExp in a preloaded module crashed mcsim, docs/sdk-notes.md).
import { describeName, sameBytes } from "tls/der";
import type { Certificate } from "tls/der";
import { TlsError } from "tls/error";

function isAlphanumeric(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * Whether `name` is a host name in RFC 1034 preferred syntax (letters, digits, inner hyphens; labels of 1 to 63,
 * 253 in all; a trailing dot allowed), with `wildcard` a whole "*" left-most label.
 */
export function isDnsName(name: string, wildcard = false): boolean {
  let at = 0;
  if (wildcard && name.startsWith("*."))
    at = 2;
  const end = name.endsWith(".") ? name.length - 1 : name.length;
  if (end - at < 1 || end > 253)
    return false;
  let label = 0;
  for (let i = at; i < end; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) { // "."
      if (!label || name.charCodeAt(i - 1) === 0x2d)
        return false;
      label = 0;
    }
    else if (isAlphanumeric(c) || (c === 0x2d && label > 0)) { // "-" never starts a label
      if (++label > 63)
        return false;
    }
    else
      return false;
  }
  return label > 0 && name.charCodeAt(end - 1) !== 0x2d;
}

/**
 * How a subject CN reads: "ip" when a lenient parser would take it for an address (it has a ":", is dotted
 * digits, or 0x-hex as inet_aton reads), "host" when it is written as a host name (a dot, no white space),
 * else "display" (a label for people, never a name).
 */
export function cnKind(cn: string): "ip" | "host" | "display" {
  if (cn.includes(":"))
    return "ip";
  let digitsAndDots = cn.includes(".");
  let hex = cn.length > 2 && cn[0] === "0" && (cn[1] === "x" || cn[1] === "X");
  for (let i = 0; i < cn.length; i++) {
    const c = cn.charCodeAt(i);
    if (c <= 0x20)
      return "display";
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e))
      digitsAndDots = false;
    if (i > 1 && !(isAlphanumeric(c) && (c <= 0x39 || (c | 0x20) <= 0x66)))
      hex = false;
  }
  if (digitsAndDots || hex)
    return "ip";
  return cn.includes(".") ? "host" : "display";
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

function decimalOctets(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4)
    return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!part.length || part.length > 3)
      return undefined;
    let value = 0;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9)
        return undefined;
      value = value * 10 + c;
    }
    if (value > 255)
      return undefined;
    octets.push(value);
  }
  return octets;
}

function hexGroup(text: string): number | undefined {
  if (!text.length || text.length > 4)
    return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0)
      return undefined;
    value = value * 16 + digit;
  }
  return value;
}

/** An IPv4 or IPv6 literal as bytes, or undefined when `host` is a DNS name. */
export function ipBytes(host: string): Uint8Array | undefined {
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!literal.includes(":")) {
    const v4 = decimalOctets(literal);
    return v4 && Uint8Array.from(v4);
  }
  const halves = literal.split("::");
  if (halves.length > 2)
    return undefined;
  const groups = (part: string, last: boolean): number[] | undefined => {
    if (!part)
      return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const tail = last && i === pieces.length - 1 && pieces[i].includes(".") ? decimalOctets(pieces[i]) : undefined;
      const word = tail ? undefined : hexGroup(pieces[i]);
      if (tail)
        out.push((tail[0] << 8) | tail[1], (tail[2] << 8) | tail[3]);
      else if (word !== undefined)
        out.push(word);
      else
        return undefined;
    }
    return out;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1], true) : [];
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

/** An address as text: dotted decimal, or RFC 5952's canonical IPv6 form (lower case, longest zero run as "::"). */
export function formatIp(bytes: Uint8Array): string {
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

/** Checks the server name against the leaf's subjectAltName (never its CN). `null`: no name to check (not TLS). */
export function checkServerName(leaf: Certificate, serverName: string | null | undefined): void {
  if (serverName === null)
    return;
  if (!serverName)
    throw new TlsError("ERR_TLS_HOSTNAME", "no server name to check the certificate against");
  const ip = ipBytes(serverName);
  const matched = ip
    ? leaf.ipAddresses.some((address) => sameBytes(address, ip))
    : leaf.dnsNames.some((pattern) => isDnsName(pattern, true) && matchesDnsName(pattern, serverName));
  if (matched)
    return;
  const names = [...leaf.dnsNames, ...leaf.ipAddresses.map(formatIp)];
  throw new TlsError("ERR_TLS_HOSTNAME", names.length
    ? `the certificate is for ${names.join(", ")}, not ${serverName}`
    : `the certificate carries no subjectAltName (its CN "${describeName(leaf.subject)}" is not used), so it cannot be for ${serverName}`);
}
