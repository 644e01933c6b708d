// One request and its response on one connection (Exchange), with what it sends (Body) and the deadlines
// that guard its phases. It reaches its pool only through `Pool` (HttpClient is one).
//
// States of an Exchange, each left for `finished` by fail() (a deadline, the signal, an error, a reader
// that stops early):
//   queued      start() continues from the job queue
//   connecting  a connection from the pool: an idle one, or dns → connect → tls; under timeouts.connect
//   sending     head and body written, the response head awaited; under timeouts.headers
//   body        the head has arrived, run()'s promise resolved; the body streams, each silence under timeouts.idle
//   finished    the body complete (the connection back to the pool if both sides allow) or failed (closed)
// A pooled connection that the server had closed, before any byte of the response, takes an idempotent
// request back to connecting, once, on a fresh connection. One timer serves the phase's deadline and
// `timeouts.total` (which runs through every hop of a redirect chain and through the body), whichever is
// due first. An exchange keeps only what its state needs: the URL goes at the head (the response has its
// href), the parser drops the head's buffers, no closure is made per phase or per chunk.
import Timer from "timer";
import type { URL } from "url";
import { utf8Bytes } from "http/text";
import { HttpError, withContext } from "http/errors";
import { ResponseParser, type ParserEvents, type ResponseHead } from "http/protocol/response-parser";
import { chunkHeader, LAST_CHUNK, serializeHead } from "http/protocol/request-serializer";
import type { Connection, ConnectionEvents, Origin } from "http/transport/connection";
import type { TlsOptions } from "http/transport/secure-options";
import { httpStats } from "http/stats";
import { startsTlsRecord } from "tls/report";
import { DEFAULTS, type BodyInit, type RequestOptions, type Timings } from "http/client/options";
import { BodyStream, Response } from "http/client/response";
import { isFollowedRedirect } from "http/client/redirect";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** A request body as it is sent: bytes (with their Content-Length), or a stream sent chunked. */
export interface Body {
  bytes?: Uint8Array;
  stream?: AsyncIterable<Uint8Array | string>;
  contentType?: string;
}

/** The body every hop of a request sends (a redirect may drop it: http/client/next-hop). */
export function prepareBody(body: BodyInit | undefined): Body {
  if (body === undefined || body === null)
    return {};
  if (typeof body === "string")
    return { bytes: utf8Bytes(body), contentType: "text/plain; charset=utf-8" };
  if (body instanceof ArrayBuffer)
    return { bytes: new Uint8Array(body) };
  if (ArrayBuffer.isView(body))
    return { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
    return { stream: body as AsyncIterable<Uint8Array | string> };
  return { bytes: utf8Bytes(JSON.stringify(body)), contentType: "application/json" };
}

function originOf(url: URL): Origin {
  const secure = url.protocol === "https:";
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  const hostname = url.hostname;
  return { secure, hostname, port, key: `${secure ? "https" : "http"}://${hostname}:${port}` };
}

/** The phase a deadline guards. Const enums: tsc writes the numbers in (a module's const costs XS code). */
const enum Phase { NONE, CONNECT, HEADERS, IDLE }

/** What an exchange's `flags` hold. */
const enum Flag { SETTLED = 1, FINISHED = 2, KEEP_ALIVE = 4, RETRIED = 8, RECEIVED = 16, SECURE = 32 }

/** A timer that knows its exchange: the SDK's timer objects take properties, so no closure is made per deadline. */
type ExchangeTimer = Timer & { exchange?: Exchange };

/** Every exchange's timer callback. */
function onExchangeTimer(timer: ExchangeTimer): void {
  const exchange = timer.exchange;
  timer.exchange = undefined;
  exchange?.expired();
}

/** What an exchange needs of its pool: a connection for an origin, and a way to give it back. */
export interface Pool {
  /** An idle connection for `origin` (unless `fresh`), else a new one; `phase` hears dns, connect, tls. */
  acquire(origin: Origin, tls: TlsOptions | undefined, fresh: boolean, phase: (name: "dns" | "connect" | "tls") => void): { ready: Promise<Connection>; abandon(): void };
  /** Back to the pool when `reusable`, else closed. */
  release(connection: Connection, reusable: boolean): void;
}

/**
 * One request and its response on one connection. Settles once; `fail` is safe from anywhere. It is its
 * parser's events object (onHead, onData, onComplete) and its connection's (onReceive, onEnd) itself: a
 * request allocates as few objects and closures as it can (docs/performance.md, "Memory (#22)").
 */
export class Exchange implements ParserEvents, ConnectionEvents {
  declare private connection: Connection | undefined;
  declare private abandon: (() => void) | undefined;
  declare private parser: ResponseParser;
  declare private stream: BodyStream | undefined;
  declare private resolve: ((response: Response) => void) | undefined; // dropped once settled
  declare private reject: ((error: HttpError) => void) | undefined;
  declare private onFinished: (() => void) | undefined;
  declare private flags: number;
  /** The one timer, and what it guards: the phase's deadline (`due`, 0: none) and the total one (`totalAt`, 0: none), in Date.now() ms. */
  declare private timer: ExchangeTimer | undefined;
  declare private phase: number;
  declare private phaseMs: number;
  declare private due: number;
  declare private readonly totalAt: number;
  /** The last phase mark (timings): its name and when. */
  declare private markName: string;
  declare private markAt: number;
  declare private readonly timings: Timings;
  /** Until the head: then the response has its href. */
  declare private url: URL | undefined;
  declare readonly host: string;
  declare readonly pool: Pool;
  declare readonly method: string;
  declare readonly headers: [string, string][];
  declare readonly body: Body;
  declare readonly options: RequestOptions;

  /** `totalAt`: when `timeouts.total` runs out (Date.now() ms, 0 for never), for every hop of a request alike. */
  constructor(pool: Pool, url: URL, method: string, headers: [string, string][], body: Body, options: RequestOptions, totalAt = 0) {
    this.pool = pool;
    this.url = url;
    this.host = url.hostname;
    this.method = method;
    this.headers = headers;
    this.body = body;
    this.options = options;
    this.flags = url.protocol === "https:" ? Flag.SECURE : 0;
    this.connection = this.abandon = this.stream = this.timer = this.onFinished = this.resolve = this.reject = undefined;
    this.phase = Phase.NONE;
    this.phaseMs = this.due = this.markAt = 0;
    this.totalAt = totalAt;
    this.markName = "";
    this.timings = { dns: 0, connect: 0, tls: 0, firstByte: 0, body: -1 };
    this.parser = new ResponseParser(this, { maxHeaderBytes: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes });
  }

  /** Starts the exchange: resolves with the response once its head has arrived, rejects with an HttpError. */
  run(): Promise<Response> {
    const promise = new Promise<Response>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.start(false);
    return promise;
  }

  /** Calls `callback` once this exchange has ended: body complete, or failed. */
  whenFinished(callback: () => void): void {
    if (this.flags & Flag.FINISHED)
      callback();
    else
      this.onFinished = callback;
  }

  private timeout(phase: "connect" | "headers" | "idle"): number {
    return this.options.timeouts?.[phase] ?? DEFAULTS[phase];
  }

  private async start(retried: boolean): Promise<void> {
    // Continue from the job queue: the caller's frames leave the stack before the connect path (dns →
    // socket → TLS) nests its own. XS's default stack is 384 slots; without this it overflowed there.
    await undefined;
    if (this.flags & Flag.FINISHED)
      return; // aborted or timed out before it began
    if (this.options.signal?.aborted) { // between two hops of a redirect chain
      this.fail(new HttpError("ERR_ABORTED", "aborted by its signal", { host: this.host, phase: "request" }));
      return;
    }
    if (retried)
      this.flags |= Flag.RETRIED;
    let head: string;
    try {
      head = this.head(); // validated before any connection is made
    }
    catch (error) {
      this.fail(withContext(error, this.host, "request"));
      return;
    }
    const origin = originOf(this.url!);
    this.arm(Phase.CONNECT, this.timeout("connect"));
    let connection: Connection;
    try {
      const acquired = this.pool.acquire(origin, this.options.tls, retried, (name) => this.mark(name));
      this.abandon = acquired.abandon;
      connection = await acquired.ready;
      this.abandon = undefined;
    }
    catch (error) {
      this.fail(withContext(error, this.host, "connect"));
      return;
    }
    if (this.flags & Flag.FINISHED) {
      this.pool.release(connection, false);
      return;
    }
    this.connection = connection;
    if (connection.uses++ > 0)
      httpStats.reused++;
    this.parser.expect(this.method);
    connection.events = this;
    this.mark("send");
    this.arm(Phase.HEADERS, this.timeout("headers"));
    try {
      await this.send(connection, head);
    }
    catch (error) {
      this.fail(withContext(error, this.host, "send"));
    }
  }

  private head(): string {
    const { bytes, stream } = this.body;
    const url = this.url!;
    return serializeHead({
      method: this.method,
      target: url.pathname + url.search,
      host: url.host,
      headers: this.headers,
      body: stream ? "chunked" : bytes ? bytes.length : this.method === "POST" || this.method === "PUT" ? 0 : "none",
    });
  }

  private async send(connection: Connection, head: string): Promise<void> {
    const { bytes, stream } = this.body;
    connection.write(head);
    if (bytes)
      connection.write(bytes);
    if (!stream)
      return;
    for await (const piece of stream) {
      if (this.flags & Flag.FINISHED)
        return;
      const chunk = typeof piece === "string" ? utf8Bytes(piece) : piece;
      if (!chunk.length)
        continue;
      connection.write(chunkHeader(chunk.length));
      connection.write(chunk);
      connection.write("\r\n");
      await connection.drained();
    }
    if (!(this.flags & Flag.FINISHED))
      connection.write(LAST_CHUNK);
  }

  /** Sets the phase's deadline (`ms` 0: none) and schedules the timer for it or the total deadline, whichever is due first. */
  private arm(phase: number, ms: number): void {
    this.phase = phase;
    this.phaseMs = ms;
    this.due = ms > 0 ? Date.now() + ms : 0;
    this.schedule();
  }

  private schedule(): void {
    const due = this.due;
    const total = this.totalAt;
    const at = due && total ? (due < total ? due : total) : due || total;
    if (!at) {
      this.stopTimer();
      return;
    }
    const delay = at - Date.now();
    const timer = this.timer;
    if (timer)
      Timer.schedule(timer, delay > 0 ? delay : 0);
    else {
      const made: ExchangeTimer = Timer.set(onExchangeTimer, delay > 0 ? delay : 0);
      made.exchange = this;
      this.timer = made;
    }
  }

  private stopTimer(): void {
    const timer = this.timer;
    if (timer) {
      this.timer = undefined;
      timer.exchange = undefined;
      Timer.clear(timer);
    }
  }

  /**
   * The timer fired (it is spent: a one-shot timer cannot be scheduled again once its callback returns).
   * Fails the exchange if a deadline has passed; else (data came meanwhile, so the idle deadline moved)
   * sets a new timer for the rest.
   */
  expired(): void {
    this.timer = undefined;
    if (this.flags & Flag.FINISHED)
      return;
    const now = Date.now();
    if (this.totalAt && now >= this.totalAt) {
      this.fail(new HttpError("ERR_TIMEOUT", `request not done within ${this.options.timeouts?.total} ms`, { host: this.host }));
      return;
    }
    if (!this.due || now < this.due) {
      this.schedule();
      return;
    }
    const ms = this.phaseMs;
    const phase = this.phase;
    if (phase === Phase.IDLE)
      this.fail(new HttpError("ERR_IDLE_TIMEOUT", `body stalled for ${ms} ms`, { host: this.host, phase: "body" }));
    else if (phase === Phase.HEADERS)
      this.fail(new HttpError("ERR_HEADERS_TIMEOUT", `no response head within ${ms} ms`, { host: this.host, phase: "headers" }));
    else { // the connect deadline covers dns, connect and tls: name the one it ran out in
      const last = this.markName;
      this.fail(new HttpError("ERR_CONNECT_TIMEOUT", `no connection within ${ms} ms`, { host: this.host, phase: last === "dns" || last === "tls" ? last : "connect" }));
    }
  }

  /** Notes when a phase began; the time since the previous mark goes to that phase. */
  private mark(name: "dns" | "connect" | "tls" | "send" | "first" | "head" | "done"): void {
    const now = Date.now();
    const since = now - this.markAt;
    const last = this.markName;
    const t = this.timings;
    if (name === "connect") {
      if (last === "dns")
        t.dns = since;
    }
    else if (name === "tls") {
      if (last === "connect")
        t.connect = since;
    }
    else if (name === "send") {
      if (last === "tls")
        t.tls = since;
      else if (last === "connect")
        t.connect = since;
    }
    else if (name === "first") {
      if (last === "send")
        t.firstByte = since;
    }
    else if (name === "done" && last === "head")
      t.body = since;
    this.markName = name;
    this.markAt = now;
  }

  /** ConnectionEvents: bytes from the connection. */
  onReceive(bytes: Uint8Array): void {
    const flags = this.flags;
    if (!(flags & Flag.RECEIVED)) {
      this.flags = flags | Flag.RECEIVED;
      this.mark("first");
      if (!(flags & Flag.SECURE) && startsTlsRecord(bytes)) { // no HTTP response starts with bytes 20 to 23
        this.fail(new HttpError("ERR_INVALID_RESPONSE", "the server answered with TLS: use https://", { host: this.host, phase: "headers" }));
        return;
      }
    }
    const parser = this.parser;
    let offset = 0;
    try {
      while (offset < bytes.length && !(this.flags & Flag.FINISHED)) {
        offset += parser.push(offset ? bytes.subarray(offset) : bytes);
        if (parser.complete)
          break; // bytes past a complete response: a non-keep-alive peer's noise, or a protocol error below
      }
      if (parser.complete)
        this.release(offset === bytes.length); // bytes past the response: never reuse that connection
      else if (this.phase === Phase.IDLE && this.due)
        this.due = Date.now() + this.phaseMs; // the timer reads it when it fires: no timer per chunk
    }
    catch (error) {
      this.fail(withContext(error, this.host, this.stream ? "body" : "headers"));
    }
  }

  /** ConnectionEvents: the connection has ended. */
  onEnd(error: HttpError | undefined): void {
    const flags = this.flags;
    if (flags & Flag.FINISHED)
      return;
    const connection = this.connection;
    if (this.parser.idle && connection && connection.uses > 1 && !(flags & Flag.RETRIED) && IDEMPOTENT.has(this.method) && !this.body.stream) {
      // The pooled connection had been closed by the server: try once more on a fresh one.
      this.connection = undefined;
      this.pool.release(connection, false);
      this.start(true);
      return;
    }
    if (error) {
      this.fail(withContext(error, this.host, this.stream ? "body" : "headers"));
      return;
    }
    try {
      this.parser.finish();
      this.release(false);
    }
    catch (finishError) {
      if (!(flags & (Flag.RECEIVED | Flag.SECURE)) && finishError instanceof HttpError && finishError.code === "ERR_TRUNCATED") {
        // OpenSSL's servers close a plain-HTTP request without a byte (nginx answers 400, which parses)
        this.fail(new HttpError("ERR_TRUNCATED", "the server closed the connection without answering (an HTTPS server does that to plain HTTP: is the URL https://?)", { host: this.host, phase: "headers" }));
        return;
      }
      this.fail(withContext(finishError, this.host, this.stream ? "body" : "headers"));
    }
  }

  /** ParserEvents: the head has arrived. */
  onHead(head: ResponseHead): void {
    this.mark("head");
    const stream = new BodyStream(this);
    this.stream = stream;
    const response = new Response(head, this.url!.href, stream, this.options.maxBodyBytes ?? DEFAULTS.maxBodyBytes, this.timings, this.host);
    this.url = undefined;
    if (head.keepAlive && !this.headers.some(([name, value]) => name.toLowerCase() === "connection" && /\bclose\b/i.test(value)))
      this.flags |= Flag.KEEP_ALIVE;
    this.flags |= Flag.SETTLED;
    const resolve = this.resolve!;
    this.resolve = this.reject = undefined;
    const onBody = this.options.onBody;
    if (onBody && !isFollowedRedirect(response, this.options))
      stream.consume(onBody, response); // a redirect the client follows keeps its body from onBody
    resolve(response);
    this.arm(head.bodyKind !== "none" ? Phase.IDLE : Phase.NONE, head.bodyKind !== "none" ? this.timeout("idle") : 0);
  }

  /** ParserEvents: body bytes, a view valid during the call (the connection hands over fresh buffers). */
  onData(chunk: Uint8Array): void {
    this.stream?.push(chunk);
  }

  /** ParserEvents: the response is complete. */
  onComplete(): void {
    if (this.flags & Flag.FINISHED)
      return; // failed already (a consume() callback threw while this response was being parsed)
    this.mark("done");
    this.flags |= Flag.FINISHED;
    this.stopTimer();
    this.stream?.end();
    this.onFinished?.();
  }

  /** The response is complete: the connection goes back to the pool if both sides allow it. */
  private release(clean: boolean): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      connection.resume(true); // not held for the pool: the rest of this body is in its stream
      this.pool.release(connection, clean && (this.flags & Flag.KEEP_ALIVE) !== 0);
    }
  }

  /** BodyStream: the reader is behind (see Connection.hold). */
  holdBody(): void {
    this.connection?.hold();
  }

  /** BodyStream: the reader has caught up. */
  resumeBody(): void {
    this.connection?.resume();
  }

  /** BodyStream: the reader stopped before the end (or its callback threw): the connection is not reused. */
  abortBody(): void {
    this.fail(new HttpError("ERR_ABORTED", "body not read to its end", { host: this.host, phase: "body" }), true);
  }

  /** Ends the exchange with `error`: rejects the response, or ends its body with it. */
  fail(error: HttpError, quiet = false): void {
    const flags = this.flags;
    if (flags & Flag.FINISHED)
      return;
    this.flags = flags | Flag.FINISHED | Flag.SETTLED;
    this.stopTimer();
    const connection = this.connection;
    this.connection = undefined;
    if (connection)
      this.pool.release(connection, false);
    else
      this.abandon?.();
    if (!(flags & Flag.SETTLED)) {
      const reject = this.reject!;
      this.resolve = this.reject = undefined;
      reject(error);
    }
    else if (!quiet)
      this.stream?.end(error);
    else
      this.stream?.end();
    this.onFinished?.();
  }
}
