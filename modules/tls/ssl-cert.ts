// The SDK's `ssl/cert` (the CertificateManager its TLS Session uses) with our verification: the manifest
// excludes the SDK's modules/crypt/ssl/ssl_cert.js and maps `ssl/cert` here, so SecureSocket and every SDK
// client built on it (http, websocket, mqtt) verify with tls/verifier. Same interface as the SDK's.
import Resource from "Resource";
import X509 from "x509";
import PKCS8 from "pkcs8";
import BER from "ber";
import handshake from "ssl/handshake";
import { bytes, registerAnchor, verifyPeer } from "tls/verifier";
import type { Der, VerifyOptions } from "tls/verifier";
import { sameBytes } from "tls/der";
import { report } from "tls/report";

interface Options extends VerifyOptions {
  clientCertificates?: Der[];
  clientKey?: Der;
  /** Server side (our addition; docs/server.md): the chain a TLS server presents, leaf first, and its PKCS#8 key. */
  serverCertificates?: Der[];
  serverKey?: Der;
}

export default class CertificateManager {
  #options: Options;
  #registered: Der[] = [];

  constructor(options: Options) {
    this.#options = options;
  }

  /** Server side: `serverCertificates`, else the SDK's convention (a resource "srvcert.der"). */
  getCerts(): ArrayBuffer[] {
    const own = this.#options.serverCertificates;
    if (own?.length)
      return own.map((der) => bytes(der).slice().buffer as ArrayBuffer);
    return [new Resource("srvcert.der").slice(0)];
  }

  /** The public key of the peer's certificate, our private key for a client certificate, or (no argument) the server's key. */
  getKey(cert?: Der): unknown {
    if (cert === undefined)
      return this.#options.serverKey ? PKCS8.parse(bytes(this.#options.serverKey)) : undefined;
    for (const known of this.#registered) {
      if (sameBytes(bytes(known), bytes(cert)))
        return X509.decodeSPKI(bytes(known));
    }
    const own = this.#options.clientCertificates?.[0];
    if (own && this.#options.clientKey && sameBytes(bytes(own), bytes(cert)))
      return PKCS8.parse(bytes(this.#options.clientKey));
    return undefined;
  }

  findPreferredCert(): Der[] {
    return this.#options.clientCertificates ?? [];
  }

  /** Called by the handshake with the chain the server sent; false refuses the connection. */
  verify(certs: Der[], options: Options): boolean {
    if (!(handshake as { netkit?: boolean }).netkit) {
      report(options, "ERR_TLS_HANDSHAKE", "the SDK's ssl/handshake was built instead of ours: include modules/manifest.json before crypt/tls.json");
      return false;
    }
    return verifyPeer(certs, options);
  }

  /** The handshake registers the peer's certificate once verified (getKey finds it then). */
  register(cert: Der): void {
    this.#registered.push(cert);
  }

  /** Server side: the DH parameters (dh.der), as the SDK reads them. */
  getDH(): { p: bigint; g: bigint } | undefined {
    const ber = new BER(new Resource("dh.der").slice(0));
    if (ber.getTag() !== 0x30)
      return undefined;
    ber.getLength();
    return { p: ber.getInteger(), g: ber.getInteger() };
  }

  /** Adds a trust anchor for every connection that names none. */
  static register(cert: Der): void {
    registerAnchor(cert);
  }
}
