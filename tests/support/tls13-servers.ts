// Node TLS servers for the TLS 1.3 client (modules/tls/tls13): TLS 1.3 only, on 127.0.0.1, answering each
// line a client sends with "echo: " and the line. They count handshakes, full and resumed, and can be told
// which cipher suites and groups to accept and whether to issue tickets.
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

export async function startTls13Server(options: Tls13ServerOptions): Promise<Tls13Server> {
  let full = 0, resumed = 0;
  const server = tls.createServer({
    cert: options.chain,
    key: options.keyPem,
    minVersion: "TLSv1.3",
    maxVersion: "TLSv1.3",
    ...(options.ciphersuites ? { ciphers: options.ciphersuites } : {}),
    ...(options.ecdhCurve ? { ecdhCurve: options.ecdhCurve } : {}),
    ...(options.sigalgs ? { sigalgs: options.sigalgs } : {}),
    ...(options.tickets === false ? { secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ } : {}),
  }, (socket) => {
    if (socket.isSessionReused())
      resumed++;
    else
      full++;
    if (options.maxSendFragment)
      socket.setMaxSendFragment(options.maxSendFragment);
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
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return {
    port: (server.address() as AddressInfo).port,
    handshakes: () => ({ full, resumed }),
    close: () => new Promise((resolve) => {
      for (const socket of sockets)
        socket.destroy();
      server.close(() => resolve());
    }),
  };
}
