// Verification of a server's chain for a TLS connection: which trust anchors apply, validation
// (tls/validate), and the reason of a refusal written to the connection's report (tls/report). Used by
// our `ssl/cert` on the device and by the host runtime's securesocket on Node.
//
// Secure options read here, beyond the SDK's `verify` and `certificate`:
//   certificates: DER trust anchors (`certificate` adds one, as in the SDK); when neither is given, the
//     anchors registered with CertificateManager.register and the SDK's CA store, if built in
//   pins: base64 SHA-256 SubjectPublicKeyInfo pins, checked even when verify is false
//   report: an object that receives the reason of a refusal
import Resource from "Resource";
import BUILD_TIME from "net/build-time";
import { peekCertificate, sameBytes } from "tls/der";
import { TlsError, validateServerChain } from "tls/validate";
import { report } from "tls/report";
import type { TlsReport } from "tls/report";

export type Der = ArrayBuffer | Uint8Array;

export interface VerifyOptions {
  verify?: boolean;
  certificate?: Der;
  certificates?: Der[];
  pins?: string[];
  report?: TlsReport;
  tls_server_name?: string;
}

const globalCerts: Der[] = [];

export function bytes(der: Der): Uint8Array {
  return der instanceof Uint8Array ? der : new Uint8Array(der);
}

/** Adds a trust anchor for every connection that names none (the SDK's CertificateManager.register). */
export function registerAnchor(cert: Der): void {
  if (!globalCerts.some((known) => sameBytes(bytes(known), bytes(cert))))
    globalCerts.push(cert);
}

/** The SDK's CA store (modules/crypt/data: ca.ski lists 20-byte key ids, caN.der the roots), when built in. */
function sdkStoreAnchor(keyId: Uint8Array): ArrayBuffer | undefined {
  if (keyId.length !== 20 || !Resource.exists("ca.ski"))
    return undefined;
  const index = new Uint8Array(new Resource("ca.ski") as unknown as ArrayBuffer);
  for (let at = 0; at + 20 <= index.length; at += 20) {
    if (sameBytes(index.subarray(at, at + 20), keyId)) {
      const name = `ca${at / 20}.der`;
      return Resource.exists(name) ? new Resource(name).slice(0) : undefined;
    }
  }
  return undefined;
}

/** The configured anchors; else those registered and the roots of the SDK's CA store the chain names by key id. */
function anchorsFor(chain: readonly Der[], options: VerifyOptions): { anchors: Der[]; storeAnchors: Der[] } {
  const configured = [...(options.certificates ?? []), ...(options.certificate ? [options.certificate] : [])];
  if (configured.length)
    return { anchors: configured, storeAnchors: [] };
  const storeAnchors: Der[] = [];
  for (const der of chain) {
    try {
      const id = peekCertificate(der).authorityKeyId;
      const anchor = id && sdkStoreAnchor(id);
      if (anchor)
        storeAnchors.push(anchor);
    }
    catch {
      // validation reports the malformed certificate
    }
  }
  return { anchors: globalCerts.slice(), storeAnchors };
}

/** Whether the chain a server sent (leaf first) is acceptable; if not, the reason is in options.report. */
export function verifyPeer(chain: readonly Der[], options: VerifyOptions): boolean {
  try {
    validateServerChain(chain, {
      ...anchorsFor(chain, options),
      serverName: options.tls_server_name,
      now: Date.now(),
      notBefore: BUILD_TIME,
      pins: options.pins,
      verify: options.verify ?? true,
    });
    return true;
  }
  catch (error) {
    if (!(error instanceof TlsError))
      throw error;
    report(options, error.code, error.reason);
    return false;
  }
}
