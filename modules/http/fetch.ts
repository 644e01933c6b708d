// fetch(input, init) in the WHATWG shape, on http/client's request(): the same pool, deadlines and our
// certificate checks, with the calling conventions of fetch. Thin on purpose: every request goes through
// request(), and every failure is a TypeError whose `cause` is the client's HttpError (its `code`), as
// fetch's failures are TypeErrors; an aborted signal rejects with the signal's reason.
import { request, type RequestOptions, type Response as ClientResponse, type SignalLike, type Timeouts } from "http/client";
import type { TlsOptions } from "http/transport/secure-options";

/** Header fields to send: a record, [name, value] pairs, or any iterable of pairs (a Headers, a Map). */
export type HeadersInit = Record<string, string> | Iterable<readonly [string, string]>;

/** An AbortSignal, or anything with `aborted`, `reason` and `addEventListener("abort")` (http/client/canceller). */
export interface FetchSignal extends SignalLike {
  readonly reason?: unknown;
}

export interface RequestInit {
  /** Any token; get, head, post, put, delete and options are upper-cased as fetch does. Default "GET". */
  method?: string;
  headers?: HeadersInit;
  /** Text (sent as text/plain; charset=utf-8 unless a Content-Type is given) or bytes. Not with GET or HEAD. */
  body?: string | ArrayBuffer | ArrayBufferView | null;
  /** "follow" (default), "error" (a redirect rejects), or "manual" (the 3xx itself is the response). */
  redirect?: "follow" | "error" | "manual";
  signal?: FetchSignal | null;
  /** https: verification and TLS settings of http/client. Default: verified against config.certs, TLS 1.2. */
  tls?: TlsOptions;
  /** Deadlines per phase, as http/client's (ms, 0 = off). */
  timeouts?: Timeouts;
  /** Limit on what text(), json() and arrayBuffer() collect. Default 65536: iterate `body` for more. */
  maxBodyBytes?: number;
}

/** Header fields, case-insensitive; a name given several values reads as them joined with ", ". */
export class Headers {
  readonly #fields = new Map<string, string[]>();

  constructor(init?: HeadersInit | null) {
    if (!init)
      return;
    if (typeof (init as Iterable<readonly [string, string]>)[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (pair.length !== 2)
          throw new TypeError("Headers: each header must be a [name, value] pair");
        this.append(pair[0], pair[1]);
      }
    }
    else {
      const record = init as Record<string, string>;
      for (const name of Object.keys(record))
        this.append(name, record[name]);
    }
  }
  append(name: string, value: string): void {
    const lower = String(name).toLowerCase();
    const values = this.#fields.get(lower);
    if (values)
      values.push(String(value).trim());
    else
      this.#fields.set(lower, [String(value).trim()]);
  }
  set(name: string, value: string): void {
    this.#fields.set(String(name).toLowerCase(), [String(value).trim()]);
  }
  delete(name: string): void {
    this.#fields.delete(String(name).toLowerCase());
  }
  get(name: string): string | null {
    return this.#fields.get(String(name).toLowerCase())?.join(", ") ?? null;
  }
  has(name: string): boolean {
    return this.#fields.has(String(name).toLowerCase());
  }
  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this)
      callback.call(thisArg, value, name, this);
  }
  /** [lower-case name, value] sorted by name, repeats joined (Set-Cookie's kept apart, as fetch does). */
  *entries(): IterableIterator<[string, string]> {
    for (const name of Array.from(this.#fields.keys()).sort()) {
      const values = this.#fields.get(name)!;
      if (name === "set-cookie")
        yield* values.map((value): [string, string] => [name, value]);
      else
        yield [name, values.join(", ")];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries())
      yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries())
      yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A response of fetch(), made by it. The body is read once: text(), json(), arrayBuffer() or `body`. */
export class Response {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** Whether a redirect was followed. */
  readonly redirected: boolean;
  /** The body as Uint8Array chunks as they arrive; null for HEAD, 204, 205 and 304. */
  readonly body: AsyncIterable<Uint8Array> | null;
  #used = false;
  readonly #response: ClientResponse;
  readonly #signal: FetchSignal | undefined;

  constructor(response: ClientResponse, method: string, signal?: FetchSignal) {
    this.#response = response;
    this.#signal = signal;
    this.status = response.status;
    this.ok = response.status >= 200 && response.status <= 299;
    this.statusText = response.statusText;
    this.headers = new Headers(response.headers);
    this.url = response.url;
    this.redirected = response.redirected;
    const empty = method === "HEAD" || response.status === 204 || response.status === 205 || response.status === 304;
    this.body = empty ? null : {
      [Symbol.asyncIterator]: () => {
        this.#used = true;
        let iterator: AsyncIterator<Uint8Array>;
        try {
          iterator = response.body[Symbol.asyncIterator]();
        }
        catch (error) {
          throw failure(error, signal);
        }
        return {
          next: () => iterator.next().catch((error: unknown) => {
            throw failure(error, signal);
          }),
          return: () => iterator.return?.() ?? Promise.resolve({ value: undefined, done: true }),
        };
      },
    };
  }

  /** Whether the body has been read (or is being read). */
  get bodyUsed(): boolean {
    return this.#used;
  }

  /** The whole body as bytes; over maxBodyBytes it rejects (cause ERR_BODY_TOO_LARGE). */
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read(() => this.#response.arrayBuffer());
  }

  text(): Promise<string> {
    return this.#read(() => this.#response.text());
  }

  /** The body parsed as JSON; a body that is not JSON rejects with a SyntaxError, as fetch does. */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** Reads the body, once, through the client's Response; its failures as fetch's. */
  async #read<T>(read: () => Promise<T>): Promise<T> {
    this.#used = true;
    try {
      return await read();
    }
    catch (error) {
      throw failure(error, this.#signal);
    }
  }
}

const NORMALIZED = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/** Makes a request; resolves with the response once its head has arrived. */
export async function fetch(input: string | { readonly href: string }, init: RequestInit = {}): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted)
    throw abortReason(signal);
  const href = typeof input === "string" ? input : input.href;
  const upper = (init.method ?? "GET").toUpperCase();
  const method = NORMALIZED.includes(upper) ? upper : init.method!;
  const body = init.body ?? undefined;
  if (body !== undefined) {
    if (method === "GET" || method === "HEAD")
      throw new TypeError(`fetch: a ${method} request cannot have a body`);
    if (typeof body !== "string" && !(body instanceof ArrayBuffer) && !ArrayBuffer.isView(body))
      throw new TypeError("fetch: body must be a string, an ArrayBuffer or a typed array");
  }
  const options: RequestOptions = {
    method,
    headers: Array.from(new Headers(init.headers)),
    body,
    redirect: init.redirect ?? "follow",
    signal,
    tls: init.tls,
    timeouts: init.timeouts,
    maxBodyBytes: init.maxBodyBytes,
  };
  try {
    return new Response(await request(href, options), method, signal);
  }
  catch (error) {
    throw failure(error, signal);
  }
}

/** What a request that failed rejects with: the signal's reason once aborted, else a TypeError caused by the error. */
function failure(error: unknown, signal: FetchSignal | undefined): unknown {
  if (signal?.aborted)
    return abortReason(signal, error);
  if (error instanceof TypeError)
    return error;
  return new TypeError(`fetch failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** The signal's reason, or an Error named AbortError (XS has no DOMException) when it gave none. */
function abortReason(signal: FetchSignal, cause?: unknown): unknown {
  if (signal.reason !== undefined)
    return signal.reason;
  const error = new Error("This operation was aborted", cause === undefined ? undefined : { cause });
  error.name = "AbortError";
  return error;
}
