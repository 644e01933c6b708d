// Our TLS options turned into SecureSocket's `secure` dictionary (read by our `ssl/cert`, see tls/verifier):
// the client's `tls` request option (with the part of the pool's key that keeps connections with different
// TLS settings apart), and the readers of certificates and keys that the server's options
// (http/server/secure-options) use too. Kept out of http/client: most requests use the defaults.
import config from "mc/config";
import type { SecureOptions } from "securesocket";
import { loadPem, pemToDer } from "tls/certificates";
import { HttpError } from "http/errors";

type Data = ArrayBuffer | Uint8Array;

export interface TlsOptions {
  /** Verify the server (default true). false: encrypt only, the server is not authenticated. */
  verify?: boolean;
  /**
   * Trust anchors: names of PEM (or DER) resources from certs/, PEM text, or DER; one or a list.
   * Default: the resources named by the manifest's `config.certs` (every root in certs/).
   */
  ca?: string | Data | (string | Data)[];
  /** SNI and the name checked. Default: the URL's host (an IP address is checked against iPAddress). */
  serverName?: string;
  /** Oldest protocol accepted. Default "TLSv1.2". Below it, the SDK offers TLS 1.2 and accepts down to 1.0. */
  minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /**
   * Newest protocol offered. Default "TLSv1.3": our TLS 1.3 client (tls/tls13) first, and with a minVersion
   * below it (the default) the SDK's TLS 1.2 for a server that speaks only 1.2. "TLSv1.2": the SDK's TLS 1.2
   * alone, which is also the default when a 1.2-only option is set (clientCertificate, maxFragmentLength).
   */
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  /**
   * RFC 6066 max_fragment_length: 512, 1024, 2048 or 4096 (the server may ignore it). The SDK cannot read a
   * handshake message split over records: below the size of the server's certificate chain it fails.
   */
  maxFragmentLength?: 512 | 1024 | 2048 | 4096;
  /** ALPN protocol names, e.g. "http/1.1". */
  alpn?: string | string[];
  /** Client certificate (resource name, PEM or DER) and its PKCS#8 key (resource name, PEM or DER) for mutual TLS. */
  clientCertificate?: string | Data;
  clientKey?: string | Data;
  /** base64 SHA-256 of a SubjectPublicKeyInfo; any one on the verified path passes (the leaf only with verify false). */
  pins?: string[];
}

const VERSIONS = { TLSv1: 0x301, "TLSv1.1": 0x302, "TLSv1.2": 0x303, "TLSv1.3": 0x304 } as const;

// Created on first use: a Map or Set made while the module is preloaded would be immutable in flash.
let decoded: Map<string, ArrayBuffer[]> | undefined; // resource name or PEM text → DER, decoded once
let warned: Set<string> | undefined;
let defaults: Map<string, { secure: SecureOptions; key: string }> | undefined; // host → options without `tls`: built once

/** Certificates as DER: a resource name (PEM, or DER when it ends in .der), PEM text, or DER. */
export function certificates(source: string | Data): ArrayBuffer[] {
  if (typeof source !== "string")
    return [source instanceof Uint8Array ? source.slice().buffer as ArrayBuffer : source];
  decoded ??= new Map();
  let found = decoded.get(source);
  if (!found) {
    found = source.includes("-----BEGIN") ? pemToDer(source) : loadPem(source);
    decoded.set(source, found);
  }
  return found;
}

/** The certificates of one source or of a list of them, as DER. */
export function certificateList(sources: string | Data | (string | Data)[]): ArrayBuffer[] {
  return ([] as (string | Data)[]).concat(sources).flatMap(certificates);
}

/** A PKCS#8 private key as DER: a resource name, PEM text, or DER. */
/** `name` is the option the key came from, for the error. */
export function privateKey(source: string | Data, name = "tls.clientKey"): ArrayBuffer {
  if (typeof source !== "string")
    return source instanceof Uint8Array ? source.slice().buffer as ArrayBuffer : source;
  return source.includes("-----BEGIN") ? pemToDer(source, name, "PRIVATE KEY")[0] : loadPem(source, "PRIVATE KEY")[0];
}

/** The resources certs/ holds, from the manifest's config (the device cannot list its resources). */
export function defaultAnchors(): string[] {
  const names = config.certs as string | string[] | undefined;
  return names === undefined ? [] : ([] as string[]).concat(names);
}

let ids: WeakMap<object, number> | undefined;
let nextId = 1;
function identity(value: unknown): string {
  if (value === undefined)
    return "";
  if (typeof value === "string")
    return value;
  if (Array.isArray(value))
    return value.map(identity).join(",");
  const object = value as object;
  ids ??= new WeakMap();
  let id = ids.get(object);
  if (!id) {
    id = nextId++;
    ids.set(object, id);
  }
  return `#${id}`;
}

/** Forgets decoded anchors (after certs change at run time, or to free RAM) and the hosts warned about. */
export function clearTlsCache(): void {
  decoded = undefined;
  warned = undefined;
  defaults = undefined;
  ids = undefined;
}

/**
 * SecureSocket's `secure` options for a request to `host`, and the pool key of those settings. A bad
 * option, or a certificate or key that cannot be read, is ERR_INVALID_REQUEST (nothing is sent).
 */
export function secureOptions(tls: TlsOptions | undefined, host: string): { secure: SecureOptions; key: string } {
  try {
    if (tls !== undefined)
      return build(tls, host);
    defaults ??= new Map();
    let found = defaults.get(host); // every request of the common case: no rebuilding per request
    if (!found) {
      found = build(undefined, host);
      defaults.set(host, found);
    }
    return found;
  }
  catch (error) {
    throw new HttpError("ERR_INVALID_REQUEST", `tls: ${reasonOf(error)}`, { host, phase: "request" });
  }
}

function build(tls: TlsOptions | undefined, host: string): { secure: SecureOptions; key: string } {
  const options = tls ?? {};
  const verify = options.verify !== false;
  const secure: SecureOptions & Record<string, unknown> = {};
  const minVersion = VERSIONS[options.minVersion ?? "TLSv1.2"];
  // The default offers TLS 1.3 (our client) and falls back to the SDK's 1.2; what only 1.2 can do keeps to 1.2.
  const onlyTls12 = options.clientCertificate || options.clientKey || options.maxFragmentLength;
  const maxVersion = VERSIONS[options.maxVersion ?? (onlyTls12 ? "TLSv1.2" : "TLSv1.3")];
  if (!(maxVersion >= 0x303 && minVersion <= maxVersion)) // undefined (an unknown name) fails both
    throw new Error("tls.minVersion must be TLSv1 to TLSv1.3, tls.maxVersion TLSv1.2 or TLSv1.3, and min ≤ max");
  // Read by http/transport/connection: 2, TLS 1.3 only (tls/tls13); 1, 1.3 first, then 1.2 for a server that speaks only that.
  if (maxVersion === 0x304)
    secure.tls13 = minVersion === 0x304 ? 2 : 1;
  // The SDK offers protocolVersion and accepts nothing older; without it, it offers TLS 1.2 and accepts 1.0.
  if (minVersion === 0x303)
    secure.protocolVersion = 0x303;
  secure.verify = verify;
  if (verify) {
    secure.certificates = certificateList(options.ca === undefined ? defaultAnchors() : options.ca);
  }
  else if (!(warned ??= new Set()).has(host)) {
    warned.add(host);
    trace(`http: WARNING ${host}: tls.verify is false, the connection is encrypted but the server is not authenticated\n`);
  }
  if (options.serverName)
    secure.serverName = options.serverName;
  if (options.maxFragmentLength) {
    if (![512, 1024, 2048, 4096].includes(options.maxFragmentLength))
      throw new Error("tls.maxFragmentLength must be 512, 1024, 2048 or 4096");
    secure.tls_max_fragment_length = options.maxFragmentLength; // the SDK takes bytes and sends the RFC 6066 code
  }
  if (options.alpn)
    secure.applicationLayerProtocolNegotiation = options.alpn;
  if (options.clientCertificate || options.clientKey) {
    if (!options.clientCertificate || !options.clientKey)
      throw new Error("tls.clientCertificate and tls.clientKey go together");
    if (maxVersion === 0x304)
      throw new Error("tls.clientCertificate needs maxVersion TLSv1.2: the TLS 1.3 client sends none yet");
    secure.clientCertificates = certificates(options.clientCertificate);
    secure.clientKey = privateKey(options.clientKey);
  }
  if (options.pins?.length)
    secure.pins = options.pins;
  // The SDK's session cache is keyed by host name only and a resumed session skips verification: share it
  // only between connections with the default trust settings.
  const plain = verify && options.ca === undefined && !options.pins?.length && !options.clientCertificate;
  if (!plain)
    secure.cache = false;
  const key = `|v=${verify}|ca=${identity(options.ca)}|sn=${options.serverName ?? ""}|min=${minVersion}|max=${maxVersion}` +
    `|mfl=${options.maxFragmentLength ?? ""}|alpn=${identity(options.alpn)}|cc=${identity(options.clientCertificate)}|pins=${identity(options.pins)}`;
  return { secure, key };
}

export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
