// What a request resolves with: Response (status, headers, the ways to read the body), its
// ResponseHeaders, and the BodyStream that carries the body from the exchange to whichever reader takes it.
import { URL } from "url";
import { utf8Text } from "http/text";
import { HttpError } from "http/errors";
import type { ResponseHead } from "http/protocol/response-parser";
import type { Timings } from "http/client/options";

/** Response header fields: case-insensitive, repeats kept. */
export class ResponseHeaders {
  declare private readonly list: [string, string][];
  constructor(list: [string, string][]) {
    this.list = list;
  }
  /** The field's values joined with ", ", or null. */
  get(name: string): string | null {
    const values = this.getAll(name);
    return values.length ? values.join(", ") : null;
  }
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.list.filter(([n]) => n === lower).map(([, value]) => value);
  }
  has(name: string): boolean {
    const lower = name.toLowerCase();
    return this.list.some(([n]) => n === lower);
  }
  /** [lower-case name, value] in arrival order. */
  entries(): IterableIterator<[string, string]> {
    return this.list[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** The body as it arrives: Uint8Array chunks, read once. Stopping early releases the connection. */
export class BodyStream implements AsyncIterable<Uint8Array> {
  declare private chunks: Uint8Array[];
  declare private isEnded: boolean;
  declare private error: HttpError | undefined;
  declare private waiter: ((step: IteratorResult<Uint8Array>) => void) | undefined;
  declare private failer: ((error: HttpError) => void) | undefined;
  declare private isLocked: boolean;
  declare private sink: { take(chunk: Uint8Array): void; done(): void; fail(error: unknown): void } | undefined;
  declare private readonly owner: { abortBody(): void };
  constructor(owner: { abortBody(): void }) {
    this.chunks = [];
    this.isEnded = this.isLocked = false;
    this.error = this.waiter = this.failer = this.sink = undefined;
    this.owner = owner;
  }
  push(chunk: Uint8Array): void {
    const sink = this.sink;
    if (sink) {
      try {
        sink.take(chunk);
      }
      catch (error) {
        this.sink = undefined;
        this.owner.abortBody(); // ends the exchange and closes its connection: the rest of the body is not wanted
        sink.fail(error);
      }
      return;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = this.failer = undefined;
      waiter({ value: chunk, done: false });
    }
    else
      this.chunks.push(chunk);
  }
  end(error?: HttpError): void {
    if (this.isEnded)
      return;
    this.isEnded = true;
    this.error = error;
    const sink = this.sink;
    this.sink = undefined;
    if (error)
      sink?.fail(error);
    else
      sink?.done();
    if (error && this.failer)
      this.failer(error);
    else
      this.waiter?.({ value: undefined, done: true });
    this.waiter = this.failer = undefined;
  }
  get ended(): boolean {
    return this.isEnded;
  }
  get locked(): boolean {
    return this.isLocked;
  }
  private lock(): void {
    if (this.isLocked)
      throw new HttpError("ERR_INVALID_REQUEST", "the response body was already read");
    this.isLocked = true;
  }
  /** Hands every chunk to `onChunk` as it arrives (in the socket's callback); resolves with the byte count. */
  consume(onChunk: (chunk: Uint8Array) => void): Promise<number> {
    this.lock();
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
      this.sink = sink;
      const queued = this.chunks;
      this.chunks = [];
      for (const chunk of queued) // what came before consume() was called, in order
        if (this.sink)
          this.push(chunk);
      if (this.isEnded && this.sink) {
        this.sink = undefined;
        if (this.error)
          sink.fail(this.error);
        else
          sink.done();
      }
    });
  }
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.lock();
    return {
      next: () => {
        if (this.chunks.length)
          return Promise.resolve({ value: this.chunks.shift()!, done: false });
        if (this.error)
          return Promise.reject(this.error);
        if (this.isEnded)
          return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiter = resolve;
          this.failer = reject;
        });
      },
      return: () => {
        this.chunks.length = 0;
        if (!this.isEnded)
          this.owner.abortBody();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
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
  declare private readonly stream: BodyStream;
  /** The body's end when `onBody` took it. */
  declare private consumed: Promise<number> | undefined;
  declare private readonly maxBodyBytes: number;
  declare private readonly host: string;

  constructor(head: ResponseHead, url: string, stream: BodyStream, maxBodyBytes: number, timings: Timings) {
    this.redirected = false;
    this.consumed = undefined;
    this.timings = timings;
    this.status = head.status;
    this.statusText = head.statusText;
    this.headers = new ResponseHeaders(head.headers);
    this.url = url;
    this.body = stream;
    this.stream = stream;
    this.maxBodyBytes = maxBodyBytes;
    this.host = new URL(url).hostname;
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
    const consumed = this.consumed;
    if (consumed && !onChunk)
      return consumed;
    try {
      if (!onChunk && !this.stream.locked)
        throw new HttpError("ERR_INVALID_REQUEST", "consume() needs a callback unless the request had onBody", { host: this.host, phase: "body" });
      return this.stream.consume(onChunk!);
    }
    catch (error) {
      return Promise.reject(error);
    }
  }

  /** @internal Hands the body to `onBody` from its first byte (called by the exchange as the head arrives). */
  static attach(response: Response, onBody: (chunk: Uint8Array, response: Response) => void): void {
    const consumed = response.stream.consume((chunk) => onBody(chunk, response));
    consumed.catch(() => undefined); // handled here too: a caller need not wait for consume()
    response.consumed = consumed;
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
