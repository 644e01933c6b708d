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
