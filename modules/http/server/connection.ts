// One connection of the server: reads request heads and bodies through the request parser, hands each
// request to its route, queues the response and, with keep-alive, starts over; a deadline on every wait.
// The server (http/server) decides when it may be served (its slots and queue) through start, wait,
// evict and reject.
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
import { SocketMessage } from "socket";
import type { StreamSocket } from "socket";
import Timer from "timer";
import { HttpError } from "http/errors";
import { RequestParser, type IncomingHead } from "http/protocol/request-parser";
import { OutgoingQueue } from "http/transport/outgoing";
import type { Settings } from "http/server/settings";
import { serverRequest, type ServerRequest } from "http/server/request";
import { queueResponse, type Handler, type ServerResponse } from "http/server/response";

const WAITING = 0;
const HEAD = 1;
const BODY = 2;
const HANDLING = 3;
const WRITING = 4;
const CLOSING = 5;
const CLOSED = 6;

/** What a connection tells its server. */
export interface ConnectionHooks {
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

export class ServerConnection {
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
        else if (message === SocketMessage.disconnect || message === SocketMessage.error)
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
    const request = serverRequest(head, this.#body, this.#bodyBytes, this.#id);
    this.#body = [];
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
    queueResponse(this.#out, response, head?.method, close);
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
