// HTTP/1.1 server on the SDK's Listener and Socket: routes by method and path, bounded request heads and
// bodies (sized or chunked), keep-alive, pipelined requests answered in order, a deadline on every wait, a
// bounded queue of connections, and the protocol layer of the client (http/protocol/request-parser on http/protocol/response-parser's
// rules, http/protocol/request-serializer for responses). Event-driven: it never blocks the VM, so the app's client work
// goes on beside it.
//
// A connection is in one of these states:
//   waiting  accepted while all `maxConnections` slots were busy: held in the queue (at most `queue`
//            connections, their bytes kept) until a slot frees. After `timeouts.queue`: 503, closing.
//            A connection beyond `maxConnections + queue` gets 503 at once.
//   head     reading a request head. Before its first byte the `idle` deadline runs (the `headers` one on
//            a new connection); from its first byte, the `headers` deadline. Expired: 408 and closing, or a
//            silent close when no byte of a request came.
//   body     reading the body; the `idle` deadline restarts with each read. Expired: 408, closing.
//   handling the route's handler runs (`timeouts.handler`, then 500). Bytes of pipelined requests are kept
//            (at most maxHeaderBytes + maxBodyBytes, else the connection closes after this response).
//   writing  the response waits for the socket to take it (`idle` deadline); then head (keep-alive) or closed.
//   closing  an error response went out: what the client still sends is read and dropped until it closes or
//            `timeouts.linger` passes (closing with unread bytes would reset the connection and lose the
//            response). No longer counts against the slots.
//   closed
// Malformed requests get 400 (414, 431, 413, 501, 505 where those fit) and close their connection only;
// the server goes on serving.
//
// Availability under slow clients (slowloris): when a waiting connection's request head is complete and
// every slot is busy, the slot of the connection that has spent longest on an unfinished request head
// (at least EVICT_AFTER ms) is taken back: 408 and closing (an idle kept-alive connection is closed
// silently first), and the slot goes to a waiting connection whose head is complete. A new connection
// that finds the queue full takes the place of the longest-waiting one whose head is still incomplete
// (503) when that one has waited EVICT_AFTER ms; else it gets 503 itself.
import { Listener, Socket, SocketMessage } from "socket";
import type { StreamSocket } from "socket";
import SecureSocket from "securesocket";
import type { SecureOptions } from "securesocket";
import Timer from "timer";
import { utf8Bytes, utf8Text } from "http/text";
import { HttpError, misuse } from "http/errors";
import { isToken } from "http/protocol/response-parser";
import { RequestParser, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES, type IncomingHead } from "http/protocol/request-parser";
import { headerList, type HeaderInit } from "http/protocol/request-serializer";
import { serializeResponseHead } from "http/protocol/response-serializer";
import { serverSecureOptions, type ServerTlsOptions } from "http/transport/secure-options";
import { OutgoingQueue } from "http/transport/outgoing";

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

export type { ServerTlsOptions };

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

/** A request as a handler sees it: the parsed head (method, target, path, query, version, headers) and its body. */
export interface ServerRequest extends Pick<IncomingHead, "method" | "target" | "path" | "query" | "version" | "headers"> {
  /** The body, whole (at most maxBodyBytes). */
  body: Uint8Array;
  /** The connection's serial number (1, 2, …): the same for requests on one kept-alive connection. */
  connection: number;
  /** The first value of a header, or undefined. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON; a body that is not JSON is answered 400. */
  json(): unknown;
}

export interface ServerResponse {
  /** Default 200. */
  status?: number;
  statusText?: string;
  headers?: HeaderInit;
  /** Sent as is; a string as UTF-8 (Content-Type text/plain unless given). */
  body?: string | Uint8Array | ArrayBuffer;
  /** Sent as JSON (Content-Type application/json). Takes the place of `body`. */
  json?: unknown;
}

export type Handler = (request: ServerRequest) => ServerResponse | Promise<ServerResponse>;

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

const WAITING = 0;
const HEAD = 1;
const BODY = 2;
const HANDLING = 3;
const WRITING = 4;
const CLOSING = 5;
const CLOSED = 6;

/** How long a request head (or a wait in the queue) must have lasted before its slot (or place) may be taken back. */
const EVICT_AFTER = 1000;

function positive(value: number | undefined, fallback: number, name: string, min = 1): number {
  const result = value ?? fallback;
  if (!(Number.isInteger(result) && result >= min))
    throw misuse(`${name} must be an integer of at least ${min}, not ${String(result)}`);
  return result;
}

function bytesOf(body: string | Uint8Array | ArrayBuffer | undefined): Uint8Array {
  if (body === undefined)
    return new Uint8Array(0);
  if (typeof body === "string")
    return utf8Bytes(body);
  if (body instanceof Uint8Array)
    return body;
  if (body instanceof ArrayBuffer)
    return new Uint8Array(body);
  throw misuse(`a response body must be a string, Uint8Array or ArrayBuffer, not ${typeof body}`);
}

interface Settings {
  maxConnections: number;
  queue: number;
  maxHeaderBytes: number;
  maxBodyBytes: number;
  maxRequests: number;
  headers: number;
  idle: number;
  queueWait: number;
  handler: number;
  linger: number;
}

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
    const t = options.timeouts ?? {};
    this.#settings = {
      maxConnections: positive(options.maxConnections, 4, "maxConnections"),
      queue: positive(options.queue, 2, "queue", 0),
      maxHeaderBytes: positive(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, "maxHeaderBytes", 64),
      maxBodyBytes: positive(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, "maxBodyBytes", 0),
      maxRequests: positive(options.maxRequestsPerConnection, 100, "maxRequestsPerConnection"),
      headers: positive(t.headers, 10000, "timeouts.headers"),
      idle: positive(t.idle, 5000, "timeouts.idle"),
      queueWait: positive(t.queue, 5000, "timeouts.queue"),
      handler: positive(t.handler, 10000, "timeouts.handler"),
      linger: positive(t.linger, 1000, "timeouts.linger"),
    };
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

interface ConnectionHooks {
  route(request: ServerRequest): Handler | ServerResponse;
  error(error: HttpError): void;
  /** A response went out; `bad`: it refused a malformed, oversized or slow request. */
  responded(status: number, bad: boolean): void;
  /** The connection stops counting against the slots and lingers; false: close it at once. */
  closing(connection: ServerConnection): boolean;
  closed(connection: ServerConnection): void;
  /** A waiting connection's request head is complete: a slot may be taken back for it. */
  ready(): void;
}

class ServerConnection {
  readonly #id: number;
  readonly #socket: StreamSocket;
  readonly #settings: Settings;
  readonly #hooks: ConnectionHooks;
  readonly #parser: RequestParser;
  #state = HEAD;
  #timer: ReturnType<typeof Timer.set> | undefined;
  /** Bytes received and not yet parsed: a waiting connection's, or pipelined requests'. */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #overflow = false;
  readonly #out: OutgoingQueue;
  #head: IncomingHead | undefined;
  #body: Uint8Array[] = [];
  #bodyBytes = 0;
  #served = 0;
  #keepAlive = false;
  /** When the connection began waiting for a slot (queue), or its current request head began (slot). */
  #since = Date.now();
  /** While waiting: bytes of "\r\n\r\n" matched at the end of what was held; 4: a complete head is held. */
  #matched = 0;
  /** False until a TLS handshake completes: nothing may be written before. */
  #ready: boolean;

  constructor(id: number, socket: StreamSocket, settings: Settings, hooks: ConnectionHooks, ready: boolean) {
    this.#id = id;
    this.#ready = ready;
    this.#socket = socket;
    this.#out = new OutgoingQueue(socket);
    this.#settings = settings;
    this.#hooks = hooks;
    this.#parser = new RequestParser({
      onHead: (head) => this.#onHead(head),
      onData: (chunk) => {
        this.#body.push(chunk.slice());
        this.#bodyBytes += chunk.length;
      },
      onComplete: () => {
        this.#state = HANDLING;
      },
    }, { maxHeaderBytes: settings.maxHeaderBytes, maxBodyBytes: settings.maxBodyBytes });
    socket.callback = (message: number) => {
      try {
        if (message === SocketMessage.readable)
          this.#receive();
        else if (message === SocketMessage.writable)
          this.#flush();
        else if (message === SocketMessage.connect) { // TLS: the handshake is done
          this.#ready = true;
          this.#since = Date.now(); // a request head's time starts after the handshake (an RSA one takes seconds on an ESP32)
          this.#flush();
        }
        else if (message < 0)
          this.destroy();
      }
      catch (error) { // a callback must never throw into the SDK (it would abort the VM)
        this.#hooks.error(new HttpError("ERR_SOCKET", `connection ${this.#id}: ${error instanceof Error ? error.message : String(error)}`));
        this.destroy();
      }
    };
  }

  /** Given a slot: serve, starting with what it sent while it waited. */
  start(): void {
    if (this.#state === CLOSED)
      return;
    this.#state = HEAD;
    this.#since = Date.now();
    this.#arm(this.#settings.headers, "headers");
    this.#resume();
  }

  /** While waiting: a complete request head has arrived. */
  get ready(): boolean {
    return this.#matched === 4;
  }

  get waitedSince(): number {
    return this.#since;
  }

  /**
   * How long this connection has held its slot on an unfinished request head (ms); Infinity for a kept-alive
   * connection between requests (cheapest to close); -1 when it is doing something else.
   */
  headAge(now: number): number {
    if (this.#state !== HEAD || !this.#ready) // a TLS handshake under way is not a request head
      return -1;
    if (this.#parser.idle && this.#served > 0)
      return Infinity;
    return now - this.#since;
  }

  /** Gives the slot back: 408 to a request head under way, a silent close to an idle kept-alive connection. */
  evict(): void {
    if (this.#parser.idle && this.#served > 0)
      this.destroy();
    else
      this.reject(408, "request head not complete, and the connection slot is needed");
  }

  wait(): void {
    this.#state = WAITING;
    this.#since = Date.now();
    this.#arm(this.#settings.queueWait, "queue");
  }

  /** Answers `status` with Connection: close, then lingers (reads and drops) until the client closes. */
  reject(status: number, reason: string, kind: "bad" | "busy" | "error" = "bad"): void {
    if (this.#state === CLOSED || this.#state === CLOSING)
      return;
    this.#held = [];
    this.#heldBytes = 0;
    this.#keepAlive = false;
    this.#sendResponse({ status, body: `${reason}\n` }, undefined, true);
    this.#hooks.responded(status, kind === "bad");
    if (!this.#hooks.closing(this)) {
      this.destroy();
      return;
    }
    this.#state = CLOSING;
    this.#arm(this.#settings.linger, "linger");
  }

  destroy(): void {
    if (this.#state === CLOSED)
      return;
    this.#state = CLOSED;
    this.#disarm();
    this.#held = [];
    this.#out.close();
    this.#hooks.closed(this);
  }

  #arm(ms: number, what: "headers" | "idle" | "queue" | "handler" | "linger"): void {
    this.#disarm();
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      this.#expired(what);
    }, ms);
  }

  #disarm(): void {
    if (this.#timer !== undefined) {
      Timer.clear(this.#timer);
      this.#timer = undefined;
    }
  }

  #expired(what: "headers" | "idle" | "queue" | "handler" | "linger"): void {
    if (what === "linger")
      this.destroy();
    else if (what === "queue")
      this.reject(503, `no connection slot within ${this.#settings.queueWait} ms`, "busy");
    else if (what === "handler") {
      this.#hooks.error(new HttpError("ERR_TIMEOUT", `connection ${this.#id}: ${this.#head?.method} ${this.#head?.path}: the handler took longer than ${this.#settings.handler} ms`, { phase: "handler" }));
      this.#head = undefined; // its late answer is dropped
      this.reject(500, "the handler took too long", "error");
    }
    else if (this.#state === WRITING || (this.#state === HEAD && this.#parser.idle))
      this.destroy(); // no request under way (a kept-alive or silent connection), or a client not reading
    else
      this.reject(408, what === "headers" ? `request head not complete within ${this.#settings.headers} ms` : `no request bytes for ${this.#settings.idle} ms`);
  }

  #receive(): void {
    const buffer = this.#socket.read(ArrayBuffer);
    if (!buffer || !buffer.byteLength)
      return;
    const bytes = new Uint8Array(buffer);
    switch (this.#state) {
      case HEAD:
      case BODY:
        this.#feed(bytes);
        break;
      case WAITING:
      case HANDLING:
      case WRITING:
        this.#hold(bytes);
        break;
      default: // CLOSING: dropped
    }
  }

  #hold(bytes: Uint8Array): void {
    const limit = this.#settings.maxHeaderBytes + this.#settings.maxBodyBytes;
    if (this.#heldBytes + bytes.length > limit) {
      if (this.#state === WAITING)
        this.reject(503, "the server is busy", "busy");
      else
        this.#overflow = true; // the current response closes the connection; the rest is not read
      return;
    }
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    if (this.#state === WAITING && this.#matched < 4) {
      let matched = this.#matched;
      for (let i = 0; i < bytes.length && matched < 4; i++) {
        const c = bytes[i];
        matched = c === (matched & 1 ? 10 : 13) ? matched + 1 : c === 13 ? 1 : 0;
      }
      this.#matched = matched;
      if (matched === 4)
        this.#hooks.ready();
    }
  }

  /** Parses what was held while the connection waited or answered. */
  #resume(): void {
    while (this.#held.length && (this.#state === HEAD || this.#state === BODY)) {
      const bytes = this.#held.shift()!;
      this.#heldBytes -= bytes.length;
      this.#feed(bytes);
    }
  }

  #feed(bytes: Uint8Array): void {
    const parser = this.#parser;
    const first = parser.idle;
    let consumed: number;
    try {
      consumed = parser.push(bytes);
    }
    catch (error) {
      const rejected = error instanceof HttpError ? error : new HttpError("ERR_INVALID_REQUEST", String(error), { status: 400 });
      this.reject(rejected.status ?? 400, rejected.reason);
      return;
    }
    if (this.#state === HANDLING) {
      if (consumed < bytes.length) {
        const rest = bytes.subarray(consumed);
        this.#held.unshift(rest);
        this.#heldBytes += rest.length;
      }
      this.#dispatch();
    }
    else if (this.#state === BODY)
      this.#arm(this.#settings.idle, "idle");
    else if (first && this.#served > 0) {
      this.#since = Date.now();
      this.#arm(this.#settings.headers, "headers"); // a kept-alive connection's next request began
    }
  }

  #onHead(head: IncomingHead): void {
    this.#head = head;
    this.#body = [];
    this.#bodyBytes = 0;
    if (head.bodyKind !== "none") {
      this.#state = BODY;
      if (head.expectContinue)
        this.#write("HTTP/1.1 100 Continue\r\n\r\n");
    }
  }

  #dispatch(): void {
    const head = this.#head!;
    const parts = this.#body;
    let body: Uint8Array;
    if (parts.length === 1)
      body = parts[0];
    else {
      body = new Uint8Array(this.#bodyBytes);
      let at = 0;
      for (const part of parts) {
        body.set(part, at);
        at += part.length;
      }
    }
    this.#body = [];
    const request: ServerRequest = {
      method: head.method,
      target: head.target,
      path: head.path,
      query: head.query,
      version: head.version,
      headers: head.headers,
      body,
      connection: this.#id,
      header(name: string) {
        const lower = name.toLowerCase();
        return head.headers.find(([n]) => n === lower)?.[1];
      },
      text: () => utf8Text(body),
      json: () => {
        try {
          return JSON.parse(utf8Text(body));
        }
        catch {
          throw new HttpError("ERR_INVALID_REQUEST", "the body is not JSON", { status: 400 });
        }
      },
    };
    this.#arm(this.#settings.handler, "handler");
    let answer: Handler | ServerResponse;
    try {
      answer = this.#hooks.route(request);
    }
    catch (error) {
      this.#failed(head, error);
      return;
    }
    if (typeof answer !== "function") {
      this.#respond(head, answer);
      return;
    }
    let result: ServerResponse | Promise<ServerResponse>;
    try {
      result = answer(request);
    }
    catch (error) {
      this.#failed(head, error);
      return;
    }
    Promise.resolve(result).then(
      (response) => this.#respond(head, response),
      (error: unknown) => this.#failed(head, error),
    );
  }

  /** A handler threw: an HttpError with a status (request.json() on a bad body) answers it; anything else is 500. */
  #failed(head: IncomingHead, error: unknown): void {
    if (this.#head !== head || this.#state !== HANDLING)
      return;
    if (error instanceof HttpError && error.status && error.status >= 400 && error.status < 500) {
      this.#respond(head, { status: error.status, body: error.reason + "\n" });
      return;
    }
    this.#hooks.error(error instanceof HttpError ? error : new HttpError("ERR_SERVER_USAGE", `${head.method} ${head.path}: the handler threw ${error instanceof Error ? error.message : String(error)}`, { phase: "handler" }));
    this.#respond(head, { status: 500, body: "internal server error\n" });
  }

  #respond(head: IncomingHead, response: ServerResponse): void {
    if (this.#head !== head || this.#state !== HANDLING)
      return; // the deadline answered already, or the connection is gone
    this.#disarm();
    this.#head = undefined;
    this.#served++;
    const keepAlive = head.keepAlive && !this.#overflow && this.#served < this.#settings.maxRequests;
    try {
      this.#sendResponse(response, head, !keepAlive);
    }
    catch (error) {
      this.#hooks.error(error instanceof HttpError ? error : new HttpError("ERR_SERVER_USAGE", String(error), { phase: "handler" }));
      this.#sendResponse({ status: 500, body: "internal server error\n" }, head, true);
      this.#hooks.responded(500, false);
      this.#finish(false);
      return;
    }
    this.#hooks.responded(response?.status ?? 200, false);
    this.#finish(keepAlive);
  }

  /** Writes a whole response. Throws ERR_SERVER_USAGE (nothing written) for an invalid one. */
  #sendResponse(response: ServerResponse, head: IncomingHead | undefined, close: boolean): void {
    if (response === null || typeof response !== "object")
      throw misuse(`a handler must return a response object, not ${response === null ? "null" : typeof response}`);
    const status = response.status ?? 200;
    const headers = headerList(response.headers);
    let body: Uint8Array;
    let type: string | undefined;
    if (response.json !== undefined) {
      body = utf8Bytes(JSON.stringify(response.json));
      type = "application/json";
    }
    else {
      body = bytesOf(response.body);
      type = typeof response.body === "string" ? "text/plain; charset=utf-8" : response.body === undefined ? undefined : "application/octet-stream";
    }
    if (type && !headers.some(([name]) => name.toLowerCase() === "content-type"))
      headers.push(["Content-Type", type]);
    const bodiless = status < 200 || status === 204 || status === 304;
    const text = serializeResponseHead({ status, statusText: response.statusText, headers, body: bodiless ? "none" : body.length, close });
    this.#out.push(text); // head and body queued, then flushed together: one write when they fit
    if (!bodiless && head?.method !== "HEAD")
      this.#out.push(body);
    this.#flush();
  }

  /** After a response: the next request (keep-alive) once it has drained, or close. */
  #finish(keepAlive: boolean): void {
    this.#keepAlive = keepAlive;
    this.#state = WRITING;
    this.#arm(this.#settings.idle, "idle");
    this.#flush();
  }

  #write(data: string | Uint8Array): void {
    this.#out.push(data);
    this.#flush();
  }

  #flush(): void {
    if (this.#state === CLOSED || !this.#ready)
      return;
    try {
      if (!this.#out.flush())
        return; // a writable message brings us back
    }
    catch {
      this.destroy(); // the client went away
      return;
    }
    if (this.#state !== WRITING)
      return;
    if (!this.#keepAlive) {
      this.destroy();
      return;
    }
    this.#parser.reset();
    this.#state = HEAD;
    this.#arm(this.#settings.idle, "idle");
    this.#resume();
  }
}
