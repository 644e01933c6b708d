// TLS 1.3 for the client's connections (http/transport/connection), for a request whose `tls.maxVersion` is
// "TLSv1.3" (the default): what socket to make, with what options, and where to go when the
// server speaks only TLS 1.2. With minVersion "TLSv1.3": our Tls13Socket (tls/tls13/client) alone. With an
// older minVersion ("both", the default): Tls13Socket first; only when it failed with its `olderServer` mark does the
// connection try again, over a new TCP connection, with the SDK's TLS 1.2, which then refuses a ServerHello
// random carrying the TLS 1.3 downgrade sentinel (`tls13Fallback`, checked by our ssl/handshake; RFC 8446
// 4.1.3). Origins found to speak 1.2 only are remembered (a few, the oldest forgotten first) so that the extra
// round trip is paid once; one whose 1.2 handshake then fails is forgotten, so a server upgraded to 1.3 (whose
// 1.2 answer carries the sentinel) is tried with 1.3 again by the next request.
import type { SecureOptions } from "securesocket";
import type { StreamSocket } from "socket";
import Tls13Socket from "tls/tls13/client";
import type { Origin } from "http/transport/connection";

/** Origins ("host:port") remembered as speaking TLS 1.2 only. */
const REMEMBERED = 8;
let older: string[] | undefined; // made on first use: an array made while preloaded would be frozen

/** What http/transport/connection makes a TLS connection with. */
export interface TlsPlan {
  /** The socket to run over the TCP one: Tls13Socket, or undefined for the SDK's SecureSocket. */
  make: (new (dictionary: { sock: StreamSocket; host: string; secure: SecureOptions }) => StreamSocket) | undefined;
  secure: SecureOptions;
  /** When the socket fails with `olderServer`: the plan to try again with, TLS 1.2 (the origin is then remembered). */
  fallback?: () => TlsPlan;
  /** When this is the remembered origin's 1.2 connection and it fails: forgets the origin. */
  failed?: () => void;
}

function name(origin: Origin): string {
  return `${origin.hostname}:${origin.port}`;
}

/** The plan for `secure` (from http/transport/secure-options, `tls13` set) to `origin`. */
export function plan(origin: Origin, secure: SecureOptions & { tls13?: number }): TlsPlan {
  const at = name(origin);
  // 1.2 with the sentinel checked: a server that speaks 1.3 sets it when it answers 1.2
  const older12 = (): TlsPlan => ({ make: undefined, secure: { ...secure, tls13: undefined, tls13Fallback: true } as SecureOptions, failed: () => forget(at) });
  if (secure.tls13 === 1 && older?.includes(at))
    return older12();
  return {
    make: Tls13Socket as unknown as TlsPlan["make"],
    // tickets are resumed only under the same pool key: the same origin and TLS settings
    secure: { ...secure, ticketKey: origin.key } as SecureOptions,
    fallback: secure.tls13 === 1
      ? () => {
        forget(at);
        (older ??= []).push(at);
        if (older.length > REMEMBERED)
          older.shift();
        return older12();
      }
      : undefined,
  };
}

function forget(at: string): void {
  const index = older?.indexOf(at) ?? -1;
  if (index >= 0)
    older!.splice(index, 1);
}

/** Forgets every origin remembered as speaking TLS 1.2 only. */
export function forgetOlderServers(): void {
  older = undefined;
}
