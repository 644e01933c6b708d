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
import { HttpError, type HttpErrorCode } from "http/errors";
import { hasHeader } from "http/protocol/request-serializer";
import { headerList } from "http/protocol/fields";
import { Connection, type Origin } from "http/transport/connection";
import { DEFAULTS, type ClientOptions, type RequestOptions } from "http/client/options";
import type { Response } from "http/client/response";
import { deadline, Exchange, prepareBody, type Pool } from "http/client/exchange";
import { isFollowedRedirect } from "http/client/redirect";

export { HttpError } from "http/errors";
export type { HttpErrorCode, HttpPhase } from "http/errors";
export type { HeaderInit } from "http/protocol/fields";
export type { BodyInit, ClientOptions, RequestOptions, SignalLike, Timeouts, Timings } from "http/client/options";
export type { Response, ResponseHeaders } from "http/client/response";

export class HttpClient implements Pool {
  declare private readonly idle: Map<string, Connection[]>;
  declare private readonly count: Map<string, number>;
  declare private readonly waiting: Map<string, (() => void)[]>;
  declare private readonly idleTimers: Map<Connection, { clear(): void }>;
  declare private readonly maxSockets: number;
  declare private readonly idleTimeout: number;
  declare private closed: boolean;

  constructor(options: ClientOptions = {}) {
    this.idle = new Map();
    this.count = new Map();
    this.waiting = new Map();
    this.idleTimers = new Map();
    this.closed = false;
    this.maxSockets = options.maxSocketsPerOrigin ?? DEFAULTS.maxSocketsPerOrigin;
    this.idleTimeout = options.idleTimeout ?? DEFAULTS.idleTimeout;
  }

  /** Makes a request; resolves when the response head has arrived. */
  async request(href: string, options: RequestOptions = {}): Promise<Response> {
    if (this.closed)
      throw new HttpError("ERR_INVALID_REQUEST", "the client is closed");
    let url = parseURL(href);
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
    let cleanup: (() => void) | undefined; // made only when a signal or a total deadline needs it
    if (signal || totalMs > 0) {
      const stop = (code: HttpErrorCode, message: string) =>
        current?.fail(new HttpError(code, message, { host: url.hostname }));
      const onAbort = () => stop("ERR_ABORTED", "aborted by its signal");
      signal?.addEventListener("abort", onAbort);
      const total = deadline(totalMs, () => stop("ERR_TIMEOUT", `request not done within ${totalMs} ms`));
      cleanup = () => {
        total.clear();
        signal?.removeEventListener?.("abort", onAbort);
      };
    }
    try {
      for (let redirects = 0; ; redirects++) {
        current = new Exchange(this, url, method, headers, body, options);
        current.start();
        const response = await current.promise;
        if (!isFollowedRedirect(response, options)) {
          response.redirected = redirects > 0;
          if (cleanup)
            current.whenFinished(cleanup); // the total deadline and the signal guard the body too
          return response;
        }
        await response.discard();
        // Rarely needed, so not loaded by every request: imported on the first one (preloaded on a device).
        const { nextHop } = await import("http/client/next-hop");
        ({ url, method, headers, body } = nextHop(response.status, response.headers.get("location")!, { url, method, headers, body }, options, redirects));
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
    const list = this.idle.get(key) ?? [];
    list.push(connection);
    this.idle.set(key, list);
    const drop = () => {
      this.removeIdle(connection);
      connection.close();
      this.forget(key);
    };
    connection.events = { onData: drop, onEnd: drop }; // an idle connection must stay silent
    this.idleTimers.set(connection, deadline(this.idleTimeout, drop));
    this.wake(key);
  }

  /** Closes every pooled connection; later requests fail. */
  close(): void {
    this.closed = true;
    for (const list of Array.from(this.idle.values()))
      for (const connection of list.slice())
        connection.events?.onEnd();
  }

  private takeIdle(key: string): Connection | undefined {
    const list = this.idle.get(key);
    while (list?.length) {
      const connection = list.pop()!;
      this.idleTimers.get(connection)?.clear();
      this.idleTimers.delete(connection);
      if (!connection.closed)
        return connection;
      this.forget(key);
    }
    return undefined;
  }

  private closeOneIdle(key: string): boolean {
    const connection = this.idle.get(key)?.[0];
    if (!connection)
      return false;
    connection.events?.onEnd();
    return true;
  }

  private removeIdle(connection: Connection): void {
    const list = this.idle.get(connection.origin.key);
    const at = list?.indexOf(connection) ?? -1;
    if (list && at >= 0)
      list.splice(at, 1);
    this.idleTimers.get(connection)?.clear();
    this.idleTimers.delete(connection);
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
