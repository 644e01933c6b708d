// The host runtime's SecureSocket says why OpenSSL ended a handshake in the words the device uses, not in
// OpenSSL's ("ssl3_get_record:wrong version number").
import assert from "node:assert/strict";
import { handshakeFailure } from "../../host/sdk/securesocket.js";

const openssl = (reason: string, tail = "") => `805C020CD97F0000:error:0A00010B:SSL routines:${reason}:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:${tail}\n`;
const none = new Uint8Array(0);

describe("handshake failures in our words (host runtime)", () => {
  it("a plain HTTP answer to the ClientHello: the server is not speaking TLS", () => {
    const reason = handshakeFailure(openssl("ssl3_get_record:wrong version number"), new TextEncoder().encode("HTTP/1.1 400"));
    assert.match(reason, /^the server is not speaking TLS: it answered in plain HTTP/);
    assert.doesNotMatch(reason, /ssl3_get_record/);
  });

  it("other bytes that are not a TLS record: not speaking TLS", () => {
    assert.match(handshakeFailure(openssl("ssl3_get_record:wrong version number"), new TextEncoder().encode("SSH-2.0")), /^the server is not speaking TLS: its answer is not a TLS record/);
  });

  it("an alert: its number and name, as the device says it", () => {
    assert.equal(handshakeFailure(openssl("ssl3_read_bytes:sslv3 alert handshake failure", "SSL alert number 40"), Uint8Array.of(0x15, 3, 3, 0, 2)), "the server sent TLS alert 40 (handshake_failure)");
  });

  it("OpenSSL's reasons in words, OpenSSL's own after them without its function names and source paths", () => {
    const reason = handshakeFailure(openssl("tls_process_server_hello:unsupported protocol"), Uint8Array.of(0x16, 3, 1));
    assert.equal(reason, "no TLS version in common (this kit speaks TLS 1.2, and 1.0/1.1 only when minVersion allows) (OpenSSL: unsupported protocol)");
    assert.equal(handshakeFailure(openssl("ssl3_get_record:something new"), none), "the TLS handshake failed (OpenSSL: something new)");
  });
});
