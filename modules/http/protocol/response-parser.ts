// HTTP/1.1 response parser, the client's: pure (no I/O, no timers), incremental, bounded. Identical results
// for any split of the input. It reads the status line and decides the framing; the header fields are a
// FieldBlock (http/protocol/fields) and the body a BodyDecoder (http/protocol/body), the same the server's
// request parser uses.
//
// States: head (status line and headers, buffered up to maxHeaderBytes) → body (length | chunked |
// close-delimited: the BodyDecoder's states) → done. A body of none (HEAD, 204, 304) or of length 0 is done
// at its head. 1xx interim responses are skipped: head starts again. Empty lines before a status line are
// skipped too (counted against maxHeaderBytes). llhttp's response suite runs against it in npm test
// (docs/conformance.md).
import { HttpError } from "http/errors";
import { Byte, FieldBlock, LIMITS, controlReason, framingFields, invalid, latin1, listTokens, parseContentLength, type StartLine } from "http/protocol/fields";
import { BodyDecoder, type BodyKind } from "http/protocol/body";

export type { BodyKind } from "http/protocol/body";

export interface ResponseHead {
  version: "1.0" | "1.1";
  status: number;
  /** Reason phrase; "" when the status line has none. */
  statusText: string;
  /** Header fields in arrival order, names lower-cased, values with surrounding whitespace removed; repeats kept. */
  headers: [string, string][];
  bodyKind: BodyKind;
  /** Content-Length when bodyKind is "length", else -1. */
  contentLength: number;
  /** Whether the connection may carry another request after this response. */
  keepAlive: boolean;
}

export interface ParserEvents {
  onHead(head: ResponseHead): void;
  /** Body bytes: a view into the pushed buffer, valid only during the call (copy to keep). */
  onData(chunk: Uint8Array): void;
  /** The response is complete. `trailers` holds a chunked body's trailer fields (lower-cased names). */
  onComplete(trailers: [string, string][]): void;
}

export interface ParserOptions {
  /** Limit on the status line plus header fields (and on trailers), in bytes. Default 8192 (LIMITS.responseHeaderBytes). */
  maxHeaderBytes?: number;
  /** Every line must end in CRLF: a bare LF is refused. Default false (RFC 9112 §2.2 lets a recipient accept it); the server's request parser refuses it likewise. */
  requireCRLF?: boolean;
}

/** The parser's states. A const enum: tsc writes the numbers in (a module's const costs XS code). */
const enum State { HEAD, BODY, DONE, FAILED }

const HTTP1 = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."

/** The status line of a response head: read by the head's FieldBlock, then kept until the head ends. */
class StatusLine implements StartLine {
  declare readonly name: string;
  declare version: "1.0" | "1.1";
  declare status: number;
  declare reasonStart: number; // the reason phrase's offsets in the head (both 0: none)
  declare reasonEnd: number;

  constructor() {
    this.name = "response head";
    this.version = "1.1";
    this.status = this.reasonStart = this.reasonEnd = 0;
  }

  /** Rejects a status line early, from its first 8 bytes (src[start, start + length)), when it cannot be HTTP/1.x. */
  check(src: Uint8Array, start: number, length: number): void {
    const n = length < 8 ? length : 8;
    for (let i = 0; i < n; i++) {
      const c = src[start + i];
      if (i < 7 ? c !== HTTP1[i] : c < 48 || c > 57)
        throw invalid(`not an HTTP/1.x response (status line starts ${JSON.stringify(latin1(src, start, start + n))})`);
    }
  }

  parse(src: Uint8Array, start: number, end: number, base: number): number {
    const length = end - start;
    this.check(src, start, length);
    if (length < 9)
      throw invalid(`not an HTTP/1.x response (status line ${JSON.stringify(latin1(src, start, end))})`);
    if (src[start + 8] !== Byte.SP)
      throw invalid(`malformed status line ${shown(src, start, end)}`);
    let status = 0;
    for (let i = start + 9; i < start + 12; i++) {
      const c = i < end ? src[i] : -1;
      if (c < 48 || c > 57)
        throw invalid(`status code is not 3 digits in ${shown(src, start, end)}`);
      status = status * 10 + c - 48;
    }
    if (length > 12 && src[start + 12] !== Byte.SP)
      throw invalid(`status code is not 3 digits in ${shown(src, start, end)}`);
    if (status < 100)
      throw invalid(`status code ${status} is below 100`);
    if (status === 101)
      throw invalid("101 Switching Protocols, but no upgrade was asked for");
    let bits = 0;
    for (let i = start + 13; i < end; i++) {
      const c = src[i];
      if ((c < Byte.SP && c !== Byte.HTAB) || c === 127)
        throw invalid(controlReason(c, "status line"));
      bits |= c;
    }
    this.version = src[start + 7] === 48 ? "1.0" : "1.1";
    this.status = status;
    this.reasonStart = length > 13 ? start + 13 - base : 0;
    this.reasonEnd = length > 13 ? end - base : 0;
    return bits;
  }
}

/** The status line's first 40 bytes, quoted, for an error message. */
function shown(src: Uint8Array, start: number, end: number): string {
  return JSON.stringify(latin1(src, start, end < start + 40 ? end : start + 40));
}

export class ResponseParser {
  declare private readonly events: ParserEvents;
  /** The head being read: made as its first byte arrives, dropped at its end (a request's parser lives on through the body). */
  declare private head: FieldBlock | undefined;
  declare private statusLine: StatusLine | undefined;
  declare private readonly body: BodyDecoder;
  declare private readonly max: number;
  declare private readonly crlf: boolean;

  declare private state: number;
  declare private error: HttpError | undefined;
  declare private isHead: boolean;
  declare private started: boolean;

  constructor(events: ParserEvents, options?: ParserOptions) {
    const max = options?.maxHeaderBytes ?? LIMITS.responseHeaderBytes;
    if (!(Number.isInteger(max) && max > 0))
      throw new HttpError("ERR_INVALID_REQUEST", `maxHeaderBytes must be a positive integer, not ${String(max)}`);
    const crlf = options?.requireCRLF === true;
    this.events = events;
    this.max = max;
    this.crlf = crlf;
    this.head = this.statusLine = undefined;
    this.body = new BodyDecoder(events, max, crlf);
    this.expect("GET");
  }

  /** Prepares for the response to a request made with `method` ("HEAD": no body). Call before each response. */
  expect(method: string): void {
    this.isHead = method === "HEAD" || method.toUpperCase() === "HEAD";
    this.state = State.HEAD;
    this.error = undefined;
    this.started = false;
    this.head?.reset();
    this.body.reset();
  }

  /**
   * Feeds bytes. Returns how many were consumed: all of them, unless the response completed inside
   * `bytes` (what is left belongs to whatever follows). Throws HttpError ERR_INVALID_RESPONSE or
   * ERR_HEADERS_TOO_LARGE; after a throw the parser is unusable until expect().
   */
  push(bytes: Uint8Array): number {
    if (this.state === State.FAILED)
      throw this.error ?? invalid("parser unusable after an earlier error");
    if (this.state === State.DONE || bytes.length === 0)
      return 0;
    this.started = true;
    if (this.state === State.BODY && this.body.takeWhole(bytes)) // the common case: body bytes, all of them
      return bytes.length;
    try {
      return this.run(bytes);
    }
    catch (error) {
      this.fail(error);
      throw error;
    }
  }

  /**
   * The peer closed the connection. Completes a close-delimited body (onComplete). Throws HttpError
   * ERR_TRUNCATED when a response is under way and incomplete (including a head without its blank line,
   * a body shorter than Content-Length, a chunked body without its last chunk).
   */
  finish(): void {
    let reason: string | undefined;
    switch (this.state) {
      case State.DONE:
        return;
      case State.FAILED:
        throw this.error ?? invalid("parser unusable after an earlier error");
      case State.HEAD:
        if (!this.started)
          reason = "connection closed before any response byte";
        else if (!this.head?.started)
          reason = "connection closed in the status line";
        else
          reason = "connection closed in the response head (no blank line after the header fields)";
        break;
      default:
        reason = this.body.truncation();
        if (reason === undefined) { // a body until the close: this is its end
          this.state = State.DONE;
          this.events.onComplete([]);
          return;
        }
    }
    const error = new HttpError("ERR_TRUNCATED", reason);
    this.fail(error);
    throw error;
  }

  /** True while no byte of the expected response has arrived (a pooled connection's close is then harmless). */
  get idle(): boolean {
    return this.state === State.HEAD && !this.started;
  }

  /** True once the response completed (already during the onData of its last bytes). */
  get complete(): boolean {
    return this.state === State.DONE || this.body.complete;
  }

  private fail(error: unknown): void {
    this.state = State.FAILED;
    this.error = error instanceof HttpError ? error : invalid("parser unusable after an earlier error");
    this.head = this.statusLine = undefined;
    this.body.drop();
  }

  private run(bytes: Uint8Array): number {
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      if (this.state === State.HEAD) {
        // no local here holds the head's objects: they go at its end, before the body that came with it
        const next = this.scanHead(bytes, pos);
        if (next < 0)
          return length;
        if (this.statusLine!.status < 200) { // interim response: skipped, the next head follows in `bytes`
          this.head!.reset();
          pos = next;
          continue;
        }
        if (this.endOfHead(bytes, pos))
          return this.done(next, []);
        pos = next;
      }
      else if (this.state === State.BODY) {
        const body = this.body;
        const next = body.push(bytes, pos);
        if (body.complete)
          return this.done(next, body.trailers);
        if (this.state === State.BODY)
          return length;
        pos = next; // onData reset the parser (expect()): the rest is the next response's
      }
      else // DONE: a callback completed or reset the parser; leave the rest to the caller
        return pos;
    }
    return length;
  }

  /** Scans the head from bytes[pos] (made as its first byte arrives): see FieldBlock.scan(). */
  private scanHead(bytes: Uint8Array, pos: number): number {
    let head = this.head;
    if (!head) {
      this.statusLine = new StatusLine();
      head = this.head = new FieldBlock(this.max, this.crlf, this.statusLine);
    }
    return head.scan(bytes, pos);
  }

  private done(pos: number, trailers: [string, string][]): number {
    this.state = State.DONE;
    this.events.onComplete(trailers);
    return pos;
  }

  /**
   * The blank line after the header fields (a final response), whose block began at bytes[pos]: reads it and
   * lets the head's buffers go (a method of its own, so that nothing of the head stays in run()'s frame
   * while the body that came with it is handed on). Returns true when the response is already complete.
   */
  private endOfHead(bytes: Uint8Array, pos: number): boolean {
    const block = this.head!;
    const line = this.statusLine!;
    const { version, status } = line;
    const text = block.decode(bytes, pos, line.reasonEnd);
    const statusText = line.reasonEnd ? text.slice(line.reasonStart, line.reasonEnd) : "";
    const headers = block.fields(text);
    this.head = this.statusLine = undefined;
    const { lengths, codings, connection } = framingFields(headers);

    let bodyKind: BodyKind;
    let contentLength = -1;
    if (this.isHead || status === 204 || status === 304)
      bodyKind = "none";
    else if (codings.length) {
      if (lengths.length)
        throw invalid("both Transfer-Encoding and Content-Length");
      const list = listTokens(codings);
      if (list.length === 0)
        throw invalid("Transfer-Encoding without a transfer coding");
      if (list[list.length - 1] !== "chunked")
        bodyKind = "close"; // RFC 9112 §6.3 (4): chunked is not the final coding: read until the server closes
      else {
        const before = list.slice(0, -1);
        if (before.length) // a coding applied before chunked: not one we decode (or chunked twice, RFC 9112 §6.1)
          throw invalid(before.includes("chunked") ? "transfer coding chunked applied more than once" : `unsupported transfer coding "${before[0]}"`);
        bodyKind = "chunked";
      }
    }
    else if (lengths.length) {
      contentLength = parseContentLength(lengths);
      bodyKind = "length";
    }
    else
      bodyKind = "close";

    let keepAlive = false;
    if (bodyKind !== "close") {
      const tokens = connection.length ? listTokens(connection) : connection;
      const close = tokens.includes("close");
      keepAlive = version === "1.1" ? !close : !close && tokens.includes("keep-alive");
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing: close after it.
      if (version === "1.0" && bodyKind === "chunked")
        keepAlive = false;
    }

    const head: ResponseHead = {
      version,
      status,
      statusText,
      headers,
      bodyKind,
      contentLength: bodyKind === "length" ? contentLength : -1,
      keepAlive,
    };
    let complete = false;
    if (bodyKind === "none" || (bodyKind === "length" && contentLength === 0)) {
      this.state = State.DONE;
      complete = true;
    }
    else {
      this.state = State.BODY;
      this.body.start(bodyKind, contentLength);
    }
    this.events.onHead(head);
    if (complete && this.state !== State.DONE)
      return false; // onHead reset the parser (expect()): nothing more to do here
    return complete;
  }
}
