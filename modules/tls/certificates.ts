// PEM certificates from the firmware's resources (certs/), decoded to DER on the device with XS's native
// Uint8Array.fromBase64 (the SDK deprecates its base64 module): the form SecureSocket takes. Accepts bundles, CRLF, blank lines and text outside the
// markers; anything else malformed fails with an error naming its source.
import Resource from "Resource";
import TextDecoder from "text/decoder";

export class CertificateError extends Error {
  override name = "CertificateError";
  readonly code = "ERR_PEM";
  constructor(message: string) {
    super(`ERR_PEM: ${message}`);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

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
    const body = pem.slice(bodyStart, stop).replace(/[\r\n\t ]+/g, "");
    if (!body.length || body.length % 4 !== 0 || !BASE64.test(body))
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
