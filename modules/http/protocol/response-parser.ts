// HTTP/1.1 response parser: pure (no I/O, no timers), incremental, bounded. Identical results for any
// split of the input. Used by the client, and by the server issue for its framing rules.
//
// States: head (status line and headers, buffered up to maxHeaderBytes) → body (none | length |
// chunked | close-delimited) → done. 1xx interim responses are skipped: head starts again. Empty lines
// before a status line are skipped too (counted against maxHeaderBytes). llhttp's response suite runs
// against it in npm test (docs/conformance.md).
import { utf8Text } from "http/text";
import { HttpError } from "http/errors";

export type BodyKind = "none" | "length" | "chunked" | "close";

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
  /** Limit on the status line plus header fields (and on trailers), in bytes. Default 8192. */
  maxHeaderBytes?: number;
  /** Every line must end in CRLF: a bare LF is refused. Default false (RFC 9112 §2.2 lets a recipient accept it); the server's request parser sets it. */
  requireCRLF?: boolean;
}

// Implementation notes.
// - A head (status line and header fields, or trailer fields) is scanned line by line at the byte level
//   (indexOf(LF), then token, colon and control-byte checks), recording only offsets. When its blank line
//   arrives the whole head is decoded once (TextDecoder when every byte is ASCII, else Latin-1) and each
//   name and value is a slice of that one string: no per-line or per-byte string building.
// - A head wholly inside one push is read straight from it. A head split across pushes is copied into
//   `hb` (grown on demand, never beyond the limit, kept for the next response), and scanned there.
// - Every check happens at a fixed byte position (the line's LF, or the byte that crosses a limit), so
//   events and errors do not depend on how the input is split.
// - The limit counts the status line and header lines with their line endings; the blank line that
//   ends the head is not counted (it may use 2 bytes beyond the limit). Trailers are counted likewise.
// - Chunk-size lines are short: one split across pushes is kept in `part`.

const HEAD = 0;        // status line and header fields
const BODY_LENGTH = 1; // Content-Length body
const BODY_CLOSE = 2;  // body until the peer closes
const CHUNK_SIZE = 3;  // chunk-size [; ext] line
const CHUNK_DATA = 4;
const CHUNK_CR = 5;    // CR (or LF) after chunk data
const CHUNK_LF = 6;    // LF after that CR
const TRAILERS = 7;
const DONE = 8;
const FAILED = 9;

const DEFAULT_MAX_HEADER_BYTES = 8192;
const MAX_CHUNK_LINE = 1024;        // chunk-size line with extensions and line ending
const MAX_CHUNK_SIZE = 0x80000000;  // 2^31
const MAX_CHUNK_DIGITS = 8;
const MAX_LENGTH_DIGITS = 15;

const LF = 10;
const CR = 13;
const SP = 32;
const HTAB = 9;
const COLON = 58;
const SEMICOLON = 59;

/** RFC 9110 tchar, by byte value: 2 for an upper-case letter, 1 for the others, 0 for a non-token byte. */
export const TOKEN = new Uint8Array(256);
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = 2;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;

/** Whether `text` is a non-empty RFC 9110 token. (No RegExp: see docs/sdk-notes.md, "RegExp in a preloaded module".) */
export function isToken(text: string): boolean {
  if (!text.length)
    return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255 || !TOKEN[c])
      return false;
  }
  return true;
}

/** Hex digit values by byte, -1 for others. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;

const HTTP1 = [72, 84, 84, 80, 47, 49, 46]; // "HTTP/1."

function invalid(reason: string): HttpError {
  return new HttpError("ERR_INVALID_RESPONSE", reason);
}

/**
 * Latin-1 decode of src[start, end). In slices of 32: every argument of `apply` takes a slot of the XS
 * stack, which is 384 slots by default (256-byte slices overflowed it on the simulator).
 */
export function latin1(src: Uint8Array, start: number, end: number): string {
  if (end - start <= 32)
    return String.fromCharCode.apply(null, src.subarray(start, end) as unknown as number[]);
  let out = "";
  while (start < end) {
    const stop = end - start > 32 ? start + 32 : end;
    out += String.fromCharCode.apply(null, src.subarray(start, stop) as unknown as number[]);
    start = stop;
  }
  return out;
}

/** Trims SP and HTAB only (String.prototype.trim would also eat NBSP, VT, FF). */
function trimOWS(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** The elements of a comma-separated field value list, trimmed, empty elements dropped, lower-cased. */
export function listTokens(values: string[]): string[] {
  const out: string[] = [];
  for (const value of values)
    for (const element of value.indexOf(",") < 0 ? [value] : value.split(",")) {
      const item = trimOWS(element);
      if (item)
        out.push(item.toLowerCase());
    }
  return out;
}

function controlReason(c: number, where: string): string {
  if (c === CR)
    return `bare CR in ${where}`;
  if (c === 0)
    return `NUL byte in ${where}`;
  return `control byte 0x${c.toString(16).padStart(2, "0")} in ${where}`;
}

/**
 * Validates a field line (header or trailer) src[start, end) (line ending removed) and appends to
 * `offsets`, relative to `base`: line start, colon (negative: the name has upper-case letters), value
 * start, value end. Returns the OR of the value's bytes (bit 7 set: not ASCII).
 */
function scanField(src: Uint8Array, start: number, end: number, where: string, offsets: number[], base: number): number {
  const first = src[start];
  if (first === SP || first === HTAB)
    throw invalid(`obsolete line folding in ${where}`);
  let i = start;
  let kinds = 0;
  while (i < end) {
    const t = TOKEN[src[i]];
    if (t === 0)
      break;
    kinds |= t;
    i++;
  }
  if (i === end)
    throw invalid(`${where} line without a colon`);
  const c = src[i];
  if (c !== COLON) {
    if (c === SP || c === HTAB)
      throw invalid(`whitespace between ${where} name and colon`);
    if (c < SP || c === 127)
      throw invalid(controlReason(c, `${where} name`));
    throw invalid(`invalid character 0x${c.toString(16).padStart(2, "0")} in ${where} name`);
  }
  if (i === start)
    throw invalid(`empty ${where} name`);
  const colon = i;
  let vs = colon + 1;
  let ve = end;
  while (vs < ve && (src[vs] === SP || src[vs] === HTAB)) vs++;
  while (ve > vs && (src[ve - 1] === SP || src[ve - 1] === HTAB)) ve--;
  const bits = valueBits(src, vs, ve, where);
  offsets.push(start - base, kinds & 2 ? base - colon : colon - base, vs - base, ve - base);
  return bits;
}

/** The OR of a field value's bytes src[vs, ve) (a caller tells ASCII from the result), refusing controls but HTAB. */
function valueBits(src: Uint8Array, vs: number, ve: number, where: string): number {
  let bits = 0;
  for (let j = vs; j < ve; j++) {
    const v = src[j];
    if ((v < SP && v !== HTAB) || v === 127)
      throw invalid(controlReason(v, `${where} value`));
    bits |= v;
  }
  return bits;
}

/**
 * Validates an obs-fold line src[start, end) (line ending removed, first byte SP or HTAB) and appends its
 * value's offsets to `offsets` as a field entry with colon 0. Returns the OR of the value's bytes.
 */
function scanContinuation(src: Uint8Array, start: number, end: number, offsets: number[], base: number): number {
  let vs = start;
  let ve = end;
  while (vs < ve && (src[vs] === SP || src[vs] === HTAB)) vs++;
  while (ve > vs && (src[ve - 1] === SP || src[ve - 1] === HTAB)) ve--;
  const bits = valueBits(src, vs, ve, "folded header");
  offsets.push(start - base, 0, vs - base, ve - base);
  return bits;
}

const FRAMING = ["content-length", "transfer-encoding"];

/** Whether src[start, end) is `lower` in any case (ASCII letters). */
function isName(src: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length)
    return false;
  for (let i = 0; i < lower.length; i++)
    if ((src[start + i] | 0x20) !== lower.charCodeAt(i))
      return false;
  return true;
}

/** Validates and decodes one field line src[start, end) (line ending removed): [lower-case name, value]. */
export function parseField(src: Uint8Array, start: number, end: number, where: string): [string, string] {
  const offsets: number[] = [];
  scanField(src, start, end, where, offsets, 0);
  const colon = offsets[1] < 0 ? -offsets[1] : offsets[1];
  const name = latin1(src, start, colon);
  return [offsets[1] < 0 ? name.toLowerCase() : name, latin1(src, offsets[2], offsets[3])];
}

/** The fields that frame a message (RFC 9112 §6): every Content-Length, Transfer-Encoding and Connection value. */
export function framingFields(headers: [string, string][]): { lengths: string[]; codings: string[]; connection: string[] } {
  const lengths: string[] = [];
  const codings: string[] = [];
  const connection: string[] = [];
  for (const [name, value] of headers) {
    if (name === "content-length")
      lengths.push(value);
    else if (name === "transfer-encoding")
      codings.push(value);
    else if (name === "connection")
      connection.push(value);
  }
  return { lengths, codings, connection };
}

/**
 * Appends bytes[start, end) after the first `length` bytes of `buffer`, doubling it (from `initial`) when
 * they do not fit; returns the buffer that now holds them. The callers bound the total.
 */
export function appendBytes(buffer: Uint8Array | undefined, length: number, bytes: Uint8Array, start: number, end: number, initial: number): Uint8Array {
  const need = length + end - start;
  if (!buffer || buffer.length < need) {
    let size = buffer ? buffer.length * 2 : initial;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    if (buffer && length)
      grown.set(buffer.subarray(0, length));
    buffer = grown;
  }
  buffer.set(bytes.subarray(start, end), length);
  return buffer;
}

export class ResponseParser {
  readonly #events: ParserEvents;
  readonly #max: number;
  readonly #crlf: boolean;

  #state = HEAD;
  #error: HttpError | undefined;
  #isHead = false;
  #started = false;
  /** Set when a push completed the response inside a head (or trailer) block: the push returns there. */
  #stop = false;

  // a chunk-size line split across pushes
  #part: Uint8Array | undefined;
  #partLen = 0;

  // the head (or trailer) block being scanned
  #hb: Uint8Array | undefined; // its bytes from earlier pushes, when it began before the current one
  #hbLen = 0;
  #count = 0;                  // bytes of its complete lines so far: where its next line starts
  #offsets: number[] = [];     // four per field line, see scanField
  #bits = 0;                   // OR of its value and reason bytes: bit 7 set when not ASCII
  #haveStatus = false;
  #version: "1.0" | "1.1" = "1.1";
  #status = 0;
  #statusText = "";
  #reasonStart = 0;            // the reason phrase's offsets in the head
  #reasonEnd = 0;

  // body
  #remaining = 0; // body bytes left (length), or chunk bytes left
  #contentLength = -1;

  constructor(events: ParserEvents, options?: ParserOptions) {
    const max = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    if (!(Number.isInteger(max) && max > 0))
      throw new HttpError("ERR_INVALID_REQUEST", `maxHeaderBytes must be a positive integer, not ${String(max)}`);
    this.#events = events;
    this.#max = max;
    this.#crlf = options?.requireCRLF === true;
    this.expect("GET");
  }

  /** Prepares for the response to a request made with `method` ("HEAD": no body). Call before each response. */
  expect(method: string): void {
    this.#isHead = method === "HEAD" || method.toUpperCase() === "HEAD";
    this.#state = HEAD;
    this.#error = undefined;
    this.#started = false;
    this.#stop = false;
    this.#partLen = 0;
    this.#resetHead();
    this.#remaining = 0;
    this.#contentLength = -1;
  }

  /**
   * Feeds bytes. Returns how many were consumed: all of them, unless the response completed inside
   * `bytes` (what is left belongs to whatever follows). Throws HttpError ERR_INVALID_RESPONSE or
   * ERR_HEADERS_TOO_LARGE; after a throw the parser is unusable until expect().
   */
  push(bytes: Uint8Array): number {
    if (this.#state === FAILED)
      throw this.#error ?? invalid("parser unusable after an earlier error");
    if (this.#state === DONE || bytes.length === 0)
      return 0;
    this.#started = true;
    if (this.#state === BODY_LENGTH && bytes.length < this.#remaining) { // the common case: body bytes, all of them
      this.#remaining -= bytes.length;
      this.#events.onData(bytes);
      return bytes.length;
    }
    try {
      return this.#run(bytes);
    }
    catch (error) {
      this.#fail(error);
      throw error;
    }
  }

  /**
   * The peer closed the connection. Completes a close-delimited body (onComplete). Throws HttpError
   * ERR_TRUNCATED when a response is under way and incomplete (including a head without its blank line,
   * a body shorter than Content-Length, a chunked body without its last chunk).
   */
  finish(): void {
    let reason: string;
    switch (this.#state) {
      case DONE:
        return;
      case FAILED:
        throw this.#error ?? invalid("parser unusable after an earlier error");
      case BODY_CLOSE:
        this.#state = DONE;
        this.#events.onComplete([]);
        return;
      case HEAD:
        if (!this.#started)
          reason = "connection closed before any response byte";
        else if (!this.#haveStatus)
          reason = "connection closed in the status line";
        else
          reason = "connection closed in the response head (no blank line after the header fields)";
        break;
      case BODY_LENGTH:
        reason = `body ended after ${this.#contentLength - this.#remaining} of ${this.#contentLength} bytes`;
        break;
      case TRAILERS:
        reason = "chunked body ended in its trailer fields";
        break;
      case CHUNK_DATA:
        reason = `chunked body ended with ${this.#remaining} bytes of a chunk missing`;
        break;
      default:
        reason = "chunked body ended before its last chunk";
    }
    const error = new HttpError("ERR_TRUNCATED", reason);
    this.#fail(error);
    throw error;
  }

  /** True while no byte of the expected response has arrived (a pooled connection's close is then harmless). */
  get idle(): boolean {
    return this.#state === HEAD && !this.#started;
  }

  /** True once the response completed. */
  get complete(): boolean {
    return this.#state === DONE;
  }

  #fail(error: unknown): void {
    this.#state = FAILED;
    this.#error = error instanceof HttpError ? error : invalid("parser unusable after an earlier error");
    this.#part = undefined;
    this.#partLen = 0;
    this.#hb = undefined;
    this.#resetHead();
  }

  /** Starts a new head (or trailer) block; keeps `hb` for reuse. */
  #resetHead(): void {
    this.#hbLen = 0;
    this.#count = 0;
    this.#offsets.length = 0;
    this.#bits = 0;
    this.#haveStatus = false;
    this.#reasonStart = this.#reasonEnd = 0;
  }

  /** Appends bytes[start, end) to the partial chunk-size line. The caller has bounded its length. */
  #keep(bytes: Uint8Array, start: number, end: number): void {
    this.#part = appendBytes(this.#part, this.#partLen, bytes, start, end, 64);
    this.#partLen += end - start;
  }

  /** Appends bytes[start, end) to the head block kept across pushes. */
  #keepHead(bytes: Uint8Array, start: number, end: number): void {
    this.#hb = appendBytes(this.#hb, this.#hbLen, bytes, start, end, 512);
    this.#hbLen += end - start;
  }

  #run(bytes: Uint8Array): number {
    const length = bytes.length;
    let pos = 0;
    while (pos < length) {
      switch (this.#state) {
        case HEAD:
        case TRAILERS: {
          const next = this.#headBlock(bytes, pos);
          if (next < 0)
            return length;
          if (this.#stop) {
            this.#stop = false;
            return next;
          }
          pos = next;
          break;
        }
        case BODY_LENGTH: {
          const n = Math.min(this.#remaining, length - pos);
          const chunk = n === length ? bytes : bytes.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0)
            this.#state = DONE;
          this.#events.onData(chunk);
          if (this.#state === DONE)
            return this.#done(pos, []);
          break;
        }
        case BODY_CLOSE:
          this.#events.onData(pos === 0 ? bytes : bytes.subarray(pos));
          return length;
        case CHUNK_SIZE: {
          const lf = bytes.indexOf(LF, pos);
          const stop = lf < 0 ? length : lf + 1;
          if (this.#partLen + stop - pos > MAX_CHUNK_LINE)
            throw invalid(`chunk-size line longer than ${MAX_CHUNK_LINE} bytes`);
          if (lf < 0) {
            this.#keep(bytes, pos, stop);
            return length;
          }
          let size: number;
          if (this.#partLen === 0) {
            const cr = lf > pos && bytes[lf - 1] === CR;
            if (!cr && this.#crlf)
              throw invalid("chunk-size line ends in LF without CR");
            size = this.#parseChunkSize(bytes, pos, cr ? lf - 1 : lf);
          }
          else {
            this.#keep(bytes, pos, lf);
            const part = this.#part!;
            const end = this.#partLen;
            this.#partLen = 0;
            const cr = end > 0 && part[end - 1] === CR;
            if (!cr && this.#crlf)
              throw invalid("chunk-size line ends in LF without CR");
            size = this.#parseChunkSize(part, 0, cr ? end - 1 : end);
          }
          pos = stop;
          if (size === 0) {
            this.#state = TRAILERS;
            this.#resetHead();
          }
          else {
            this.#state = CHUNK_DATA;
            this.#remaining = size;
          }
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.#remaining, length - pos);
          const chunk = n === length ? bytes : bytes.subarray(pos, pos + n);
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0)
            this.#state = CHUNK_CR;
          this.#events.onData(chunk);
          break;
        }
        case CHUNK_CR: {
          const c = bytes[pos++];
          if (c === CR)
            this.#state = CHUNK_LF;
          else if (c === LF && !this.#crlf)
            this.#state = CHUNK_SIZE;
          else
            throw invalid("missing CRLF after chunk data");
          break;
        }
        case CHUNK_LF:
          if (bytes[pos++] !== LF)
            throw invalid("missing LF after CR after chunk data");
          this.#state = CHUNK_SIZE;
          break;
        default: // DONE: a callback completed or reset the parser; leave the rest to the caller
          return pos;
      }
    }
    return length;
  }

  /**
   * Scans the head (or trailer) block from bytes[pos]. Returns -1 when bytes ended inside it (kept in
   * `hb`), else the index in `bytes` after its blank line (with #stop set when the response completed).
   */
  #headBlock(bytes: Uint8Array, pos: number): number {
    // The block's bytes are src[base, srcEnd); `from` maps a src index back to `bytes` (src === bytes: 0).
    let src: Uint8Array;
    let base: number;
    let srcEnd: number;
    let from = 0;
    if (this.#hbLen === 0) {
      src = bytes;
      base = pos;
      srcEnd = bytes.length;
    }
    else {
      // the block began in an earlier push: append what can still belong to it (one byte past the limit
      // is enough to tell that a line exceeds it)
      const start = this.#hbLen;
      const n = Math.min(bytes.length - pos, this.#max + 3 - start);
      this.#keepHead(bytes, pos, pos + (n > 0 ? n : 0));
      src = this.#hb!;
      base = 0;
      srcEnd = this.#hbLen;
      from = pos - start;
    }
    for (;;) {
      const at = base + this.#count;
      let lf = src.indexOf(LF, at);
      if (lf >= srcEnd)
        lf = -1;
      const stop = lf < 0 ? srcEnd : lf + 1;
      const total = stop - at;
      // The checks on a line's first bytes come before the size check, whatever bytes have arrived: a line
      // that is not a status line, or a folded field line, is ERR_INVALID_RESPONSE however long it is and
      // wherever the input is split.
      if (at < srcEnd) {
        if (this.#state === HEAD && !this.#haveStatus) {
          // empty lines before the status line are skipped (as a server does before a request line, RFC 9112 §2.2)
          if (!(lf === at || (src[at] === CR && (lf === at + 1 || (lf < 0 && total === 1)))))
            this.#checkStatusPrefix(src, at, lf < 0 ? total : lf - at);
        }
        else if (src[at] === SP || src[at] === HTAB)
          this.#checkFold(src, base);
      }
      if (total > this.#max + 2 - this.#count)
        throw this.#tooLarge();
      if (lf < 0) {
        if (src === bytes)
          this.#keepHead(bytes, base, srcEnd);
        return -1;
      }
      const end = lf > at && src[lf - 1] === CR ? lf - 1 : lf;
      if (end === lf && this.#crlf)
        throw invalid(`a line of the ${this.#state === HEAD ? "head" : "trailers"} ends in LF without CR`);
      if (end === at) {
        if (this.#state === HEAD && !this.#haveStatus) { // an empty line before the status line: counted, skipped
          this.#count += total;
          if (this.#count > this.#max)
            throw this.#tooLarge();
          continue;
        }
        const next = stop + from;
        if (this.#state === TRAILERS) {
          const trailers = this.#fields(src, base);
          this.#resetHead();
          this.#stop = true;
          return this.#done(next, trailers);
        }
        if (this.#status < 200) { // interim response: skipped, the next head follows in `bytes`
          this.#resetHead();
          src = bytes;
          base = next;
          srcEnd = bytes.length;
          from = 0;
          continue;
        }
        const headers = this.#fields(src, base);
        this.#resetHead();
        if (!this.#endOfHead(headers))
          return next;
        this.#stop = true;
        return this.#done(next, []);
      }
      this.#count += total;
      if (this.#count > this.#max)
        throw this.#tooLarge();
      if (this.#state === HEAD && !this.#haveStatus) {
        this.#parseStatus(src, at, end, base);
        this.#haveStatus = true;
      }
      else if (src[at] === SP || src[at] === HTAB) // obs-fold, allowed by #checkFold
        this.#bits |= scanContinuation(src, at, end, this.#offsets, base);
      else
        this.#bits |= scanField(src, at, end, this.#state === HEAD ? "header" : "trailer", this.#offsets, base);
    }
  }

  /**
   * A line of the block starts with SP or HTAB (obs-fold). RFC 9112 §5.2: a user agent MUST replace it with
   * SP. Refused when there is no field before it (§2.2), or when the folded field is Content-Length or
   * Transfer-Encoding: a recipient that drops or rejects the continuation would frame the response
   * otherwise than we do.
   */
  #checkFold(src: Uint8Array, base: number): void {
    const where = this.#state === HEAD ? "header" : "trailer";
    const offsets = this.#offsets;
    let i = offsets.length - 4;
    while (i >= 0 && offsets[i + 1] === 0) i -= 4; // earlier continuations of the same field
    if (i < 0)
      throw invalid(`whitespace before the first ${where} field`);
    const colon = offsets[i + 1] < 0 ? -offsets[i + 1] : offsets[i + 1];
    for (const framing of FRAMING)
      if (isName(src, base + offsets[i], base + colon, framing))
        throw invalid(`obsolete line folding in ${framing}`);
  }

  /** Decodes the block's fields from src (offsets relative to `base`), with one decode for all of them. */
  #fields(src: Uint8Array, base: number): [string, string][] {
    const offsets = this.#offsets;
    const fields: [string, string][] = [];
    const n = offsets.length;
    const reason = this.#reasonEnd > this.#reasonStart;
    if (n === 0 && !reason)
      return fields;
    const stop = base + (n ? offsets[n - 1] : this.#reasonEnd); // the last value's end (the reason's)
    const text = this.#bits & 0x80 ? latin1(src, base, stop) : utf8Text(src.subarray(base, stop)) /* UTF-8 is Latin-1 for ASCII bytes: one native call */;
    if (reason)
      this.#statusText = text.slice(this.#reasonStart, this.#reasonEnd);
    for (let i = 0; i < n; i += 4) {
      const colon = offsets[i + 1];
      if (colon === 0) { // obs-fold: the previous field's value goes on after one SP
        const more = text.slice(offsets[i + 2], offsets[i + 3]);
        const last = fields[fields.length - 1];
        if (more)
          last[1] = last[1] ? `${last[1]} ${more}` : more;
        continue;
      }
      const name = colon < 0 ? text.slice(offsets[i], -colon).toLowerCase() : text.slice(offsets[i], colon);
      fields.push([name, text.slice(offsets[i + 2], offsets[i + 3])]);
    }
    return fields;
  }

  #done(pos: number, trailers: [string, string][]): number {
    this.#state = DONE;
    this.#events.onComplete(trailers);
    return pos;
  }

  #tooLarge(): HttpError {
    return this.#state === TRAILERS
      ? new HttpError("ERR_HEADERS_TOO_LARGE", `trailer fields exceed ${this.#max} bytes`)
      : new HttpError("ERR_HEADERS_TOO_LARGE", `response head exceeds ${this.#max} bytes`);
  }

  /** Rejects a status line early, from its first 8 bytes (src[start, start + length)), when it cannot be HTTP/1.x. */
  #checkStatusPrefix(src: Uint8Array, start: number, length: number): void {
    const n = length < 8 ? length : 8;
    for (let i = 0; i < n; i++) {
      const c = src[start + i];
      if (i < 7 ? c !== HTTP1[i] : c < 48 || c > 57)
        throw invalid(`not an HTTP/1.x response (status line starts ${JSON.stringify(latin1(src, start, start + n))})`);
    }
  }

  #parseStatus(src: Uint8Array, start: number, end: number, base: number): void {
    const length = end - start;
    this.#checkStatusPrefix(src, start, length);
    if (length < 9)
      throw invalid(`not an HTTP/1.x response (status line ${JSON.stringify(latin1(src, start, end))})`);
    if (src[start + 8] !== SP)
      throw invalid(`malformed status line ${this.#shown(src, start, end)}`);
    let status = 0;
    for (let i = start + 9; i < start + 12; i++) {
      const c = i < end ? src[i] : -1;
      if (c < 48 || c > 57)
        throw invalid(`status code is not 3 digits in ${this.#shown(src, start, end)}`);
      status = status * 10 + c - 48;
    }
    if (length > 12 && src[start + 12] !== SP)
      throw invalid(`status code is not 3 digits in ${this.#shown(src, start, end)}`);
    if (status < 100)
      throw invalid(`status code ${status} is below 100`);
    if (status === 101)
      throw invalid("101 Switching Protocols, but no upgrade was asked for");
    let bits = 0;
    for (let i = start + 13; i < end; i++) {
      const c = src[i];
      if ((c < SP && c !== HTAB) || c === 127)
        throw invalid(controlReason(c, "status line"));
      bits |= c;
    }
    this.#bits |= bits;
    this.#version = src[start + 7] === 48 ? "1.0" : "1.1";
    this.#status = status;
    this.#statusText = "";
    if (length > 13) {
      this.#reasonStart = start + 13 - base;
      this.#reasonEnd = end - base;
    }
  }

  /** The status line's first 40 bytes, quoted, for an error message. */
  #shown(src: Uint8Array, start: number, end: number): string {
    return JSON.stringify(latin1(src, start, end < start + 40 ? end : start + 40));
  }

  /** The blank line after the header fields (a final response). Returns true when the response is already complete. */
  #endOfHead(headers: [string, string][]): boolean {
    const status = this.#status;
    const { lengths, codings, connection } = framingFields(headers);

    let bodyKind: BodyKind;
    let contentLength = -1;
    if (this.#isHead || status === 204 || status === 304)
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
      keepAlive = this.#version === "1.1" ? !close : !close && tokens.includes("keep-alive");
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing: close after it.
      if (this.#version === "1.0" && bodyKind === "chunked")
        keepAlive = false;
    }

    const head: ResponseHead = {
      version: this.#version,
      status,
      statusText: this.#statusText,
      headers,
      bodyKind,
      contentLength: bodyKind === "length" ? contentLength : -1,
      keepAlive,
    };
    this.#contentLength = head.contentLength;
    let complete = false;
    if (bodyKind === "none" || (bodyKind === "length" && contentLength === 0)) {
      this.#state = DONE;
      complete = true;
    }
    else if (bodyKind === "length") {
      this.#state = BODY_LENGTH;
      this.#remaining = contentLength;
    }
    else if (bodyKind === "chunked")
      this.#state = CHUNK_SIZE;
    else
      this.#state = BODY_CLOSE;
    this.#events.onHead(head);
    if (complete && this.#state !== DONE)
      return false; // onHead reset the parser (expect()): nothing more to do here
    return complete;
  }

  /** chunk-size [BWS ; chunk-ext] from src[start, end) (line ending removed). */
  #parseChunkSize(src: Uint8Array, start: number, end: number): number {
    let i = start;
    let size = 0;
    while (i < end) {
      const d = HEX[src[i]];
      if (d < 0)
        break;
      if (i - start === MAX_CHUNK_DIGITS)
        throw invalid(`chunk size has more than ${MAX_CHUNK_DIGITS} hex digits`);
      size = size * 16 + d;
      i++;
    }
    if (i === start)
      throw invalid(src[start] === CR ? "bare CR in chunk-size line" : "chunk size is not a hex number");
    if (size > MAX_CHUNK_SIZE)
      throw invalid(`chunk size ${size} exceeds 2^31`);
    if (i < end) {
      while (i < end && (src[i] === SP || src[i] === HTAB)) i++;
      if (i === end || src[i] !== SEMICOLON)
        throw invalid("chunk size is not a hex number");
      checkChunkExtensions(src, i, end);
    }
    return size;
  }
}

function skipBWS(src: Uint8Array, i: number, end: number): number {
  while (i < end && (src[i] === SP || src[i] === HTAB)) i++;
  return i;
}

/**
 * RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), the name a
 * token, the value a token or a quoted-string. src[i] is the first ";"; src[end] the line ending.
 */
function checkChunkExtensions(src: Uint8Array, i: number, end: number): void {
  while (i < end) {
    if (src[i] !== SEMICOLON)
      throw invalid(extensionReason(src[i], "chunk extension"));
    i = skipBWS(src, i + 1, end);
    const name = i;
    while (i < end && TOKEN[src[i]]) i++;
    if (i === name)
      throw invalid(i === end ? "empty chunk extension name" : extensionReason(src[i], "chunk extension name"));
    i = skipBWS(src, i, end);
    if (i === end || src[i] !== 61 /* = */)
      continue;
    i = skipBWS(src, i + 1, end);
    if (i < end && src[i] === 34 /* " */) {
      for (i++; ; i++) {
        if (i === end)
          throw invalid("unterminated quoted string in a chunk extension");
        const c = src[i];
        if (c === 34)
          break;
        if (c === 92 /* \ */) {
          if (++i === end)
            throw invalid("unterminated quoted string in a chunk extension");
          const q = src[i];
          if ((q < SP && q !== HTAB) || q === 127)
            throw invalid(controlReason(q, "chunk extension value"));
        }
        else if ((c < SP && c !== HTAB) || c === 127)
          throw invalid(controlReason(c, "chunk extension value"));
      }
      i = skipBWS(src, i + 1, end);
    }
    else {
      const value = i;
      while (i < end && TOKEN[src[i]]) i++;
      if (i === value)
        throw invalid(i === end ? "empty chunk extension value" : extensionReason(src[i], "chunk extension value"));
      i = skipBWS(src, i, end);
    }
  }
}

function extensionReason(c: number, where: string): string {
  return (c < SP && c !== HTAB) || c === 127 ? controlReason(c, where) : `invalid character 0x${c.toString(16).padStart(2, "0")} in ${where}`;
}

/** The one value of Content-Length fields: every element 1*DIGIT (at most 15) and all equal. */
export function parseContentLength(values: string[]): number {
  let result = -1;
  for (const value of values)
    for (const element of value.indexOf(",") < 0 ? [value] : value.split(",")) {
      const item = trimOWS(element);
      if (item.length === 0 || item.length > MAX_LENGTH_DIGITS)
        throw invalid(`invalid Content-Length ${JSON.stringify(value)}`);
      let n = 0;
      for (let i = 0; i < item.length; i++) {
        const c = item.charCodeAt(i);
        if (c < 48 || c > 57)
          throw invalid(`invalid Content-Length ${JSON.stringify(value)}`);
        n = n * 10 + c - 48;
      }
      if (result >= 0 && n !== result)
        throw invalid(`conflicting Content-Length values ${result} and ${n}`);
      result = n;
    }
  return result;
}
