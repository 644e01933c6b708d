// HTTP/1.1 client, its public entry: HttpClient, the keep-alive pool, whose request() runs one Exchange
// (http/client/exchange) per redirect hop under the request's `timeouts.total` and `signal`. It also
// re-exports the names callers use from http/client/options, http/client/response and http/errors.
//
// A request goes: acquire a connection (pooled, or dns → connect → tls, under `timeouts.connect`) →
// send head and body → head arrives (under `timeouts.headers`) → body streams (each silence under
// `timeouts.idle`) → the connection returns to the pool when the response allows, else closes.
// `timeouts.total` and `signal` end it at any phase. Every failure is an HttpError; each request settles
// once; no exception leaves a socket callback.
import { URL } from "url";
import { secureOptions, type TlsOptions } from "http/transport/secure-options";
import { HttpError } from "http/errors";
import { hasHeader } from "http/protocol/request-serializer";
import { headerList } from "http/protocol/fields";
import Timer from "timer";
import { Connection, type ConnectionEvents, type Origin } from "http/transport/connection";
import { DEFAULTS, type ClientOptions, type RequestOptions } from "http/client/options";
import type { Response } from "http/client/response";
import { Exchange, prepareBody, type Pool } from "http/client/exchange";
import { isFollowedRedirect } from "http/client/redirect";

export { HttpError } from "http/errors";
export type { HttpErrorCode, HttpPhase } from "http/errors";
export type { HeaderInit } from "http/protocol/fields";
export type { BodyInit, ClientOptions, RequestOptions, SignalLike, Timeouts, Timings } from "http/client/options";
export type { Response, ResponseHeaders } from "http/client/response";

/** An idle connection's events: any byte or end closes it (an idle connection must stay silent). One per pool. */
class IdleEvents implements ConnectionEvents {
  declare private readonly pool: HttpClient;
  constructor(pool: HttpClient) {
    this.pool = pool;
  }
  onReceive(_bytes: Uint8Array, connection: Connection): void {
    this.pool.dropIdle(connection);
  }
  onEnd(_error: HttpError | undefined, connection: Connection): void {
    this.pool.dropIdle(connection);
  }
}

/** The pool's timer, which knows its pool (no closure). */
type SweepTimer = Timer & { pool?: HttpClient };

function onSweep(timer: SweepTimer): void {
  const pool = timer.pool;
  timer.pool = undefined;
  pool?.sweep();
}

export class HttpClient implements Pool {
  /** Every idle connection, all origins, oldest first, and when each expires (Date.now() ms). */
  declare private readonly idle: Connection[];
  declare private readonly expires: number[];
  declare private readonly count: Map<string, number>;
  declare private readonly waiting: Map<string, (() => void)[]>;
  declare private readonly idleEvents: IdleEvents;
  /** One timer for the pool, due when the oldest idle connection expires. */
  declare private sweeper: SweepTimer | undefined;
  declare private readonly maxSockets: number;
  declare private readonly idleTimeout: number;
  declare private closed: boolean;

  constructor(options: ClientOptions = {}) {
    this.idle = [];
    this.expires = [];
    this.count = new Map();
    this.waiting = new Map();
    this.idleEvents = new IdleEvents(this);
    this.sweeper = undefined;
    this.closed = false;
    this.maxSockets = options.maxSocketsPerOrigin ?? DEFAULTS.maxSocketsPerOrigin;
    this.idleTimeout = options.idleTimeout ?? DEFAULTS.idleTimeout;
  }

  /** Makes a request; resolves when the response head has arrived. */
  async request(href: string, options: RequestOptions = {}): Promise<Response> {
    if (this.closed)
      throw new HttpError("ERR_INVALID_REQUEST", "the client is closed");
    let url: URL | undefined = parseURL(href); // not kept while the request waits: the exchange has it
    let method = options.method ?? "GET";
    let headers = headerList(options.headers);
    let body = prepareBody(options.body);
    if (body.contentType && !hasHeader(headers, "content-type"))
      headers.push(["Content-Type", body.contentType]);
    const signal = options.signal;
    let current: Exchange | undefined;
    if (signal?.aborted)
      throw new HttpError("ERR_ABORTED", "aborted by its signal", { host: url.hostname, phase: "request" });
    const totalMs = options.timeouts?.total ?? DEFAULTS.total;
    const totalAt = totalMs > 0 ? Date.now() + totalMs : 0; // each hop's exchange keeps to it, body included
    let cleanup: (() => void) | undefined; // made only when a signal needs it
    if (signal) {
      const onAbort = () => current?.fail(new HttpError("ERR_ABORTED", "aborted by its signal", { host: current.host }));
      signal.addEventListener("abort", onAbort);
      cleanup = () => signal.removeEventListener?.("abort", onAbort);
    }
    try {
      for (let redirects = 0; ; redirects++) {
        current = new Exchange(this, url!, method, headers, body, options, totalAt);
        url = undefined;
        const response = await current.run();
        if (!isFollowedRedirect(response, options)) {
          response.redirected = redirects > 0;
          if (cleanup)
            current.whenFinished(cleanup); // the signal guards the body too
          return response;
        }
        await response.discard();
        // Rarely needed, so not loaded by every request: imported on the first one (preloaded on a device).
        const { nextHop } = await import("http/client/next-hop");
        ({ url, method, headers, body } = nextHop(response.status, response.headers.get("location")!, { url: new URL(response.url), method, headers, body }, options, redirects));
      }
    }
    catch (error) {
      cleanup?.();
      throw error;
    }
  }

  /** A connection for `origin`: an idle pooled one (unless `fresh`), else a new one once below the limit. */
  acquire(origin: Origin, tls: TlsOptions | undefined, fresh: boolean, phase: (name: "dns" | "connect" | "tls") => void = () => undefined): { ready: Promise<Connection>; abandon(): void } {
    let abandoned = false;
    let opening: { abandon(): void } | undefined;
    const secure = origin.secure ? secureOptions(tls, origin.hostname) : undefined;
    origin = { ...origin, key: origin.key + (secure?.key ?? "") }; // never share a connection across TLS settings
    const ready = (async () => {
      for (;;) {
        if (abandoned) {
          this.wake(origin.key); // pass on the wake-up this waiter will not use
          throw new HttpError("ERR_ABORTED", "abandoned", { host: origin.hostname, phase: "connect" });
        }
        const pooled = fresh ? undefined : this.takeIdle(origin.key);
        if (pooled)
          return pooled;
        if ((this.count.get(origin.key) ?? 0) < this.maxSockets)
          break;
        if (fresh && this.closeOneIdle(origin.key))
          continue;
        await new Promise<void>((resolve) => {
          const list = this.waiting.get(origin.key) ?? [];
          list.push(resolve);
          this.waiting.set(origin.key, list);
        });
      }
      this.count.set(origin.key, (this.count.get(origin.key) ?? 0) + 1);
      const opened = Connection.open(origin, secure?.secure, phase);
      opening = opened;
      try {
        return await opened.ready;
      }
      catch (error) {
        this.forget(origin.key);
        throw error;
      }
    })();
    return {
      ready,
      abandon: () => {
        abandoned = true;
        opening?.abandon();
      },
    };
  }

  /** Back to the pool when `reusable`, else closed; wakes one waiter either way. */
  release(connection: Connection, reusable: boolean): void {
    const key = connection.origin.key;
    if (!reusable || connection.closed || this.closed) {
      connection.events = undefined;
      connection.close();
      this.forget(key);
      return;
    }
    this.idle.push(connection);
    this.expires.push(Date.now() + this.idleTimeout);
    connection.events = this.idleEvents;
    if (!this.sweeper && this.idleTimeout > 0)
      this.sweepIn(this.idleTimeout);
    this.wake(key);
  }

  /** Closes every pooled connection; later requests fail. */
  close(): void {
    this.closed = true;
    for (const connection of this.idle.slice())
      this.dropIdle(connection);
    if (this.sweeper) {
      this.sweeper.pool = undefined;
      Timer.clear(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** @internal An idle connection spoke, ended or expired: closed and forgotten. */
  dropIdle(connection: Connection): void {
    if (!this.removeIdle(connection))
      return;
    connection.events = undefined;
    connection.close();
    this.forget(connection.origin.key);
  }

  /** @internal The sweeper fired: closes what has expired, and sets it again for the next one. */
  sweep(): void {
    this.sweeper = undefined;
    const now = Date.now();
    const expires = this.expires;
    while (expires.length && expires[0] <= now)
      this.dropIdle(this.idle[0]);
    if (expires.length)
      this.sweepIn(expires[0] - now);
  }

  private sweepIn(ms: number): void {
    const timer: SweepTimer = Timer.set(onSweep, ms);
    timer.pool = this;
    this.sweeper = timer;
  }

  /** The most recently pooled idle connection to `key`, taken out of the pool. */
  private takeIdle(key: string): Connection | undefined {
    const idle = this.idle;
    for (let i = idle.length - 1; i >= 0; i--) {
      const connection = idle[i];
      if (connection.origin.key !== key)
        continue;
      this.removeAt(i);
      connection.events = undefined;
      if (!connection.closed)
        return connection;
      this.forget(key);
    }
    return undefined;
  }

  private closeOneIdle(key: string): boolean {
    const connection = this.idle.find((c) => c.origin.key === key);
    if (!connection)
      return false;
    this.dropIdle(connection);
    return true;
  }

  private removeIdle(connection: Connection): boolean {
    const at = this.idle.indexOf(connection);
    if (at < 0)
      return false;
    this.removeAt(at);
    return true;
  }

  private removeAt(at: number): void {
    this.idle.splice(at, 1);
    this.expires.splice(at, 1);
  }

  private forget(key: string): void {
    this.count.set(key, Math.max(0, (this.count.get(key) ?? 1) - 1));
    this.wake(key);
  }

  private wake(key: string): void {
    this.waiting.get(key)?.shift()?.();
  }
}

function parseURL(href: string): URL {
  let url: URL;
  try {
    url = new URL(href);
  }
  catch {
    throw new HttpError("ERR_INVALID_REQUEST", `not a URL: ${JSON.stringify(href)}`, { phase: "request" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new HttpError("ERR_INVALID_REQUEST", `unsupported scheme ${url.protocol}`, { phase: "request" });
  return url;
}

let defaultClient: HttpClient | undefined;

/** A request on the shared default client. */
export function request(href: string, options?: RequestOptions): Promise<Response> {
  defaultClient ??= new HttpClient();
  return defaultClient.request(href, options);
}
