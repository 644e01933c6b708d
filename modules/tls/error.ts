// The one error every certificate and handshake check throws: a stable code to branch on, and a reason for
// people that names the certificate.
import { KitError } from "kit/error";

export type TlsErrorCode =
  | "ERR_TLS_UNTRUSTED"
  | "ERR_TLS_HOSTNAME"
  | "ERR_TLS_EXPIRED"
  | "ERR_TLS_NOT_YET_VALID"
  | "ERR_CLOCK_NOT_SET"
  | "ERR_TLS_WEAK"
  | "ERR_TLS_PIN"
  | "ERR_TLS_HANDSHAKE";

export class TlsError extends KitError<TlsErrorCode> {
  override name = "TlsError";
}
