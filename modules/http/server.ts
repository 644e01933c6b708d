// HTTP/1.1 server on the SDK's Listener and Socket: routes by method and path, bounded request heads and
// bodies (sized or chunked), keep-alive, pipelined requests answered in order, a deadline on every wait, a
// bounded queue of connections, on the protocol layer the client uses too (http/protocol/request-parser
// with the field and body rules it shares with the response parser, http/protocol/response-serializer). Event-driven: it
// never blocks the VM, so the app's client work goes on beside it. This module is the server itself
// (options, routes, slots and queue); its parts are in http/server/.
//
// The server: new → listening (after listen()) → closed (after close(); it cannot listen again). Each
// connection is a ServerConnection (http/server/connection, which lists its states); the server holds
// `maxConnections` slots and a queue of `queue` connections waiting for one.
//
// Availability under slow clients (slowloris): when a waiting connection's request head is complete and
// every slot is busy, the slot of the connection that has spent longest on an unfinished request head
// (at least EVICT_AFTER ms) is taken back: 408 and closing (an idle kept-alive connection is closed
// silently first), and the slot goes to a waiting connection whose head is complete. A new connection
// that finds the queue full takes the place of the longest-waiting one whose head is still incomplete
// (503) when that one has waited EVICT_AFTER ms; else it gets 503 itself.
import { Listener, Socket } from "socket";
import type { StreamSocket } from "socket";
import SecureSocket from "securesocket";
import type { SecureOptions } from "securesocket";
import { HttpError, misuse } from "http/errors";
import { isToken } from "http/protocol/fields";
import { serverSecureOptions, type ServerTlsOptions } from "http/server/secure-options";
import { positive, settingsOf, type Settings } from "http/server/settings";
import { ServerConnection, type ConnectionHooks } from "http/server/connection";
import type { ServerRequest } from "http/server/request";
import type { Handler, ServerResponse } from "http/server/response";

export interface ServerTimeouts {
  /** From a connection's accept, or a request's first byte, to the end of its head. Default 10000 ms. */
  headers?: number;
  /** Between requests on a kept-alive connection, between body reads, for a response to drain. Default 5000 ms. */
  idle?: number;
  /** How long a connection may wait in the queue for a slot. Default 5000 ms. */
  queue?: number;
  /** How long a handler may take. Default 10000 ms. */
  handler?: number;
  /** How long an error response's connection reads and drops before closing. Default 1000 ms. */
  linger?: number;
}

export type { ServerTlsOptions, ServerRequest, ServerResponse, Handler };

export interface ServerOptions {
  /** TCP port. Default 80 (443 with `tls`). */
  port?: number;
  /** Serve HTTPS with this certificate and key. */
  tls?: ServerTlsOptions;
  /** Local address to listen on (the ESP32 honours it; lin's Listener listens on every address). */
  address?: string;
  /** Connections served at once. Default 4. */
  maxConnections?: number;
  /** Connections accepted beyond those, waiting for a slot; more get 503. Default 2. */
  queue?: number;
  /** Request line plus header fields, in bytes. Default 4096 (431 beyond, 414 for the request line alone). */
  maxHeaderBytes?: number;
  /** Request body, in bytes. Default 16384 (413 beyond). */
  maxBodyBytes?: number;
  /** Requests one connection may carry before the server closes it. Default 100. */
  maxRequestsPerConnection?: number;
  timeouts?: ServerTimeouts;
  /** Server-side failures (a handler that threw or took too long, an invalid response, an accept that failed). Default: trace. */
  onError?: (error: HttpError) => void;
}

export interface ServerStats {
  /** Connections accepted (including those answered 503). */
  accepted: number;
  /** Responses sent, of every status. */
  responses: number;
  /** Connections answered 503 because the queue was full or their wait too long. */
  rejected: number;
  /** Requests refused as malformed or too large (400, 413, 414, 431, 501, 505) or too slow (408). */
  badRequests: number;
  /** Connections served now / waiting in the queue now. */
  active: number;
  waiting: number;
}

/** How long a request head (or a wait in the queue) must have lasted before its slot (or place) may be taken back. */
const EVICT_AFTER = 1000;

export class HttpServer {
  readonly port: number;
  readonly #address: string | undefined;
  readonly #settings: Settings;
  readonly #secure: SecureOptions | undefined;
  readonly #onError: (error: HttpError) => void;
  readonly #routes = new Map<string, Map<string, Handler>>();
  #listener: Listener | undefined;
  #state: "new" | "listening" | "closed" = "new";
  #nextId = 1;
  readonly #active = new Set<ServerConnection>();
  readonly #waiting: ServerConnection[] = [];
  readonly #closing = new Set<ServerConnection>();
  readonly #stats = { accepted: 0, responses: 0, rejected: 0, badRequests: 0 };

  constructor(options: ServerOptions = {}) {
    this.port = positive(options.port, options.tls ? 443 : 80, "port");
    this.#secure = options.tls ? serverSecureOptions(options.tls) : undefined;
    if (this.port > 65535)
      throw misuse(`port ${this.port} is beyond 65535`);
    this.#address = options.address;
    this.#settings = settingsOf(options);
    this.#onError = options.onError ?? ((error) => trace(`http server: ${error.message}\n`));
  }

  /** Routes `method` ("GET", …, or "*" for any) on exactly `path` ("/temperature"; no query) to `handler`. HEAD falls back to GET. */
  route(method: string, path: string, handler: Handler): this {
    if (method !== "*" && !isToken(method))
      throw misuse(`route method ${JSON.stringify(method)} is not a token`);
    if (typeof path !== "string" || !path.startsWith("/") || /[\s?#]/.test(path))
      throw misuse(`route path ${JSON.stringify(path)} must start with / and hold no space, ? or #`);
    if (typeof handler !== "function")
      throw misuse(`the handler of ${method} ${path} is not a function`);
    let methods = this.#routes.get(path);
    if (!methods)
      this.#routes.set(path, methods = new Map());
    if (methods.has(method))
      throw misuse(`${method} ${path} is routed twice`);
    methods.set(method, handler);
    return this;
  }

  /** Starts listening. Throws ERR_SERVER_LISTEN when the SDK's Listener cannot (port taken, no network). */
  listen(): this {
    if (this.#state !== "new")
      throw misuse(this.#state === "closed" ? "listen() after close()" : "listen() called twice");
    try {
      const listener = this.#listener = new Listener(this.#address ? { port: this.port, address: this.#address } : { port: this.port });
      listener.callback = () => this.#accept(); // its one message: a connection to accept (docs/sdk-notes.md)
    }
    catch (error) {
      this.#listener = undefined;
      throw new HttpError("ERR_SERVER_LISTEN", `cannot listen on port ${this.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#state = "listening";
    return this;
  }

  /** Stops listening and closes every connection (a response under way is cut). */
  close(): void {
    if (this.#state === "closed")
      return;
    this.#state = "closed";
    try {
      (this.#listener as unknown as { close(): void } | undefined)?.close();
    }
    catch {
      // already closed
    }
    this.#listener = undefined;
    for (const connection of [...this.#active, ...this.#waiting, ...this.#closing])
      connection.destroy();
  }

  get stats(): ServerStats {
    return { ...this.#stats, active: this.#active.size, waiting: this.#waiting.length };
  }

  #accept(): void {
    let socket: StreamSocket;
    try {
      // noDelay: no Nagle delay on a response written in more than one piece (lwIP honours it; lin ignores it: docs/sdk-notes.md)
      socket = new Socket({ listener: this.#listener!, noDelay: true } as never) as unknown as StreamSocket;
      if (this.#secure) // the handshake starts with the client's hello; message 1 when it is done
        socket = new SecureSocket({ sock: socket, secure: this.#secure }) as unknown as StreamSocket;
    }
    catch (error) {
      this.#onError(new HttpError("ERR_SOCKET", `accept failed: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    this.#stats.accepted++;
    const connection = new ServerConnection(this.#nextId++, socket, this.#settings, this.#hooks, !this.#secure);
    if (this.#state === "closed")
      connection.destroy();
    else if (this.#active.size < this.#settings.maxConnections) {
      this.#active.add(connection);
      connection.start();
    }
    else if (this.#waiting.length < this.#settings.queue || this.#displace()) {
      this.#waiting.push(connection);
      connection.wait();
    }
    else if (this.#secure) { // a 503 over TLS would cost a whole RSA handshake: just close
      this.#stats.rejected++;
      connection.destroy();
    }
    else
      connection.reject(503, "the server is busy", "busy");
  }

  readonly #hooks: ConnectionHooks = {
    route: (request) => this.#route(request),
    error: (error) => this.#onError(error),
    responded: (status, bad) => {
      this.#stats.responses++;
      if (status === 503)
        this.#stats.rejected++;
      else if (bad)
        this.#stats.badRequests++;
    },
    closing: (connection) => {
      this.#release(connection);
      if (this.#closing.size >= this.#settings.maxConnections + this.#settings.queue)
        return false; // enough lingering already: close at once
      this.#closing.add(connection);
      return true;
    },
    closed: (connection) => {
      this.#closing.delete(connection);
      this.#release(connection);
    },
    ready: () => this.#reclaim(),
  };

  /**
   * A waiting connection has a complete request head: takes back the slot of an idle kept-alive
   * connection, else of the one longest on an unfinished head (EVICT_AFTER ms at least).
   */
  #reclaim(): void {
    if (this.#state === "closed")
      return;
    const now = Date.now();
    let victim: ServerConnection | undefined;
    let longest = EVICT_AFTER - 1;
    for (const connection of this.#active) {
      const age = connection.headAge(now);
      if (age > longest) {
        victim = connection;
        longest = age;
      }
    }
    victim?.evict(); // its slot goes to a waiting connection with a complete head (#release)
  }

  /** The queue is full: frees the place of the longest-waiting connection with an incomplete head, if it has waited EVICT_AFTER ms. */
  #displace(): boolean {
    const now = Date.now();
    const victim = this.#waiting.find((connection) => !connection.ready && connection.waitedSince <= now - EVICT_AFTER);
    if (!victim)
      return false;
    if (this.#secure) { // no 503 over TLS (a whole RSA handshake): just close
      this.#stats.rejected++;
      victim.destroy();
    }
    else
      victim.reject(503, "the server is busy", "busy"); // #release takes it out of the queue
    return this.#waiting.length < this.#settings.queue;
  }

  /** A slot or a queue place is free again: the longest-waiting connection takes the slot. */
  #release(connection: ServerConnection): void {
    const at = this.#waiting.indexOf(connection);
    if (at >= 0)
      this.#waiting.splice(at, 1);
    if (!this.#active.delete(connection))
      return;
    const ready = this.#waiting.findIndex((waiting) => waiting.ready); // a complete head first, else the longest waiting
    const next = this.#waiting.splice(ready < 0 ? 0 : ready, 1)[0];
    if (next && this.#state !== "closed") {
      this.#active.add(next);
      next.start();
    }
  }

  #route(request: ServerRequest): Handler | ServerResponse {
    const methods = this.#routes.get(request.path);
    if (!methods)
      return { status: 404, body: "not found\n" };
    const handler = methods.get(request.method) ?? (request.method === "HEAD" ? methods.get("GET") : undefined) ?? methods.get("*");
    if (handler)
      return handler;
    const allow = [...methods.keys()];
    if (allow.includes("GET") && !allow.includes("HEAD"))
      allow.push("HEAD");
    return { status: 405, headers: { allow: allow.join(", ") }, body: "method not allowed\n" };
  }
}
