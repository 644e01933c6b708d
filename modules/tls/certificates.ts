// PEM certificates from the firmware's resources (certs/), decoded to DER on the device with XS's native
// Uint8Array.fromBase64 (the SDK deprecates its base64 module): the form SecureSocket takes. Accepts bundles, CRLF, blank lines and text outside the
// markers; anything else malformed fails with an error naming its source.
import { KitError } from "kit/error";
import Resource from "Resource";
import TextDecoder from "text/decoder";

export class CertificateError extends KitError<"ERR_PEM"> {
  override name = "CertificateError";
  constructor(message: string) {
    super("ERR_PEM", message);
  }
}

/**
 * The base64 text of pem[start, end) without its whitespace (CR, LF, tab, space), or undefined unless the
 * rest is base64: the alphabet, then at most two "=", a multiple of 4 characters in all. A loop, not a
 * RegExp: a RegExp of a preloaded module crashed mcsim testing a certificate (docs/sdk-notes.md), and test()
 * copies its whole match.
 */
function base64Body(pem: string, start: number, end: number): string | undefined {
  const parts: string[] = [];
  let from = start;
  let count = 0;
  let padding = 0;
  for (let i = start; i < end; i++) {
    const c = pem.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13 || c === 32) {
      if (i > from)
        parts.push(pem.slice(from, i));
      from = i + 1;
      continue;
    }
    if (c === 61) { // "="
      if (++padding > 2)
        return undefined;
    }
    else if (padding || !((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47))
      return undefined;
    count++;
  }
  if (end > from)
    parts.push(pem.slice(from, end));
  return count && count % 4 === 0 ? parts.join("") : undefined;
}

/** Every "-----BEGIN <label>-----" block of `pem`, as DER. `source` names it in errors. */
export function pemToDer(pem: string, source = "PEM data", label = "CERTIFICATE"): ArrayBuffer[] {
  const found: ArrayBuffer[] = [];
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  let at = pem.indexOf(begin);
  while (at >= 0) {
    const bodyStart = at + begin.length;
    const stop = pem.indexOf(end, bodyStart);
    const next = pem.indexOf(begin, bodyStart);
    const which = found.length + 1;
    if (stop < 0 || (next >= 0 && next < stop))
      throw new CertificateError(`${source}: block ${which} has no END line`);
    const body = base64Body(pem, bodyStart, stop);
    if (body === undefined)
      throw new CertificateError(`${source}: block ${which} is not valid base64`);
    const der = Uint8Array.fromBase64(body);
    if (der.byteLength < 64 || der[0] !== 0x30)
      throw new CertificateError(`${source}: block ${which} is not DER`);
    found.push(der.buffer as ArrayBuffer);
    at = pem.indexOf(begin, stop + end.length);
  }
  if (!found.length)
    throw new CertificateError(`${source}: no "${begin}" block`);
  return found;
}

/** The blocks of a resource (a file of certs/: PEM, or DER when its name ends in .der), as DER. */
export function loadPem(name: string, label = "CERTIFICATE"): ArrayBuffer[] {
  if (!Resource.exists(name))
    throw new CertificateError(`resource "${name}" not found (is it in certs/ and listed by the manifest?)`);
  const resource = new Resource(name);
  if (name.endsWith(".der"))
    return [resource.slice(0)];
  const bytes = new Uint8Array(resource as unknown as ArrayBuffer);
  return pemToDer(new TextDecoder().decode(bytes), `resource "${name}"`, label);
}

/** The certificates in a resource of certs/ (e.g. "isrg-root-x1.pem"), as DER. */
export function loadPemCertificates(name: string): ArrayBuffer[] {
  return loadPem(name);
}
