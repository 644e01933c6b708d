// The server's `tls` option (docs/server.md) turned into SecureSocket's `secure` dictionary for the SDK's TLS
// server side, with the certificate and key readers the client's options use (http/transport/secure-options).
// Apart from those so that a client-only app does not load it.
import type { SecureOptions } from "securesocket";
import { parseCertificate } from "tls/der";
import { misuse } from "http/errors";
import { certificateList, privateKey, reasonOf } from "http/transport/secure-options";

type Data = ArrayBuffer | Uint8Array;

/** HTTPS (docs/server.md): the SDK's TLS server side, TLS 1.2 with RSA key exchange only. */
export interface ServerTlsOptions {
  /** The certificate chain, leaf first: resource names (PEM, or DER ending in .der), PEM text or DER. Its key must be RSA. */
  certificate: string | Data | (string | Data)[];
  /** The leaf's PKCS#8 private key: a resource name, PEM text or DER. */
  key: string | Data;
}

/** SecureSocket's `secure` for a server. A chain or key that cannot be read or served is ERR_SERVER_USAGE. */
export function serverSecureOptions(tls: ServerTlsOptions): SecureOptions {
  let chain: ArrayBuffer[];
  let key: ArrayBuffer;
  try {
    chain = certificateList(tls.certificate);
    key = privateKey(tls.key, "tls.key");
  }
  catch (error) {
    throw misuse(`tls: ${reasonOf(error)}`);
  }
  if (!chain.length)
    throw misuse("tls.certificate holds no certificate");
  let type: string;
  try {
    type = parseCertificate(new Uint8Array(chain[0])).key.type;
  }
  catch (error) {
    throw misuse(`tls.certificate: ${reasonOf(error)}`);
  }
  if (type !== "rsa") // the SDK serves RSA key exchange only (its server side has no ECDHE)
    throw misuse(`tls.certificate has a ${type} key; the SDK's TLS server needs an RSA one`);
  return { protocolVersion: 0x303, cache: false, serverCertificates: chain, serverKey: key };
}
