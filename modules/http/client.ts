// HTTP/1.1 client: keep-alive pool, redirects, per-phase deadlines, abort, streaming bodies.
//
// A request goes: acquire a connection (pooled, or dns → connect → tls, under `timeouts.connect`) →
// send head and body → head arrives (under `timeouts.headers`) → body streams (each silence under
// `timeouts.idle`) → the connection returns to the pool when the response allows, else closes.
// `timeouts.total` and `signal` end it at any phase. Every failure is an HttpError; each request settles
// once; no exception leaves a socket callback.
import Timer from "timer";
import { URL } from "url";
import { utf8Bytes, utf8Text } from "http/text";
import { secureOptions, type TlsOptions } from "http/transport/secure-options";
import { HttpError, withContext, type HttpErrorCode, type HttpPhase } from "http/errors";
import { ResponseParser, type ParserEvents, type ResponseHead } from "http/protocol/response-parser";
import { chunkHeader, hasHeader, LAST_CHUNK, serializeHead } from "http/protocol/request-serializer";
import { headerList, LIMITS, type HeaderInit } from "http/protocol/fields";
import { Connection, type ConnectionEvents, type Origin } from "http/transport/connection";
import { httpStats } from "http/stats";
import { startsTlsRecord } from "tls/report";

export { HttpError } from "http/errors";
export type { HttpErrorCode, HttpPhase } from "http/errors";
export type { HeaderInit } from "http/protocol/fields";

/** Deadlines in ms, one per phase. 0 turns one off. */
export interface Timeouts {
  /** Name resolution, TCP connect and TLS handshake (and waiting for a pooled socket). Default 10000. */
  connect?: number;
  /** From sending the request to the end of the response head. Default 30000. */
  headers?: number;
  /** Longest silence while the body arrives. Default 30000. */
  idle?: number;
  /** The whole request, redirects included, until the body has arrived. Default 0 (none). */
  total?: number;
}

/** What `signal` needs: an AbortSignal, or anything with `aborted` and `addEventListener("abort")`. */
export interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

/** A request body: text, bytes, a JSON-able object, or an async iterable of chunks (sent chunked). */
export type BodyInit = string | ArrayBuffer | ArrayBufferView | AsyncIterable<Uint8Array | string> | Record<string, unknown> | unknown[] | null;

export interface RequestOptions {
  /** Any token. Default "GET". */
  method?: string;
  headers?: HeaderInit;
  body?: BodyInit;
  /** "follow" (default), "manual" (return the 3xx), or "error" (fail on a redirect). */
  redirect?: "follow" | "manual" | "error";
  /** Redirects followed before ERR_TOO_MANY_REDIRECTS. Default 5. */
  maxRedirects?: number;
  /** Follow https → http redirects. Default false (ERR_REDIRECT_DOWNGRADE). */
  allowDowngrade?: boolean;
  timeouts?: Timeouts;
  signal?: SignalLike;
  /** Limit on the response's status line and headers. Default 8192. */
  maxHeaderBytes?: number;
  /** Limit on what text(), json() and arrayBuffer() collect. Default 65536. */
  maxBodyBytes?: number;
  /** https: verification and TLS settings (see http/transport/secure-options). Default: verified against certs/, TLS 1.2. */
  tls?: TlsOptions;
  /**
   * Takes the final response's body from its first byte, chunk by chunk, in the socket's callback (see
   * Response.consume()): nothing waits in a queue between the head and the first read, which over TLS
   * would be up to a record (16 KB). `await response.consume()` then tells when it has ended.
   */
  onBody?: (chunk: Uint8Array, response: Response) => void;
}

/** Where a response's time went, in ms. A reused connection spends 0 in dns, connect and tls. */
export interface Timings {
  dns: number;
  connect: number;
  tls: number;
  /** From sending the request to the first byte of the response. */
  firstByte: number;
  /** From the end of the head to the end of the body; -1 until the body has arrived. */
  body: number;
}

export interface ClientOptions {
  /** Connections per origin, in use and idle together. Default 2. */
  maxSocketsPerOrigin?: number;
  /** How long an idle pooled connection is kept, ms. Default 5000. */
  idleTimeout?: number;
}

const DEFAULTS = { connect: 10000, headers: 30000, idle: 30000, total: 0, maxHeaderBytes: LIMITS.responseHeaderBytes, maxBodyBytes: 65536 };
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Response header fields: case-insensitive, repeats kept. */
export class ResponseHeaders {
  readonly #list: [string, string][];
  constructor(list: [string, string][]) {
    this.#list = list;
  }
  /** The field's values joined with ", ", or null. */
  get(name: string): string | null {
    const values = this.getAll(name);
    return values.length ? values.join(", ") : null;
  }
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.#list.filter(([n]) => n === lower).map(([, value]) => value);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.#list.some(([n]) => n === lower);
  }
  /** [lower-case name, value] in arrival order. */
  entries(): IterableIterator<[string, string]> {
    return this.#list[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** The body as it arrives: Uint8Array chunks, read once. Stopping early releases the connection. */
class BodyStream implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: HttpError | undefined;
  #waiter: ((step: IteratorResult<Uint8Array>) => void) | undefined;
  #failer: ((error: HttpError) => void) | undefined;
  #locked = false;
  #sink: { take(chunk: Uint8Array): void; done(): void; fail(error: unknown): void } | undefined;
  readonly #owner: { abortBody(): void };
  constructor(owner: { abortBody(): void }) {
    this.#owner = owner;
  }
  push(chunk: Uint8Array): void {
    const sink = this.#sink;
    if (sink) {
      try {
        sink.take(chunk);
      }
      catch (error) {
        this.#sink = undefined;
        this.#owner.abortBody(); // ends the exchange and closes its connection: the rest of the body is not wanted
        sink.fail(error);
      }
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = this.#failer = undefined;
      waiter({ value: chunk, done: false });
    }
    else
      this.#chunks.push(chunk);
  }
  end(error?: HttpError): void {
    if (this.#ended)
      return;
    this.#ended = true;
    this.#error = error;
    const sink = this.#sink;
    this.#sink = undefined;
    if (error)
      sink?.fail(error);
    else
      sink?.done();
    if (error && this.#failer)
      this.#failer(error);
    else
      this.#waiter?.({ value: undefined, done: true });
    this.#waiter = this.#failer = undefined;
  }
  get ended(): boolean {
    return this.#ended;
  }
  get locked(): boolean {
    return this.#locked;
  }
  #lock(): void {
    if (this.#locked)
      throw new HttpError("ERR_INVALID_REQUEST", "the response body was already read");
    this.#locked = true;
  }
  /** Hands every chunk to `onChunk` as it arrives (in the socket's callback); resolves with the byte count. */
  consume(onChunk: (chunk: Uint8Array) => void): Promise<number> {
    this.#lock();
    return new Promise((resolve, reject) => {
      let total = 0;
      const sink = {
        take(chunk: Uint8Array) {
          total += chunk.length;
          onChunk(chunk);
        },
        done: () => resolve(total),
        fail: reject,
      };
      this.#sink = sink;
      const queued = this.#chunks;
      this.#chunks = [];
      for (const chunk of queued) // what came before consume() was called, in order
        if (this.#sink)
          this.push(chunk);
      if (this.#ended && this.#sink) {
        this.#sink = undefined;
        if (this.#error)
          sink.fail(this.#error);
        else
          sink.done();
      }
    });
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#lock();
    return {
      next: () => {
        if (this.#chunks.length)
          return Promise.resolve({ value: this.#chunks.shift()!, done: false });
        if (this.#error)
          return Promise.reject(this.#error);
        if (this.#ended)
          return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.#waiter = resolve;
          this.#failer = reject;
        });
      },
      return: () => {
        this.#chunks.length = 0;
        if (!this.#ended)
          this.#owner.abortBody();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export class Response {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ResponseHeaders;
  /** The URL that answered, after redirects. */
  url: string;
  /** Whether a redirect was followed. */
  redirected = false;
  readonly body: AsyncIterable<Uint8Array>;
  /** Filled as the exchange goes; `body` once the body has arrived. */
  readonly timings: Timings;
  readonly #stream: BodyStream;
  /** The body's end when `onBody` took it. */
  #consumed: Promise<number> | undefined;
  readonly #maxBodyBytes: number;
  readonly #host: string;

  constructor(head: ResponseHead, url: string, stream: BodyStream, maxBodyBytes: number, timings: Timings) {
    this.timings = timings;
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = new ResponseHeaders(head.headers);
    this.url = url;
    this.body = stream;
    this.#stream = stream;
    this.#maxBodyBytes = maxBodyBytes;
    this.#host = new URL(url).hostname;
  }

  /** The whole body as bytes, at most maxBodyBytes (else ERR_BODY_TOO_LARGE). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const limit = this.#maxBodyBytes;
    const declared = Number(this.headers.get("content-length") ?? -1);
    const iterator = this.#stream[Symbol.asyncIterator]();
    const tooLarge = () => new HttpError("ERR_BODY_TOO_LARGE", `body exceeds maxBodyBytes (${limit})`, { host: this.#host, phase: "body" });
    if (declared > limit) {
      await iterator.return?.();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const step = await iterator.next();
      if (step.done)
        break;
      total += step.value.length;
      if (total > limit) {
        await iterator.return?.();
        throw tooLarge();
      }
      chunks.push(step.value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out.buffer;
  }

  /**
   * Reads the body by handing each chunk to `onChunk` as it arrives, inside the socket's callback, as the
   * SDK's own Request does: from then on no chunk waits in a queue for an `await`. What arrived before the
   * call (over TLS, up to the record that came with the head) is handed over first; for nothing to wait at
   * all, give `onBody` with the request, then call consume() without a callback to wait for the end.
   * `onChunk` must not block; a chunk may be kept. Resolves with the number of body bytes once the body
   * has ended; rejects with the HttpError that ended it, or with what `onChunk` threw (the connection is
   * then closed, not reused). The body is read once.
   */
  consume(onChunk?: (chunk: Uint8Array) => void): Promise<number> {
    const consumed = this.#consumed;
    if (consumed && !onChunk)
      return consumed;
    try {
      if (!onChunk && !this.#stream.locked)
        throw new HttpError("ERR_INVALID_REQUEST", "consume() needs a callback unless the request had onBody", { host: this.#host, phase: "body" });
      return this.#stream.consume(onChunk!);
    }
    catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal Hands the body to `onBody` from its first byte (called by the exchange as the head arrives). */
  static attach(response: Response, onBody: (chunk: Uint8Array, response: Response) => void): void {
    const consumed = response.#stream.consume((chunk) => onBody(chunk, response));
    consumed.catch(() => undefined); // handled here too: a caller need not wait for consume()
    response.#consumed = consumed;
  }

  async text(): Promise<string> {
    return utf8Text(await this.arrayBuffer());
  }

  async json(): Promise<unknown> {
    const text = await this.text();
    try {
      return JSON.parse(text);
    }
    catch {
      throw new HttpError("ERR_INVALID_RESPONSE", "body is not JSON", { host: this.#host, phase: "body" });
    }
  }

  /** Reads and drops the body (at most 64 KB, else closes the connection): to release it. */
  async discard(): Promise<void> {
    if (this.#stream.ended)
      return;
    const iterator = this.#stream[Symbol.asyncIterator]();
    let total = 0;
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done)
          return;
        total += step.value.length;
        if (total > 65536) {
          await iterator.return?.();
          return;
        }
      }
    }
    catch {
      // the connection is gone either way
    }
  }
}

interface Body {
  bytes?: Uint8Array;
  stream?: AsyncIterable<Uint8Array | string>;
  contentType?: string;
}

function prepareBody(body: BodyInit | undefined): Body {
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
  #timer: ReturnType<typeof Timer.set> | undefined;
  constructor(ms: number, fire: () => void) {
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      fire();
    }, ms);
  }
  clear(): void {
    if (this.#timer)
      Timer.clear(this.#timer);
    this.#timer = undefined;
  }
}

/** What a deadline of 0 (off) is: one shared object, nothing allocated per request. */
const NO_DEADLINE: { clear(): void } = { clear() {} };

function deadline(ms: number, fire: () => void): { clear(): void } {
  return ms > 0 ? new Deadline(ms, fire) : NO_DEADLINE;
}

/** The connection's events while an exchange has it: one small object, no closures. */
class Wire implements ConnectionEvents {
  constructor(readonly exchange: Exchange, readonly retried: boolean) {}
  onData(bytes: Uint8Array): void {
    this.exchange.receive(bytes);
  }
  onEnd(error?: HttpError): void {
    this.exchange.ended(error, this.retried);
  }
}

/**
 * One request and its response on one connection. Settles once; `fail` is safe from anywhere. It is its
 * parser's events object itself (onHead, onData, onComplete): a request allocates as few closures as it can.
 */
class Exchange implements ParserEvents {
  #connection: Connection | undefined;
  #abandon: (() => void) | undefined;
  #parser: ResponseParser;
  #stream: BodyStream | undefined;
  #timer: { clear(): void } | undefined;
  #resolve: ((response: Response) => void) | undefined; // dropped once settled
  #reject: ((error: HttpError) => void) | undefined;
  #settled = false;
  #finished = false;
  #keepAlive = false;
  #onFinished: (() => void) | undefined;
  #marks: Record<string, number> = {};
  #lastData = 0;
  readonly #timings: Timings = { dns: 0, connect: 0, tls: 0, firstByte: 0, body: -1 };
  readonly promise: Promise<Response>;

  constructor(
    readonly client: HttpClient,
    readonly url: URL,
    readonly method: string,
    readonly headers: [string, string][],
    readonly body: Body,
    readonly options: RequestOptions,
  ) {
    this.#parser = new ResponseParser(this, { maxHeaderBytes: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes });
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Calls `callback` once this exchange has ended: body complete, or failed. */
  whenFinished(callback: () => void): void {
    if (this.#finished)
      callback();
    else
      this.#onFinished = callback;
  }

  get #host(): string {
    return this.url.hostname;
  }

  #timeout(phase: "connect" | "headers" | "idle"): number {
    return this.options.timeouts?.[phase] ?? DEFAULTS[phase];
  }

  async start(retried = false): Promise<void> {
    // Continue from the job queue: the caller's frames leave the stack before the connect path (dns →
    // socket → TLS) nests its own. XS's default stack is 384 slots; without this it overflowed there.
    await undefined;
    if (this.#finished)
      return; // aborted or timed out before it began
    let head: string;
    try {
      head = this.#head(); // validated before any connection is made
    }
    catch (error) {
      this.fail(withContext(error, this.#host, "request"));
      return;
    }
    const origin = originOf(this.url);
    const connectMs = this.#timeout("connect");
    this.#arm(connectMs, "ERR_CONNECT_TIMEOUT", `no connection within ${connectMs} ms`, "connect");
    let connection: Connection;
    try {
      const acquired = this.client.acquire(origin, this.options.tls, retried, (name) => this.#mark(name));
      this.#abandon = acquired.abandon;
      connection = await acquired.ready;
      this.#abandon = undefined;
    }
    catch (error) {
      this.fail(withContext(error, this.#host, "connect"));
      return;
    }
    if (this.#finished) {
      this.client.release(connection, false);
      return;
    }
    this.#connection = connection;
    if (connection.uses++ > 0)
      httpStats.reused++;
    this.#parser.expect(this.method);
    connection.events = new Wire(this, retried);
    this.#mark("send");
    const headersMs = this.#timeout("headers");
    this.#arm(headersMs, "ERR_HEADERS_TIMEOUT", `no response head within ${headersMs} ms`, "headers");
    try {
      await this.#send(connection, head);
    }
    catch (error) {
      this.fail(withContext(error, this.#host, "send"));
    }
  }

  #head(): string {
    const { bytes, stream } = this.body;
    return serializeHead({
      method: this.method,
      target: this.url.pathname + this.url.search,
      host: this.url.host,
      headers: this.headers,
      body: stream ? "chunked" : bytes ? bytes.length : this.method === "POST" || this.method === "PUT" ? 0 : "none",
    });
  }

  async #send(connection: Connection, head: string): Promise<void> {
    const { bytes, stream } = this.body;
    connection.write(head);
    if (bytes)
      connection.write(bytes);
    if (!stream)
      return;
    for await (const piece of stream) {
      if (this.#finished)
        return;
      const chunk = typeof piece === "string" ? utf8Bytes(piece) : piece;
      if (!chunk.length)
        continue;
      connection.write(chunkHeader(chunk.length));
      connection.write(chunk);
      connection.write("\r\n");
      await connection.drained();
    }
    if (!this.#finished)
      connection.write(LAST_CHUNK);
  }

  #arm(ms: number, code: HttpErrorCode, message: string, phase: HttpPhase): void {
    this.#timer?.clear();
    this.#timer = deadline(ms, () => {
      // the connect deadline covers dns, connect and tls: name the one it ran out in
      const marks = this.#marks;
      const at = phase !== "connect" ? phase : marks.tls ? "tls" : marks.connect ? "connect" : marks.dns ? "dns" : phase;
      this.fail(new HttpError(code, message, { host: this.#host, phase: at }));
    });
  }

  /**
   * The body's idle deadline: one timer per quiet period, not one per chunk. A chunk only notes its time;
   * when the timer fires early because data came meanwhile, it is set again for the rest of the period.
   */
  #armIdle(ms: number): void {
    this.#timer?.clear();
    this.#lastData = Date.now();
    const check = () => {
      const quiet = Date.now() - this.#lastData;
      if (quiet >= ms)
        this.fail(new HttpError("ERR_IDLE_TIMEOUT", `body stalled for ${ms} ms`, { host: this.#host, phase: "body" }));
      else
        this.#timer = deadline(ms - quiet, check);
    };
    this.#timer = deadline(ms, check);
  }

  /** Notes when a phase began; the time since the previous one goes to that phase. */
  #mark(name: "dns" | "connect" | "tls" | "send" | "done"): void {
    const now = Date.now();
    const marks = this.#marks;
    marks[name] = now;
    const t = this.#timings;
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
    if (!this.#marks.first) {
      this.#marks.first = Date.now();
      if (this.#marks.send)
        this.#timings.firstByte = this.#marks.first - this.#marks.send;
      if (this.url.protocol === "http:" && startsTlsRecord(bytes)) { // no HTTP response starts with bytes 20 to 23
        this.fail(new HttpError("ERR_INVALID_RESPONSE", "the server answered with TLS: use https://", { host: this.#host, phase: "headers" }));
        return;
      }
    }
    const parser = this.#parser;
    let offset = 0;
    try {
      while (offset < bytes.length && !this.#finished) {
        offset += parser.push(offset ? bytes.subarray(offset) : bytes);
        if (parser.complete)
          break; // bytes past a complete response: a non-keep-alive peer's noise, or a protocol error below
      }
      if (parser.complete)
        this.#release(offset === bytes.length); // bytes past the response: never reuse that connection
      else if (this.#stream && !this.#finished)
        this.#lastData = Date.now(); // the idle deadline reads it when it fires: no timer per chunk
    }
    catch (error) {
      this.fail(withContext(error, this.#host, this.#stream ? "body" : "headers"));
    }
  }

  /** The connection has ended. */
  ended(error: HttpError | undefined, retried: boolean): void {
    if (this.#finished)
      return;
    const connection = this.#connection;
    if (this.#parser.idle && connection && connection.uses > 1 && !retried && IDEMPOTENT.has(this.method) && !this.body.stream) {
      // The pooled connection had been closed by the server: try once more on a fresh one.
      this.#connection = undefined;
      this.client.release(connection, false);
      this.start(true);
      return;
    }
    if (error) {
      this.fail(withContext(error, this.#host, this.#stream ? "body" : "headers"));
      return;
    }
    try {
      this.#parser.finish();
      this.#release(false);
    }
    catch (finishError) {
      if (!this.#marks.first && this.url.protocol === "http:" && finishError instanceof HttpError && finishError.code === "ERR_TRUNCATED") {
        // OpenSSL's servers close a plain-HTTP request without a byte (nginx answers 400, which parses)
        this.fail(new HttpError("ERR_TRUNCATED", "the server closed the connection without answering (an HTTPS server does that to plain HTTP: is the URL https://?)", { host: this.#host, phase: "headers" }));
        return;
      }
      this.fail(withContext(finishError, this.#host, this.#stream ? "body" : "headers"));
    }
  }

  /** ParserEvents: the head has arrived. */
  onHead(head: ResponseHead): void {
    this.#marks.head = Date.now();
    this.#timer?.clear();
    this.#stream = new BodyStream(this);
    const response = new Response(head, this.url.href, this.#stream, this.options.maxBodyBytes ?? DEFAULTS.maxBodyBytes, this.#timings);
    this.#keepAlive = head.keepAlive && !this.headers.some(([name, value]) => name.toLowerCase() === "connection" && /\bclose\b/i.test(value));
    this.#settled = true;
    const resolve = this.#resolve!;
    this.#resolve = this.#reject = undefined;
    const onBody = this.options.onBody;
    if (onBody && !(REDIRECTS.has(head.status) && response.headers.get("location") !== null && (this.options.redirect ?? "follow") !== "manual"))
      Response.attach(response, onBody); // a redirect the client handles keeps its body from onBody
    resolve(response);
    if (head.bodyKind !== "none")
      this.#armIdle(this.#timeout("idle"));
  }

  /** ParserEvents: body bytes, a view valid during the call (the connection hands over fresh buffers). */
  onData(chunk: Uint8Array): void {
    this.#stream?.push(chunk);
  }

  /** ParserEvents: the response is complete. */
  onComplete(): void {
    if (this.#finished)
      return; // failed already (a consume() callback threw while this response was being parsed)
    this.#mark("done");
    this.#finished = true;
    this.#timer?.clear();
    this.#stream?.end();
    this.#onFinished?.();
  }

  /** The response is complete: the connection goes back to the pool if both sides allow it. */
  #release(clean: boolean): void {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection)
      this.client.release(connection, clean && this.#keepAlive);
  }

  /** BodyStream: the reader stopped before the end (or its callback threw): the connection is not reused. */
  abortBody(): void {
    this.fail(new HttpError("ERR_ABORTED", "body not read to its end", { host: this.#host, phase: "body" }), true);
  }

  /** Ends the exchange with `error`: rejects the response, or ends its body with it. */
  fail(error: HttpError, quiet = false): void {
    if (this.#finished)
      return;
    this.#finished = true;
    this.#timer?.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection)
      this.client.release(connection, false);
    else
      this.#abandon?.();
    if (!this.#settled) {
      this.#settled = true;
      const reject = this.#reject!;
      this.#resolve = this.#reject = undefined;
      reject(error);
    }
    else if (!quiet)
      this.#stream?.end(error);
    else
      this.#stream?.end();
    this.#onFinished?.();
  }
}

export class HttpClient {
  readonly #idle = new Map<string, Connection[]>();
  readonly #count = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();
  readonly #idleTimers = new Map<Connection, { clear(): void }>();
  readonly #maxSockets: number;
  readonly #idleTimeout: number;
  #closed = false;

  constructor(options: ClientOptions = {}) {
    this.#maxSockets = options.maxSocketsPerOrigin ?? 2;
    this.#idleTimeout = options.idleTimeout ?? 5000;
  }

  /** Makes a request; resolves when the response head has arrived. */
  async request(href: string, options: RequestOptions = {}): Promise<Response> {
    if (this.#closed)
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
        const location = response.headers.get("location");
        const mode = options.redirect ?? "follow";
        if (!REDIRECTS.has(response.status) || location === null || mode === "manual") {
          response.redirected = redirects > 0;
          if (cleanup)
            current.whenFinished(cleanup); // the total deadline and the signal guard the body too
          return response;
        }
        await response.discard();
        // Rarely needed, so not part of this module: loaded on the first redirect (preloaded on a device).
        const { nextHop } = await import("http/client/redirect");
        ({ url, method, headers, body } = nextHop(response.status, location, { url, method, headers, body }, options, redirects, {}));
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
          this.#wake(origin.key); // pass on the wake-up this waiter will not use
          throw new HttpError("ERR_ABORTED", "abandoned", { host: origin.hostname, phase: "connect" });
        }
        const pooled = fresh ? undefined : this.#takeIdle(origin.key);
        if (pooled)
          return pooled;
        if ((this.#count.get(origin.key) ?? 0) < this.#maxSockets)
          break;
        if (fresh && this.#closeOneIdle(origin.key))
          continue;
        await new Promise<void>((resolve) => {
          const list = this.#waiting.get(origin.key) ?? [];
          list.push(resolve);
          this.#waiting.set(origin.key, list);
        });
      }
      this.#count.set(origin.key, (this.#count.get(origin.key) ?? 0) + 1);
      const opened = Connection.open(origin, secure?.secure, phase);
      opening = opened;
      try {
        return await opened.ready;
      }
      catch (error) {
        this.#forget(origin.key);
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
    if (!reusable || connection.closed || this.#closed) {
      connection.events = undefined;
      connection.close();
      this.#forget(key);
      return;
    }
    const list = this.#idle.get(key) ?? [];
    list.push(connection);
    this.#idle.set(key, list);
    const drop = () => {
      this.#removeIdle(connection);
      connection.close();
      this.#forget(key);
    };
    connection.events = { onData: drop, onEnd: drop }; // an idle connection must stay silent
    this.#idleTimers.set(connection, deadline(this.#idleTimeout, drop));
    this.#wake(key);
  }

  /** Closes every pooled connection; later requests fail. */
  close(): void {
    this.#closed = true;
    for (const list of Array.from(this.#idle.values()))
      for (const connection of list.slice())
        connection.events?.onEnd();
  }

  #takeIdle(key: string): Connection | undefined {
    const list = this.#idle.get(key);
    while (list?.length) {
      const connection = list.pop()!;
      this.#idleTimers.get(connection)?.clear();
      this.#idleTimers.delete(connection);
      if (!connection.closed)
        return connection;
      this.#forget(key);
    }
    return undefined;
  }

  #closeOneIdle(key: string): boolean {
    const connection = this.#idle.get(key)?.[0];
    if (!connection)
      return false;
    connection.events?.onEnd();
    return true;
  }

  #removeIdle(connection: Connection): void {
    const list = this.#idle.get(connection.origin.key);
    const at = list?.indexOf(connection) ?? -1;
    if (list && at >= 0)
      list.splice(at, 1);
    this.#idleTimers.get(connection)?.clear();
    this.#idleTimers.delete(connection);
  }

  #forget(key: string): void {
    this.#count.set(key, Math.max(0, (this.#count.get(key) ?? 1) - 1));
    this.#wake(key);
  }

  #wake(key: string): void {
    this.#waiting.get(key)?.shift()?.();
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
