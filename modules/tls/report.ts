// How a refusal deep inside the SDK's TLS stack reaches the client: the SDK turns every exception during the
// handshake into a bare socket error, so our checks write the reason into the `report` object the caller put
// in SecureSocket's `secure` options (the SDK's Session keeps a copy of those options, sharing the object).
import type { TlsErrorCode } from "tls/validate";

export interface TlsReport {
  code?: TlsErrorCode;
  message?: string;
}

/** Records the first reason a handshake failed (later ones are consequences). */
export function report(options: { report?: TlsReport } | undefined, code: TlsErrorCode, message: string): void {
  const target = options?.report;
  if (target && !target.code) {
    target.code = code;
    target.message = message;
  }
}

/** TLS alert descriptions (RFC 5246 7.2, RFC 8446 6.2), to name the alert a server sent. */
export const ALERT_NAMES: Record<number, string> = {
  10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure", 42: "bad_certificate",
  43: "unsupported_certificate", 45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter",
  48: "unknown_ca", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
  80: "internal_error", 112: "unrecognized_name", 116: "certificate_required", 120: "no_application_protocol",
};

/** Whether bytes can start a TLS record: a content type from 20 (ChangeCipherSpec) to 23 (data), then major version 3. */
export function startsTlsRecord(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] >= 20 && bytes[0] <= 23 && (bytes.length < 2 || bytes[1] === 3);
}

/** What a server that answered the ClientHello with anything but TLS is speaking, in words; undefined when its first bytes may be TLS. */
export function notTls(first: Uint8Array): string | undefined {
  if (!first.length || startsTlsRecord(first))
    return undefined;
  const http = first.length >= 5 && first[0] === 0x48 && first[1] === 0x54 && first[2] === 0x54 && first[3] === 0x50 && first[4] === 0x2f; // "HTTP/"
  return http
    ? "the server is not speaking TLS: it answered in plain HTTP (use http://, or the server's HTTPS port)"
    : "the server is not speaking TLS: its answer is not a TLS record (is the port right?)";
}
