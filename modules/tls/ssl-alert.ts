// The SDK's TLS alert handler (`ssl/sdk-alert`), mapped as `ssl/alert`: it throws on a fatal alert, which
// SecureSocket turns into a bare error; this records which alert the server sent first.
import sdk from "ssl/sdk-alert";
import { report, ALERT_NAMES } from "tls/report";
import type { TlsReport } from "tls/report";

const alert = Object.freeze({
  ...sdk,
  unpacketize(session: { options: { report?: TlsReport } }, fragment: ArrayBuffer | Uint8Array) {
    const bytes = fragment instanceof Uint8Array ? fragment : new Uint8Array(fragment);
    const description = bytes[1];
    if (description !== sdk.close_notify)
      report(session.options, "ERR_TLS_HANDSHAKE", `the server sent TLS alert ${description} (${ALERT_NAMES[description] ?? "unknown"})`);
    return sdk.unpacketize.call(alert, session, fragment);
  },
});
export default alert;
