// The SDK's TLS alert handler (`ssl/sdk-alert`), mapped as `ssl/alert`: it throws on a fatal alert, which
// SecureSocket turns into a bare error; this records which alert the server sent first.
import sdk from "ssl/sdk-alert";
import { report } from "tls/report";
import type { TlsReport } from "tls/report";

const NAMES: Record<number, string> = {
  10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure", 42: "bad_certificate",
  43: "unsupported_certificate", 45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter",
  48: "unknown_ca", 50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
  80: "internal_error", 112: "unrecognized_name", 116: "certificate_required", 120: "no_application_protocol",
};

const alert = Object.freeze({
  ...sdk,
  unpacketize(session: { options: { report?: TlsReport } }, fragment: ArrayBuffer | Uint8Array) {
    const bytes = fragment instanceof Uint8Array ? fragment : new Uint8Array(fragment);
    const description = bytes[1];
    if (description !== sdk.close_notify)
      report(session.options, "ERR_TLS_HANDSHAKE", `the server sent TLS alert ${description} (${NAMES[description] ?? "unknown"})`);
    return sdk.unpacketize.call(alert, session, fragment);
  },
});
export default alert;
