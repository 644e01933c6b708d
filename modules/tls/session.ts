// What a TLS 1.2 connection (the SDK's SecureSocket and its ssl/session) keeps once its handshake is done.
// The SDK's Session deletes its handshake messages, session IDs and certificate manager at the end of the
// handshake, but keeps the server's certificate, the ephemeral ECDH key pair and the server's share, the
// handshake digests, both randoms and the master secret (which its session cache has a copy of) for as
// long as the connection lives: about 1.4 KB on the simulator per pooled connection (docs/performance.md,
// "Memory (#22)"), and secrets nothing reads again. The record layer reads only the ciphers, sequence
// numbers, chosen cipher, protocol version and connection end (modules/crypt/ssl/ssl_record.js), so the
// rest goes. On the host runtime a securesocket has no `ssl` session: nothing to do.

/** The Session fields that no one reads after the handshake (ssl_handshake.js sets them; ssl_record.js reads none). */
const SPENT = ["peerCert", "dh", "dhparams", "handshakeDigests", "clientRandom", "serverRandom", "masterSecret", "signature_algorithms", "compressionMethod"];

/** Lets what only the handshake needed go, on a SecureSocket whose handshake has just completed. */
export function forgetHandshake(socket: object): void {
  const session = (socket as { ssl?: Record<string, unknown> }).ssl;
  if (!session)
    return;
  for (const name of SPENT)
    delete session[name];
}
