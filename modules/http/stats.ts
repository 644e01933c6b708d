// Counters of the HTTP client's transport, for traces and xsbug: the SDK's `instrumentation` counts sockets and
// bytes for the whole device; these say what this client did. Plain numbers, updated in place, never reset by us.
export interface HttpStats {
  /** TCP connections opened (each https one also counts a handshake attempt). */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Requests sent on a connection that an earlier request had already used (keep-alive). */
  reused: number;
  /** TLS handshakes that completed. */
  handshakes: number;
  /** Of those, TLS 1.3 handshakes that resumed a session with a ticket (tls.maxVersion "TLSv1.3"). */
  resumed: number;
  /** TLS handshakes refused (by our certificate checks or the SDK's TLS). */
  handshakeFailures: number;
  /** Bytes received and sent by this client (after TLS decryption, before encryption). */
  bytesRead: number;
  bytesWritten: number;
}

export const httpStats: HttpStats = {
  connections: 0,
  open: 0,
  reused: 0,
  handshakes: 0,
  resumed: 0,
  handshakeFailures: 0,
  bytesRead: 0,
  bytesWritten: 0,
};

/** One trace-friendly line: `connections 3 (open 1), reused 4, handshakes 2 (1 refused), bytes in 5120 out 812`. */
export function describeHttpStats(stats: HttpStats = httpStats): string {
  return `connections ${stats.connections} (open ${stats.open}), reused ${stats.reused}, ` +
    `handshakes ${stats.handshakes} (${stats.handshakeFailures} refused), bytes in ${stats.bytesRead} out ${stats.bytesWritten}`;
}
