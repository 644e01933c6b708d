// One request and its response on one connection (Exchange), with what it sends (Body) and the deadlines
// that guard its phases. It reaches its pool only through `Pool` (HttpClient is one).
//
// States of an Exchange, each left for `finished` by fail() (a deadline, the signal, an error, a reader
// that stops early):
//   queued      start() continues from the job queue
//   connecting  a connection from the pool: an idle one, or dns → connect → tls; under timeouts.connect
//   sending     head and body written, the response head awaited; under timeouts.headers
//   body        the head has arrived, `promise` resolved; the body streams, each silence under timeouts.idle
//   finished    the body complete (the connection back to the pool if both sides allow) or failed (closed)
// A pooled connection that the server had closed, before any byte of the response, takes an idempotent
// request back to connecting, once, on a fresh connection.
import Timer from "timer";
import type { URL } from "url";
import { utf8Bytes } from "http/text";
import { HttpError, withContext, type HttpErrorCode, type HttpPhase } from "http/errors";
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

/** A deadline on the SDK's timer; `clear()` is safe to call twice. */
class Deadline {
  declare private timer: ReturnType<typeof Timer.set> | undefined;
  constructor(ms: number, fire: () => void) {
    this.timer = Timer.set(() => {
      this.timer = undefined;
      fire();
    }, ms);
  }
  clear(): void {
    if (this.timer)
      Timer.clear(this.timer);
    this.timer = undefined;
  }
}

/** What a deadline of 0 (off) is: one shared object, nothing allocated per request. */
const NO_DEADLINE: { clear(): void } = { clear() {} };

export function deadline(ms: number, fire: () => void): { clear(): void } {
  return ms > 0 ? new Deadline(ms, fire) : NO_DEADLINE;
}

/** The connection's events while an exchange has it: one small object, no closures. */
class Wire implements ConnectionEvents {
  declare readonly exchange: Exchange;
  declare readonly retried: boolean;
  constructor(exchange: Exchange, retried: boolean) {
    this.exchange = exchange;
    this.retried = retried;
  }
  onData(bytes: Uint8Array): void {
    this.exchange.receive(bytes);
  }
  onEnd(error?: HttpError): void {
    this.exchange.ended(error, this.retried);
  }
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
 * parser's events object itself (onHead, onData, onComplete): a request allocates as few closures as it can.
 */
export class Exchange implements ParserEvents {
  declare private connection: Connection | undefined;
  declare private abandon: (() => void) | undefined;
  declare private parser: ResponseParser;
  declare private stream: BodyStream | undefined;
  declare private timer: { clear(): void } | undefined;
  declare private resolve: ((response: Response) => void) | undefined; // dropped once settled
  declare private reject: ((error: HttpError) => void) | undefined;
  declare private settled: boolean;
  declare private finished: boolean;
  declare private keepAlive: boolean;
  declare private onFinished: (() => void) | undefined;
  declare private marks: Record<string, number>;
  declare private lastData: number;
  declare private readonly timings: Timings;
  declare readonly promise: Promise<Response>;
  declare readonly pool: Pool;
  declare readonly url: URL;
  declare readonly method: string;
  declare readonly headers: [string, string][];
  declare readonly body: Body;
  declare readonly options: RequestOptions;

  constructor(pool: Pool, url: URL, method: string, headers: [string, string][], body: Body, options: RequestOptions) {
    this.pool = pool;
    this.url = url;
    this.method = method;
    this.headers = headers;
    this.body = body;
    this.options = options;
    this.settled = this.finished = this.keepAlive = false;
    this.connection = this.abandon = this.stream = this.timer = this.onFinished = undefined;
    this.marks = {};
    this.lastData = 0;
    this.timings = { dns: 0, connect: 0, tls: 0, firstByte: 0, body: -1 };
    this.parser = new ResponseParser(this, { maxHeaderBytes: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes });
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Calls `callback` once this exchange has ended: body complete, or failed. */
  whenFinished(callback: () => void): void {
    if (this.finished)
      callback();
    else
      this.onFinished = callback;
  }

  private get host(): string {
    return this.url.hostname;
  }

  private timeout(phase: "connect" | "headers" | "idle"): number {
    return this.options.timeouts?.[phase] ?? DEFAULTS[phase];
  }

  async start(retried = false): Promise<void> {
    // Continue from the job queue: the caller's frames leave the stack before the connect path (dns →
    // socket → TLS) nests its own. XS's default stack is 384 slots; without this it overflowed there.
    await undefined;
    if (this.finished)
      return; // aborted or timed out before it began
    let head: string;
    try {
      head = this.head(); // validated before any connection is made
    }
    catch (error) {
      this.fail(withContext(error, this.host, "request"));
      return;
    }
    const origin = originOf(this.url);
    const connectMs = this.timeout("connect");
    this.arm(connectMs, "ERR_CONNECT_TIMEOUT", `no connection within ${connectMs} ms`, "connect");
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
    if (this.finished) {
      this.pool.release(connection, false);
      return;
    }
    this.connection = connection;
    if (connection.uses++ > 0)
      httpStats.reused++;
    this.parser.expect(this.method);
    connection.events = new Wire(this, retried);
    this.mark("send");
    const headersMs = this.timeout("headers");
    this.arm(headersMs, "ERR_HEADERS_TIMEOUT", `no response head within ${headersMs} ms`, "headers");
    try {
      await this.send(connection, head);
    }
    catch (error) {
      this.fail(withContext(error, this.host, "send"));
    }
  }

  private head(): string {
    const { bytes, stream } = this.body;
    return serializeHead({
      method: this.method,
      target: this.url.pathname + this.url.search,
      host: this.url.host,
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
      if (this.finished)
        return;
      const chunk = typeof piece === "string" ? utf8Bytes(piece) : piece;
      if (!chunk.length)
        continue;
      connection.write(chunkHeader(chunk.length));
      connection.write(chunk);
      connection.write("\r\n");
      await connection.drained();
    }
    if (!this.finished)
      connection.write(LAST_CHUNK);
  }

  private arm(ms: number, code: HttpErrorCode, message: string, phase: HttpPhase): void {
    this.timer?.clear();
    this.timer = deadline(ms, () => {
      // the connect deadline covers dns, connect and tls: name the one it ran out in
      const marks = this.marks;
      const at = phase !== "connect" ? phase : marks.tls ? "tls" : marks.connect ? "connect" : marks.dns ? "dns" : phase;
      this.fail(new HttpError(code, message, { host: this.host, phase: at }));
    });
  }

  /**
   * The body's idle deadline: one timer per quiet period, not one per chunk. A chunk only notes its time;
   * when the timer fires early because data came meanwhile, it is set again for the rest of the period.
   */
  private armIdle(ms: number): void {
    this.timer?.clear();
    this.lastData = Date.now();
    const check = () => {
      const quiet = Date.now() - this.lastData;
      if (quiet >= ms)
        this.fail(new HttpError("ERR_IDLE_TIMEOUT", `body stalled for ${ms} ms`, { host: this.host, phase: "body" }));
      else
        this.timer = deadline(ms - quiet, check);
    };
    this.timer = deadline(ms, check);
  }

  /** Notes when a phase began; the time since the previous one goes to that phase. */
  private mark(name: "dns" | "connect" | "tls" | "send" | "done"): void {
    const now = Date.now();
    const marks = this.marks;
    marks[name] = now;
    const t = this.timings;
    if (name === "connect" && marks.dns)
      t.dns = now - marks.dns;
    else if (name === "tls" && marks.connect)
      t.connect = now - marks.connect;
    else if (name === "send") {
      if (marks.tls)
        t.tls = now - marks.tls;
      else if (marks.connect)
        t.connect = now - marks.connect;
    }
    else if (name === "done" && marks.head)
      t.body = now - marks.head;
  }

  /** Bytes from the connection. */
  receive(bytes: Uint8Array): void {
    if (!this.marks.first) {
      this.marks.first = Date.now();
      if (this.marks.send)
        this.timings.firstByte = this.marks.first - this.marks.send;
      if (this.url.protocol === "http:" && startsTlsRecord(bytes)) { // no HTTP response starts with bytes 20 to 23
        this.fail(new HttpError("ERR_INVALID_RESPONSE", "the server answered with TLS: use https://", { host: this.host, phase: "headers" }));
        return;
      }
    }
    const parser = this.parser;
    let offset = 0;
    try {
      while (offset < bytes.length && !this.finished) {
        offset += parser.push(offset ? bytes.subarray(offset) : bytes);
        if (parser.complete)
          break; // bytes past a complete response: a non-keep-alive peer's noise, or a protocol error below
      }
      if (parser.complete)
        this.release(offset === bytes.length); // bytes past the response: never reuse that connection
      else if (this.stream && !this.finished)
        this.lastData = Date.now(); // the idle deadline reads it when it fires: no timer per chunk
    }
    catch (error) {
      this.fail(withContext(error, this.host, this.stream ? "body" : "headers"));
    }
  }

  /** The connection has ended. */
  ended(error: HttpError | undefined, retried: boolean): void {
    if (this.finished)
      return;
    const connection = this.connection;
    if (this.parser.idle && connection && connection.uses > 1 && !retried && IDEMPOTENT.has(this.method) && !this.body.stream) {
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
      if (!this.marks.first && this.url.protocol === "http:" && finishError instanceof HttpError && finishError.code === "ERR_TRUNCATED") {
        // OpenSSL's servers close a plain-HTTP request without a byte (nginx answers 400, which parses)
        this.fail(new HttpError("ERR_TRUNCATED", "the server closed the connection without answering (an HTTPS server does that to plain HTTP: is the URL https://?)", { host: this.host, phase: "headers" }));
        return;
      }
      this.fail(withContext(finishError, this.host, this.stream ? "body" : "headers"));
    }
  }

  /** ParserEvents: the head has arrived. */
  onHead(head: ResponseHead): void {
    this.marks.head = Date.now();
    this.timer?.clear();
    this.stream = new BodyStream(this);
    const response = new Response(head, this.url.href, this.stream, this.options.maxBodyBytes ?? DEFAULTS.maxBodyBytes, this.timings);
    this.keepAlive = head.keepAlive && !this.headers.some(([name, value]) => name.toLowerCase() === "connection" && /\bclose\b/i.test(value));
    this.settled = true;
    const resolve = this.resolve!;
    this.resolve = this.reject = undefined;
    const onBody = this.options.onBody;
    if (onBody && !isFollowedRedirect(response, this.options))
      Response.attach(response, onBody); // a redirect the client follows keeps its body from onBody
    resolve(response);
    if (head.bodyKind !== "none")
      this.armIdle(this.timeout("idle"));
  }

  /** ParserEvents: body bytes, a view valid during the call (the connection hands over fresh buffers). */
  onData(chunk: Uint8Array): void {
    this.stream?.push(chunk);
  }

  /** ParserEvents: the response is complete. */
  onComplete(): void {
    if (this.finished)
      return; // failed already (a consume() callback threw while this response was being parsed)
    this.mark("done");
    this.finished = true;
    this.timer?.clear();
    this.stream?.end();
    this.onFinished?.();
  }

  /** The response is complete: the connection goes back to the pool if both sides allow it. */
  private release(clean: boolean): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection)
      this.pool.release(connection, clean && this.keepAlive);
  }

  /** BodyStream: the reader stopped before the end (or its callback threw): the connection is not reused. */
  abortBody(): void {
    this.fail(new HttpError("ERR_ABORTED", "body not read to its end", { host: this.host, phase: "body" }), true);
  }

  /** Ends the exchange with `error`: rejects the response, or ends its body with it. */
  fail(error: HttpError, quiet = false): void {
    if (this.finished)
      return;
    this.finished = true;
    this.timer?.clear();
    const connection = this.connection;
    this.connection = undefined;
    if (connection)
      this.pool.release(connection, false);
    else
      this.abandon?.();
    if (!this.settled) {
      this.settled = true;
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
