// What a request resolves with: Response (status, headers, the ways to read the body), its
// ResponseHeaders, and the BodyStream that carries the body from the exchange to whichever reader takes it.
import { utf8Text } from "http/text";
import { HttpError } from "http/errors";
import type { ResponseHead } from "http/protocol/response-parser";
import type { Timings } from "http/client/options";

/**
 * Response header fields: case-insensitive, repeats kept. Held as one string, "\nname:value" per field (names
 * lower-cased; the parser refuses control characters in values, so none holds a line break): a response
 * keeps one string, not an array per field (docs/performance.md, "Memory (#22)").
 */
export class ResponseHeaders {
  declare private readonly text: string;
  constructor(list: [string, string][]) {
    let text = "";
    for (const [name, value] of list)
      text += `\n${name}:${value}`;
    this.text = text;
  }
  /** The field's values joined with ", ", or null. */
  get(name: string): string | null {
    const values = this.getAll(name);
    return values.length ? values.join(", ") : null;
  }
  getAll(name: string): string[] {
    const text = this.text;
    const key = `\n${name.toLowerCase()}:`;
    const values: string[] = [];
    for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
      const start = at + key.length;
      const end = text.indexOf("\n", start);
      values.push(text.slice(start, end < 0 ? text.length : end));
    }
    return values;
  }
  has(name: string): boolean {
    return this.text.indexOf(`\n${name.toLowerCase()}:`) >= 0;
  }
  /** [lower-case name, value] in arrival order. */
  entries(): IterableIterator<[string, string]> {
    const text = this.text;
    const list: [string, string][] = [];
    for (let at = 0; at < text.length;) {
      const colon = text.indexOf(":", at + 1);
      let end = text.indexOf("\n", colon);
      if (end < 0)
        end = text.length;
      list.push([text.slice(at + 1, colon), text.slice(colon + 1, end)]);
      at = end;
    }
    return list[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** What a BodyStream's `state` holds. Const enums: tsc writes the numbers in. */
const enum Body { ENDED = 1, LOCKED = 2, CONSUMING = 4, HOLDING = 8 }

/** What a BodyStream needs of the exchange that fills it. */
export interface BodyOwner {
  abortBody(): void;
  /** The reader is behind: a chunk waits in the queue (the exchange may then read less ahead: TLS). */
  holdBody?(): void;
  /** The reader has caught up: the queue is empty. */
  resumeBody?(): void;
}

/**
 * The body as it arrives: Uint8Array chunks, read once, by `for await` (the stream is its own iterator) or by
 * consume() (chunks handed to a callback in the socket's callback). Stopping early releases the connection.
 * No closure or promise is made per chunk, and none for consume() unless its end is awaited.
 */
export class BodyStream implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  /** What came before a reader asked for it (made on first use: a reader that keeps up never queues). */
  declare private chunks: Uint8Array[] | undefined;
  declare private state: number;
  declare private error: HttpError | undefined;
  /** The reader waiting in next() (for await); or, consuming, whoever awaits the end (settled()). */
  declare private resolve: ((value: never) => void) | undefined;
  declare private reject: ((error: unknown) => void) | undefined;
  /** consume()'s callback, and its second argument (onBody's response). */
  declare private onChunk: ((chunk: Uint8Array, context: never) => void) | undefined;
  declare private context: unknown;
  /** Body bytes handed to onChunk. */
  declare private total: number;
  /** What settled() returned before the end: every caller gets the same promise. */
  declare private ending: Promise<number> | undefined;
  declare private readonly owner: BodyOwner;
  constructor(owner: BodyOwner) {
    this.chunks = this.error = this.resolve = this.reject = this.onChunk = this.context = this.ending = undefined;
    this.state = this.total = 0;
    this.owner = owner;
  }
  push(chunk: Uint8Array): void {
    const onChunk = this.onChunk;
    if (onChunk) {
      this.total += chunk.length;
      try {
        onChunk(chunk, this.context as never);
      }
      catch (error) {
        this.onChunk = undefined;
        this.owner.abortBody(); // ends the exchange and closes its connection: the rest of the body is not wanted
        this.finish(error);
      }
      return;
    }
    const resolve = this.resolve;
    if (resolve && !(this.state & Body.CONSUMING)) {
      this.resolve = this.reject = undefined;
      resolve({ value: chunk, done: false } as never);
    }
    else {
      (this.chunks ??= []).push(chunk);
      if (!(this.state & Body.HOLDING)) {
        this.state |= Body.HOLDING;
        this.owner.holdBody?.();
      }
    }
  }
  /** The queue is empty and a reader waits (or consume() took it): the owner reads ahead again. */
  private resume(): void {
    if (this.state & Body.HOLDING) {
      this.state &= ~Body.HOLDING;
      this.owner.resumeBody?.();
    }
  }
  end(error?: HttpError): void {
    if (this.state & Body.ENDED)
      return;
    this.state |= Body.ENDED;
    this.error = error;
    if (this.state & Body.CONSUMING) {
      if (this.onChunk) {
        this.onChunk = undefined;
        this.finish(error);
      }
      return;
    }
    const resolve = this.resolve;
    const reject = this.reject;
    this.resolve = this.reject = undefined;
    if (error)
      reject?.(error);
    else
      resolve?.({ value: undefined, done: true } as never);
  }
  /** Consuming: the body has ended (with `error`, or what onChunk threw): tells whoever awaits it. */
  private finish(error: unknown): void {
    this.error ??= error as HttpError; // what onChunk threw is the end's reason too
    this.state |= Body.ENDED;
    const resolve = this.resolve;
    const reject = this.reject;
    this.resolve = this.reject = undefined;
    this.context = undefined;
    if (error !== undefined)
      reject?.(error);
    else
      resolve?.(this.total as never);
  }
  get ended(): boolean {
    return (this.state & Body.ENDED) !== 0;
  }
  get locked(): boolean {
    return (this.state & Body.LOCKED) !== 0;
  }
  /** consume() took the body (the request's onBody, or a call). */
  get consuming(): boolean {
    return (this.state & Body.CONSUMING) !== 0;
  }
  private lock(): void {
    if (this.state & Body.LOCKED)
      throw new HttpError("ERR_INVALID_REQUEST", "the response body was already read");
    this.state |= Body.LOCKED;
  }
  /**
   * Hands every chunk to `onChunk(chunk, context)` as it arrives (in the socket's callback), what came
   * before first. settled() then tells when the body has ended.
   */
  consume(onChunk: (chunk: Uint8Array, context: never) => void, context?: unknown): void {
    this.lock();
    this.state |= Body.CONSUMING;
    this.onChunk = onChunk;
    this.context = context;
    const queued = this.chunks;
    this.chunks = undefined;
    if (queued)
      for (const chunk of queued) // what came before consume() was called, in order, unless onChunk throws
        if (this.onChunk as unknown)
          this.push(chunk);
    if (this.onChunk as unknown)
      this.resume();
    if ((this.state & Body.ENDED) && (this.onChunk as unknown)) {
      this.onChunk = undefined;
      this.finish(this.error);
    }
  }
  /** Consuming: resolves with the number of body bytes once the body has ended; rejects with what ended it. */
  settled(): Promise<number> {
    if (this.ending)
      return this.ending;
    if (this.state & Body.ENDED)
      return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve(this.total);
    return this.ending = new Promise((resolve, reject) => {
      this.resolve = resolve as (value: never) => void;
      this.reject = reject;
    });
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.lock();
    return this;
  }
  next(): Promise<IteratorResult<Uint8Array>> {
    const chunks = this.chunks;
    if (chunks?.length)
      return Promise.resolve({ value: chunks.shift()!, done: false });
    if (this.error)
      return Promise.reject(this.error);
    if (this.state & Body.ENDED)
      return Promise.resolve({ value: undefined, done: true });
    const step = new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.resolve = resolve as (value: never) => void;
      this.reject = reject;
    });
    this.resume(); // may push at once, to this reader
    return step;
  }
  return(): Promise<IteratorResult<Uint8Array>> {
    this.chunks = undefined;
    if (!(this.state & Body.ENDED))
      this.owner.abortBody();
    return Promise.resolve({ value: undefined, done: true });
  }
}

export class Response {
  declare readonly status: number;
  declare readonly statusText: string;
  declare readonly headers: ResponseHeaders;
  /** The URL that answered, after redirects. */
  declare url: string;
  /** Whether a redirect was followed. */
  declare redirected: boolean;
  declare readonly body: AsyncIterable<Uint8Array>;
  /** Filled as the exchange goes; `body` once the body has arrived. */
  declare readonly timings: Timings;
  declare private readonly maxBodyBytes: number;
  declare private readonly host: string;

  constructor(head: ResponseHead, url: string, stream: BodyStream, maxBodyBytes: number, timings: Timings, host: string) {
    this.redirected = false;
    this.timings = timings;
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = new ResponseHeaders(head.headers);
    this.url = url;
    this.body = stream;
    this.maxBodyBytes = maxBodyBytes;
    this.host = host;
  }

  /** The body's stream (`body`, typed for the public as an AsyncIterable). */
  private get stream(): BodyStream {
    return this.body as BodyStream;
  }

  /** The whole body as bytes, at most maxBodyBytes (else ERR_BODY_TOO_LARGE). */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const limit = this.maxBodyBytes;
    const declared = Number(this.headers.get("content-length") ?? -1);
    const iterator = this.stream[Symbol.asyncIterator]();
    const tooLarge = () => new HttpError("ERR_BODY_TOO_LARGE", `body exceeds maxBodyBytes (${limit})`, { host: this.host, phase: "body" });
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
    const stream = this.stream;
    try {
      if (onChunk)
        stream.consume(onChunk);
      else if (!stream.consuming)
        throw new HttpError("ERR_INVALID_REQUEST", stream.locked ? "the response body was already read" : "consume() needs a callback unless the request had onBody", { host: this.host, phase: "body" });
      return stream.settled();
    }
    catch (error) {
      return Promise.reject(error);
    }
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
      throw new HttpError("ERR_INVALID_RESPONSE", "body is not JSON", { host: this.host, phase: "body" });
    }
  }

  /** Reads and drops the body (at most 64 KB, else closes the connection): to release it. */
  async discard(): Promise<void> {
    if (this.stream.ended)
      return;
    const iterator = this.stream[Symbol.asyncIterator]();
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
