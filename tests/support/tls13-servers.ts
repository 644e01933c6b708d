// Node TLS servers for the TLS 1.3 client (modules/tls/tls13): TLS 1.3 only, on 127.0.0.1, answering each
// line a client sends with "echo: " and the line. They count handshakes, full and resumed, and can be told
// which cipher suites and groups to accept and whether to issue tickets. And TLS 1.2-only echo servers for
// the SDK's SecureSocket (tests/tls13-sim).
import net from "node:net";
import tls from "node:tls";
import type { AddressInfo } from "node:net";

export interface Tls13ServerOptions {
  /** PEM: the leaf first, then intermediates. */
  chain: string;
  keyPem: string;
  /** OpenSSL TLS 1.3 suite names (Node takes them in `ciphers`), e.g. "TLS_AES_256_GCM_SHA384". Default: OpenSSL's. */
  ciphersuites?: string;
  /** Groups in preference order, e.g. "P-384" to force a HelloRetryRequest of a client that shares P-256. */
  ecdhCurve?: string;
  /** false: no tickets (SSL_OP_NO_TICKET; TLS 1.3 then issues none). Default true. */
  tickets?: boolean;
  /** Signature algorithms the server may use, e.g. "rsa_pss_rsae_sha256". */
  sigalgs?: string;
  /** Max bytes per record the server writes (tls maxSendFragment, ≥ 512). */
  maxSendFragment?: number;
}

export interface Tls13Server {
  port: number;
  /** Handshakes completed, and how many of them resumed a session. */
  handshakes(): { full: number; resumed: number };
  close(): Promise<void>;
}

/** Answers each line `socket` reads with "echo: " and the line. */
function echo(socket: tls.TLSSocket): void {
  let pending = "";
  socket.setEncoding("utf8");
  socket.on("data", (text: string) => {
    pending += text;
    for (let at = pending.indexOf("\n"); at >= 0; at = pending.indexOf("\n")) {
      socket.write(`echo: ${pending.slice(0, at)}\n`);
      pending = pending.slice(at + 1);
    }
    if (pending.length > 65536)
      socket.destroy();
  });
  socket.on("error", () => socket.destroy());
}

/** Secure context options for `version` alone, with the chain, key and groups of `options`. */
function only(version: "TLSv1.2" | "TLSv1.3", options: { chain: string; keyPem: string; ecdhCurve?: string }): tls.SecureContextOptions {
  return {
    cert: options.chain,
    key: options.keyPem,
    minVersion: version,
    maxVersion: version,
    ...(options.ecdhCurve ? { ecdhCurve: options.ecdhCurve } : {}),
  };
}

/** Tracks `server`'s TCP connections; the function returned closes it, destroying those still open. */
function closer(server: net.Server): () => Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return () => new Promise((resolve) => {
    for (const socket of sockets)
      socket.destroy();
    server.close(() => resolve());
  });
}

export async function startTls13Server(options: Tls13ServerOptions): Promise<Tls13Server> {
  let full = 0, resumed = 0;
  const server = tls.createServer({
    ...only("TLSv1.3", options),
    ...(options.ciphersuites ? { ciphers: options.ciphersuites } : {}),
    ...(options.sigalgs ? { sigalgs: options.sigalgs } : {}),
    ...(options.tickets === false ? { secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ } : {}),
  }, (socket) => {
    if (socket.isSessionReused())
      resumed++;
    else
      full++;
    if (options.maxSendFragment)
      socket.setMaxSendFragment(options.maxSendFragment);
    echo(socket);
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, handshakes: () => ({ full, resumed }), close: closer(server) };
}

export interface Tls12ServerOptions {
  /** PEM: the leaf first, then intermediates. */
  chain: string;
  keyPem: string;
  /** Groups for ECDHE, e.g. "secp384r1". Default: Node's. */
  ecdhCurve?: string;
  /** Max bytes per record the server writes from its first flight on (the handshake too), ≥ 512. */
  maxSendFragment?: number;
}

/**
 * A TLS 1.2-only echo server, for the SDK's SecureSocket. Each connection is a TLSSocket made over the TCP
 * socket, so `maxSendFragment` applies to the handshake's records too (a tls.Server's secure connection
 * exists only after the handshake).
 */
export async function startTls12Server(options: Tls12ServerOptions): Promise<Omit<Tls13Server, "handshakes">> {
  const secureContext = tls.createSecureContext(only("TLSv1.2", options));
  const server = net.createServer((raw) => {
    raw.on("error", () => raw.destroy());
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext });
    if (options.maxSendFragment)
      socket.setMaxSendFragment(options.maxSendFragment);
    echo(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, close: closer(server) };
}
