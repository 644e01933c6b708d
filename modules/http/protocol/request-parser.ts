// HTTP/1.1 request parser for the server: pure (no I/O, no timers), incremental, bounded, identical
// results for any split of the input. It reads the request line and decides the framing; header fields,
// Content-Length and transfer codings are checked by http/protocol/fields and the body is framed by
// http/protocol/body's BodyDecoder, the same rules the client's response parser follows.
//
// States: head (empty lines, request line, header fields: at most maxHeaderBytes) → body (none | length |
// chunked: at most maxBodyBytes) → done; reset() prepares for the next request. Every rejection is an
// HttpError whose `status` is the answer a server gives: 400, 413, 414, 431, 501 or 505.
import { HttpError } from "http/errors";
import { Byte, LIMITS, TOKEN, appendBytes, framingFields, latin1, listTokens, parseContentLength, scanField } from "http/protocol/fields";
import { BodyDecoder } from "http/protocol/body";

export interface IncomingHead {
  method: string;
  /** The request target as sent: origin-form ("/a?b"), absolute-form ("http://h/a?b") or "*". */
  target: string;
  /** The target's path ("/a"; "*" for the asterisk form). */
  path: string;
  /** The target's query, without "?"; "" when there is none. */
  query: string;
  version: "1.0" | "1.1";
  /** Header fields in arrival order, names lower-cased, values trimmed; repeats kept. */
  headers: [string, string][];
  bodyKind: "none" | "length" | "chunked";
  /** Content-Length when bodyKind is "length", else -1. */
  contentLength: number;
  /** Whether the client lets the connection carry another request after this one. */
  keepAlive: boolean;
  /** "Expect: 100-continue": the client waits for a 100 (or the final answer) before sending the body. */
  expectContinue: boolean;
}

export interface RequestParserEvents {
  onHead(head: IncomingHead): void;
  /** Body bytes: a view valid only during the call (copy to keep). */
  onData(chunk: Uint8Array): void;
  /** The request is complete; `trailers` holds a chunked body's trailer fields. */
  onComplete(trailers: [string, string][]): void;
}

export interface RequestParserOptions {
  /** Limit on the request line plus header fields (and on trailers), in bytes. Default 4096 (LIMITS.requestHeaderBytes). */
  maxHeaderBytes?: number;
  /** Limit on the body (decoded, for chunked), in bytes. Default 16384 (LIMITS.requestBodyBytes). */
  maxBodyBytes?: number;
}

const HEAD = 0;
const BODY = 1;
const DONE = 2;
const FAILED = 3;


/** RFC 3986 unreserved, sub-delims and "%" by byte: what a reg-name (and an IP literal's inside, with ":") may hold. */
const HOST_BYTE = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=")
  HOST_BYTE[c.charCodeAt(0)] = 1;

/** Whether `value` is a Host field value: uri-host [":" port], or empty (RFC 9112 §3.2, RFC 3986 §3.2.2). */
export function isHost(value: string): boolean {
  let i = 0;
  const n = value.length;
  if (n && value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf("]");
    if (close < 2)
      return false;
    for (i = 1; i < close; i++) {
      const c = value.charCodeAt(i);
      if (!(c < 128 && (HOST_BYTE[c] || c === 58 /* : */)))
        return false;
    }
    i = close + 1;
  }
  else
    for (; i < n && value.charCodeAt(i) !== 58; i++) {
      const c = value.charCodeAt(i);
      if (!(c < 128 && HOST_BYTE[c]))
        return false;
    }
  if (i === n)
    return true;
  if (value.charCodeAt(i) !== 58)
    return false;
  for (i++; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57)
      return false;
  }
  return true;
}

/** Validates and decodes one header field line src[start, end) (line ending removed): [lower-case name, value]. */
function parseField(src: Uint8Array, start: number, end: number): [string, string] {
  const offsets: number[] = [];
  scanField(src, start, end, "header", offsets, 0);
  const colon = offsets[1] < 0 ? -offsets[1] : offsets[1];
  const name = latin1(src, start, colon);
  return [offsets[1] < 0 ? name.toLowerCase() : name, latin1(src, offsets[2], offsets[3])];
}

/** The error a server answers with `status`. */
export function rejection(status: number, reason: string): HttpError {
  const code = status === 413 ? "ERR_BODY_TOO_LARGE" : status === 414 || status === 431 ? "ERR_HEADERS_TOO_LARGE" : "ERR_INVALID_REQUEST";
  return new HttpError(code, reason, { status, phase: "request" });
}

/** An HttpError of the shared field and body rules (coded as a response's), as the server's 400 or 431. */
function asRejection(error: unknown): HttpError {
  if (error instanceof HttpError && error.status)
    return error;
  const message = error instanceof HttpError ? error.reason : error instanceof Error ? error.message : String(error);
  if (error instanceof HttpError && error.code === "ERR_HEADERS_TOO_LARGE")
    return rejection(431, message);
  return rejection(400, message);
}

export class RequestParser {
  readonly #events: RequestParserEvents;
  readonly #maxHead: number;
  readonly #maxBody: number;
  #state = HEAD;
  #error: HttpError | undefined;
  #started = false;
  #part: Uint8Array | undefined;
  #partLen = 0;
  #methodDone = false; // the request line's method has been checked (its SP has arrived)
  #count = 0;
  #head: IncomingHead | undefined;
  #fields: [string, string][] = [];
  #bodyBytes = 0;
  #body: BodyDecoder | undefined;

  constructor(events: RequestParserEvents, options?: RequestParserOptions) {
    const maxHead = options?.maxHeaderBytes ?? LIMITS.requestHeaderBytes;
    const maxBody = options?.maxBodyBytes ?? LIMITS.requestBodyBytes;
    for (const [name, value] of [["maxHeaderBytes", maxHead], ["maxBodyBytes", maxBody]] as const)
      if (!(Number.isInteger(value) && value >= (name === "maxBodyBytes" ? 0 : 64)))
        throw new HttpError("ERR_SERVER_USAGE", `${name} must be an integer of at least ${name === "maxBodyBytes" ? 0 : 64}, not ${String(value)}`);
    this.#events = events;
    this.#maxHead = maxHead;
    this.#maxBody = maxBody;
  }

  /** Prepares for the next request on the connection. */
  reset(): void {
    this.#state = HEAD;
    this.#error = undefined;
    this.#started = false;
    this.#partLen = 0;
    this.#methodDone = false;
    this.#count = 0;
    this.#head = undefined;
    this.#fields = [];
    this.#bodyBytes = 0;
  }

  /** True while no byte of the next request has arrived. */
  get idle(): boolean {
    return this.#state === HEAD && !this.#started;
  }

  /** True while the head is complete and the body is being read. */
  get inBody(): boolean {
    return this.#state === BODY;
  }

  get complete(): boolean {
    return this.#state === DONE;
  }

  /**
   * Feeds bytes. Returns how many were consumed: all, unless the request completed inside `bytes` (the
   * rest belongs to the next, pipelined request). Throws an HttpError with a `status`; the parser is then
   * unusable until reset().
   */
  push(bytes: Uint8Array): number {
    if (this.#state === FAILED)
      throw this.#error!;
    if (this.#state === DONE || bytes.length === 0)
      return 0;
    this.#started = true;
    try {
      return this.#run(bytes);
    }
    catch (error) {
      const rejected = asRejection(error);
      this.#state = FAILED;
      this.#error = rejected;
      this.#part = undefined;
      this.#partLen = 0;
      this.#body?.drop();
      throw rejected;
    }
  }

  #keep(bytes: Uint8Array, start: number, end: number): void {
    this.#part = appendBytes(this.#part, this.#partLen, bytes, start, end, 256);
    this.#partLen += end - start;
  }

  #run(bytes: Uint8Array): number {
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      if (this.#state === BODY) {
        const body = this.#body!;
        const next = body.push(bytes, pos);
        if (!body.complete)
          return length;
        this.#state = DONE;
        this.#events.onComplete(body.trailers);
        return next;
      }
      if (this.#state !== HEAD)
        return pos;
      const lf = bytes.indexOf(Byte.LF, pos);
      const stop = lf < 0 ? length : lf + 1;
      // The method check runs on the line's bytes up to the size limit, before the size check: whichever
      // fails at the earlier byte decides (400 or 414), however the input is split.
      if (this.#head === undefined) {
        if (!this.#methodDone) {
          const room = this.#maxHead + 2 - this.#count - this.#partLen; // bytes this line may still take
          const end = lf < 0 ? length : lf;
          this.#checkMethod(bytes, pos, end - pos < room ? end : pos + (room > 0 ? room : 0));
        }
      }
      else if (this.#partLen === 0 && (bytes[pos] === Byte.SP || bytes[pos] === Byte.HTAB))
        throw rejection(400, "obsolete line folding in the request head");
      const total = this.#partLen + stop - pos;
      if (total > this.#maxHead + 2 - this.#count)
        throw this.#tooLarge();
      if (lf < 0) {
        this.#keep(bytes, pos, stop);
        return length;
      }
      this.#methodDone = false; // the next line starts
      let src = bytes;
      let start = pos;
      let end = lf;
      if (this.#partLen) {
        this.#keep(bytes, pos, lf);
        src = this.#part!;
        start = 0;
        end = this.#partLen;
        this.#partLen = 0;
      }
      pos = stop;
      // A bare LF ends no line of a request head: a peer that reads it as part of a field would frame the
      // request differently (a smuggling vector; RFC 9112 §2.2 only allows recognizing it).
      if (end === start || src[end - 1] !== Byte.CR)
        throw rejection(400, "a line of the request head ends in LF without CR");
      end--;
      const requestLine = this.#head === undefined;
      if (end === start) {
        if (requestLine) { // RFC 9112 §2.2: empty lines before the request line are ignored (bounded)
          this.#count += total;
          continue;
        }
        if (this.#endOfHead())
          return pos;
        continue;
      }
      this.#count += total;
      if (this.#count > this.#maxHead)
        throw this.#tooLarge();
      if (requestLine)
        this.#parseRequestLine(src, start, end);
      else
        this.#fields.push(parseField(src, start, end));
    }
    return length;
  }

  #tooLarge(): HttpError {
    return this.#head === undefined
      ? rejection(414, `request line exceeds ${this.#maxHead} bytes`)
      : rejection(431, `request head exceeds ${this.#maxHead} bytes`);
  }

  /**
   * Rejects early a request line whose method holds a byte no method can (a TLS ClientHello, binary):
   * src[start, end) continues the line after the #partLen bytes already checked. A CR is allowed only as
   * the line's first byte (an empty line before the request line).
   */
  #checkMethod(src: Uint8Array, start: number, end: number): void {
    const offset = this.#partLen - start;
    for (let i = start; i < end; i++) {
      const c = src[i];
      if (c === Byte.SP) {
        this.#methodDone = true;
        return;
      }
      if (TOKEN[c] === 0 && !(c === Byte.CR && i + offset === 0))
        throw rejection(400, `malformed request line (byte 0x${c.toString(16).padStart(2, "0")} in the method)`);
    }
  }

  #parseRequestLine(src: Uint8Array, start: number, end: number): void {
    const shown = () => JSON.stringify(latin1(src, start, end < start + 40 ? end : start + 40));
    const sp1 = src.indexOf(Byte.SP, start);
    const sp2 = sp1 < 0 || sp1 >= end ? -1 : src.indexOf(Byte.SP, sp1 + 1);
    if (sp1 <= start || sp2 < 0 || sp2 >= end || sp2 === sp1 + 1 || src.indexOf(Byte.SP, sp2 + 1) >= 0 && src.indexOf(Byte.SP, sp2 + 1) < end)
      throw rejection(400, `malformed request line ${shown()}`);
    for (let i = start; i < sp1; i++)
      if (TOKEN[src[i]] === 0)
        throw rejection(400, `method is not a token in ${shown()}`);
    for (let i = sp1 + 1; i < sp2; i++) {
      const c = src[i];
      if (c <= Byte.SP || c >= 127)
        throw rejection(400, `invalid byte 0x${c.toString(16).padStart(2, "0")} in the request target`);
    }
    const version = latin1(src, sp2 + 1, end);
    const match = /^HTTP\/(\d)\.(\d)$/.exec(version);
    if (!match)
      throw rejection(400, `malformed request line ${shown()}`);
    if (match[1] !== "1")
      throw rejection(505, `HTTP version ${version.slice(5)} is not supported`);
    const method = latin1(src, start, sp1);
    const target = latin1(src, sp1 + 1, sp2);
    let pathAndQuery = target;
    if (target === "*") {
      if (method !== "OPTIONS")
        throw rejection(400, `target "*" with ${method}`);
    }
    else if (!target.startsWith("/")) {
      const absolute = /^https?:\/\/[^/?#]+(.*)$/i.exec(target);
      if (!absolute)
        throw rejection(400, `request target ${JSON.stringify(target.slice(0, 40))} is not a path`);
      pathAndQuery = absolute[1] || "/";
    }
    const hash = pathAndQuery.indexOf("#");
    if (hash >= 0)
      throw rejection(400, "fragment in the request target");
    const question = pathAndQuery.indexOf("?");
    this.#head = {
      method,
      target,
      path: question < 0 ? pathAndQuery : pathAndQuery.slice(0, question),
      query: question < 0 ? "" : pathAndQuery.slice(question + 1),
      version: match[2] === "0" ? "1.0" : "1.1",
      headers: [],
      bodyKind: "none",
      contentLength: -1,
      keepAlive: false,
      expectContinue: false,
    };
  }

  /** The blank line after the fields: decides the framing. Returns true when the request is complete. */
  #endOfHead(): boolean {
    const head = this.#head!;
    const headers = this.#fields;
    this.#fields = [];
    head.headers = headers;
    const { lengths, codings, connection } = framingFields(headers);
    let hosts = 0;
    let expect = "";
    for (const [name, value] of headers) {
      if (name === "host") {
        hosts++;
        if (!isHost(value)) // RFC 9112 §3.2: a Host with an invalid value MUST get 400
          throw rejection(400, `invalid Host ${JSON.stringify(value.slice(0, 40))}`);
      }
      else if (name === "expect")
        expect = value.toLowerCase();
    }
    if (head.version === "1.1" && hosts !== 1) // RFC 9112 §3.2
      throw rejection(400, hosts ? "more than one Host header" : "no Host header");
    if (hosts > 1)
      throw rejection(400, "more than one Host header");
    if (codings.length) {
      if (head.version === "1.0")
        throw rejection(400, "Transfer-Encoding in an HTTP/1.0 request");
      if (lengths.length) // a smuggling vector (RFC 9112 §6.1): refused rather than guessed
        throw rejection(400, "both Transfer-Encoding and Content-Length");
      const list = listTokens(codings);
      if (list.length === 0 || list[list.length - 1] !== "chunked") // RFC 9112 §6.3 (4): MUST answer 400
        throw rejection(400, `chunked is not the final transfer coding in ${JSON.stringify(codings.join(", "))}`);
      if (list.length > 1) { // chunked twice (RFC 9112 §6.1), or a coding we do not decode (RFC 9112 §6.1: 501)
        const before = list.slice(0, -1);
        throw before.includes("chunked")
          ? rejection(400, "transfer coding chunked applied more than once")
          : rejection(501, `unsupported transfer coding ${JSON.stringify(before[0])}`);
      }
      head.bodyKind = "chunked";
    }
    else if (lengths.length) {
      head.contentLength = parseContentLength(lengths);
      head.bodyKind = head.contentLength > 0 ? "length" : "none";
      if (head.contentLength > this.#maxBody)
        throw rejection(413, `body of ${head.contentLength} bytes exceeds ${this.#maxBody}`);
      if (head.bodyKind === "none")
        head.contentLength = -1;
    }
    const tokens = listTokens(connection);
    head.keepAlive = head.version === "1.1" ? !tokens.includes("close") : !tokens.includes("close") && tokens.includes("keep-alive");
    head.expectContinue = head.version === "1.1" && expect === "100-continue" && head.bodyKind !== "none";
    this.#events.onHead(head);
    if (head.bodyKind === "none") {
      this.#state = DONE;
      this.#events.onComplete([]);
      return true;
    }
    this.#state = BODY;
    this.#bodyBytes = 0;
    const body = this.#body ??= new BodyDecoder({
      onData: (chunk) => {
        this.#bodyBytes += chunk.length;
        if (this.#bodyBytes > this.#maxBody)
          throw rejection(413, `body exceeds ${this.#maxBody} bytes`);
        this.#events.onData(chunk);
      },
    }, this.#maxHead, true); // bare LF: refused in the body's lines too, as in the head
    body.start(head.bodyKind, head.contentLength);
    return false;
  }
}
