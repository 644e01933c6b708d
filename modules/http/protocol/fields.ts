// Field lines (RFC 9110 §5, RFC 9112 §5) at the byte level: the one place both parsers, the body decoder's
// trailers and both serializers take their field rules from. Pure (no I/O). Holds the token table, the
// validation and decoding of field lines (FieldBlock: a head's or trailers' block of them across pushes),
// the framing fields (Content-Length, Transfer-Encoding, Connection), and the parsers' default limits.
import { utf8Text } from "http/text";
import { HttpError } from "http/errors";

/** The parsers' default limits, in bytes: what a client or server gets unless its options say otherwise. */
export const LIMITS = {
  /** A response's status line and header fields (and, apart, its trailers): the client's maxHeaderBytes. */
  responseHeaderBytes: 8192,
  /** A request's request line and header fields (and, apart, its trailers): the server's maxHeaderBytes. */
  requestHeaderBytes: 4096,
  /** A request's body, decoded: the server's maxBodyBytes. */
  requestBodyBytes: 16384,
};

const MAX_LENGTH_DIGITS = 15;

/** The bytes the parsers look for. A const enum: tsc writes the numbers in (a module's const costs XS code). */
export const enum Byte { HTAB = 9, LF = 10, CR = 13, SP = 32, COLON = 58, SEMICOLON = 59 }


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

/** CR, LF or NUL: what would end a field early or split the message. */
export function forbidden(text: string): boolean {
  return text.includes("\r") || text.includes("\n") || text.includes("\0");
}

export type HeaderInit = Record<string, string | number> | Map<string, string> | [string, string][];

/** Header pairs from any accepted form, names as given. */
export function headerList(init: HeaderInit | undefined): [string, string][] {
  if (!init)
    return [];
  if (Array.isArray(init))
    return init.map(stringPair);
  if (init instanceof Map)
    return Array.from(init.entries(), stringPair);
  return Object.keys(init).map((name) => [name, String(init[name])]);
}

function stringPair([name, value]: [unknown, unknown]): [string, string] {
  return [String(name), String(value)];
}

/** A message that breaks the protocol. The request parser answers it as 400 (see its asRejection). */
export function invalid(reason: string): HttpError {
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
  while (a < b && (s.charCodeAt(a) === Byte.SP || s.charCodeAt(a) === Byte.HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === Byte.SP || s.charCodeAt(b - 1) === Byte.HTAB)) b--;
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

/** Why control byte `c` is refused `where`. */
export function controlReason(c: number, where: string): string {
  if (c === Byte.CR)
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
export function scanField(src: Uint8Array, start: number, end: number, where: string, offsets: number[], base: number): number {
  const first = src[start];
  if (first === Byte.SP || first === Byte.HTAB)
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
  if (c !== Byte.COLON) {
    if (c === Byte.SP || c === Byte.HTAB)
      throw invalid(`whitespace between ${where} name and colon`);
    if (c < Byte.SP || c === 127)
      throw invalid(controlReason(c, `${where} name`));
    throw invalid(`invalid character 0x${c.toString(16).padStart(2, "0")} in ${where} name`);
  }
  if (i === start)
    throw invalid(`empty ${where} name`);
  const colon = i;
  let vs = colon + 1;
  let ve = end;
  while (vs < ve && (src[vs] === Byte.SP || src[vs] === Byte.HTAB)) vs++;
  while (ve > vs && (src[ve - 1] === Byte.SP || src[ve - 1] === Byte.HTAB)) ve--;
  const bits = valueBits(src, vs, ve, where);
  offsets.push(start - base, kinds & 2 ? base - colon : colon - base, vs - base, ve - base);
  return bits;
}

/** The OR of a field value's bytes src[vs, ve) (a caller tells ASCII from the result), refusing controls but HTAB. */
function valueBits(src: Uint8Array, vs: number, ve: number, where: string): number {
  let bits = 0;
  for (let j = vs; j < ve; j++) {
    const v = src[j];
    if ((v < Byte.SP && v !== Byte.HTAB) || v === 127)
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
  while (vs < ve && (src[vs] === Byte.SP || src[vs] === Byte.HTAB)) vs++;
  while (ve > vs && (src[ve - 1] === Byte.SP || src[ve - 1] === Byte.HTAB)) ve--;
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

/** How a block that opens with a start line (a response head: its status line) reads that line. */
export interface StartLine {
  /** What the block is called in errors ("response head"). */
  readonly name: string;
  /** Refuses a line that cannot be a start line, from its first `length` bytes at src[start] (any that have arrived). */
  check(src: Uint8Array, start: number, length: number): void;
  /**
   * Reads the whole start line src[start, end) (line ending removed), its offsets relative to `base` (the
   * block's start in src). Returns the OR of the bytes it wants decoded with the fields (bit 7: not ASCII).
   */
  parse(src: Uint8Array, start: number, end: number, base: number): number;
}

// How a FieldBlock reads a block of field lines (a response head after its status line, or trailers).
// - It is scanned line by line at the byte level (indexOf(LF), then token, colon and control-byte checks),
//   recording only offsets. When its blank line arrives the whole block is decoded once (TextDecoder when
//   every byte is ASCII, else Latin-1) and each name and value is a slice of that one string: no per-line
//   or per-byte string building.
// - A block wholly inside one push is read straight from it. A block split across pushes is copied into
//   `hb` (grown on demand, never beyond the limit, kept for the next block), and scanned there.
// - Every check happens at a fixed byte position (the line's LF, or the byte that crosses a limit), so
//   events and errors do not depend on how the input is split.
// - The limit counts the start line and field lines with their line endings; the blank line that ends the
//   block is not counted (it may use 2 bytes beyond the limit). Empty lines before a start line count.

/** A block of field lines ended by a blank line, scanned across pushes; at most `max` bytes. */
export class FieldBlock {
  declare private readonly max: number;
  declare private readonly crlf: boolean;
  declare private readonly start: StartLine | undefined;
  declare private readonly where: string;     // "header" or "trailer", in errors

  declare private hb: Uint8Array | undefined; // its bytes from earlier pushes, when it began before the current one
  declare private hbLen: number;
  declare private count: number;                  // bytes of its complete lines so far: where its next line starts
  declare private offsets: number[];     // four per field line, see scanField
  declare private bits: number;                   // OR of its value (and start line) bytes: bit 7 set when not ASCII
  declare private awaitingStart: boolean;      // the start line has not arrived yet

  /** `start`: how to read the block's first line, for a head; none for trailers. `crlf`: a bare LF is refused. */
  constructor(max: number, crlf: boolean, start?: StartLine) {
    this.offsets = []; // the rest: reset()
    this.hb = undefined;
    this.max = max;
    this.crlf = crlf;
    this.start = start;
    this.where = start ? "header" : "trailer";
    this.reset();
  }

  /** Starts a new block; keeps `hb` for reuse. */
  reset(): void {
    this.hbLen = 0;
    this.count = 0;
    this.offsets.length = 0;
    this.bits = 0;
    this.awaitingStart = this.start !== undefined;
  }

  /** Starts a new block and lets `hb` go (after an error). */
  drop(): void {
    this.hb = undefined;
    this.reset();
  }

  /** True once the start line has been read (always, for a block without one). */
  get started(): boolean {
    return !this.awaitingStart;
  }

  /** Appends bytes[start, end) to the block kept across pushes. */
  private keep(bytes: Uint8Array, start: number, end: number): void {
    this.hb = appendBytes(this.hb, this.hbLen, bytes, start, end, 512);
    this.hbLen += end - start;
  }

  /**
   * Scans the block from bytes[pos]. Returns -1 when bytes ended inside it (kept in `hb`), else the index
   * in `bytes` after its blank line: then decode() and fields() read it, before the next reset().
   */
  scan(bytes: Uint8Array, pos: number): number {
    // The block's bytes are src[base, srcEnd); `from` maps a src index back to `bytes` (src === bytes: 0).
    let src: Uint8Array;
    let base: number;
    let srcEnd: number;
    let from = 0;
    if (this.hbLen === 0) {
      src = bytes;
      base = pos;
      srcEnd = bytes.length;
    }
    else {
      // the block began in an earlier push: append what can still belong to it (one byte past the limit
      // is enough to tell that a line exceeds it)
      const start = this.hbLen;
      const n = Math.min(bytes.length - pos, this.max + 3 - start);
      this.keep(bytes, pos, pos + (n > 0 ? n : 0));
      src = this.hb!;
      base = 0;
      srcEnd = this.hbLen;
      from = pos - start;
    }
    for (;;) {
      const at = base + this.count;
      let lf = src.indexOf(Byte.LF, at);
      if (lf >= srcEnd)
        lf = -1;
      const stop = lf < 0 ? srcEnd : lf + 1;
      const total = stop - at;
      // The checks on a line's first bytes come before the size check, whatever bytes have arrived: a line
      // that is not a start line, or a folded field line, is ERR_INVALID_RESPONSE however long it is and
      // wherever the input is split.
      if (at < srcEnd) {
        if (this.awaitingStart) {
          // empty lines before the start line are skipped (as a server does before a request line, RFC 9112 §2.2)
          if (!(lf === at || (src[at] === Byte.CR && (lf === at + 1 || (lf < 0 && total === 1)))))
            this.start!.check(src, at, lf < 0 ? total : lf - at);
        }
        else if (src[at] === Byte.SP || src[at] === Byte.HTAB)
          this.checkFold(src, base);
      }
      if (total > this.max + 2 - this.count)
        throw this.tooLarge();
      if (lf < 0) {
        if (src === bytes)
          this.keep(bytes, base, srcEnd);
        return -1;
      }
      const end = lf > at && src[lf - 1] === Byte.CR ? lf - 1 : lf;
      if (end === lf && this.crlf)
        throw invalid(`a line of the ${this.start ? "head" : "trailers"} ends in LF without CR`);
      if (end === at) {
        if (this.awaitingStart) { // an empty line before the start line: counted, skipped
          this.count += total;
          if (this.count > this.max)
            throw this.tooLarge();
          continue;
        }
        return stop + from;
      }
      this.count += total;
      if (this.count > this.max)
        throw this.tooLarge();
      if (this.awaitingStart) {
        this.bits |= this.start!.parse(src, at, end, base);
        this.awaitingStart = false;
      }
      else if (src[at] === Byte.SP || src[at] === Byte.HTAB) // obs-fold, allowed by checkFold
        this.bits |= scanContinuation(src, at, end, this.offsets, base);
      else
        this.bits |= scanField(src, at, end, this.where, this.offsets, base);
    }
  }

  /**
   * A line of the block starts with SP or HTAB (obs-fold). RFC 9112 §5.2: a user agent MUST replace it with
   * SP. Refused when there is no field before it (§2.2), or when the folded field is Content-Length or
   * Transfer-Encoding: a recipient that drops or rejects the continuation would frame the message
   * otherwise than we do.
   */
  private checkFold(src: Uint8Array, base: number): void {
    const offsets = this.offsets;
    let i = offsets.length - 4;
    while (i >= 0 && offsets[i + 1] === 0) i -= 4; // earlier continuations of the same field
    if (i < 0)
      throw invalid(`whitespace before the first ${this.where} field`);
    const colon = offsets[i + 1] < 0 ? -offsets[i + 1] : offsets[i + 1];
    for (const framing of FRAMING)
      if (isName(src, base + offsets[i], base + colon, framing))
        throw invalid(`obsolete line folding in ${framing}`);
  }

  private tooLarge(): HttpError {
    const what = this.start ? `${this.start.name} exceeds` : "trailer fields exceed";
    return new HttpError("ERR_HEADERS_TOO_LARGE", `${what} ${this.max} bytes`);
  }

  /**
   * The block, decoded once: its bytes up to its last field value, or up to `end` (an offset in the block)
   * when that is further (a status line's reason phrase); "" when there is nothing to decode. `bytes` and
   * `pos` are those of the scan() that found its blank line.
   */
  decode(bytes: Uint8Array, pos: number, end: number): string {
    const offsets = this.offsets;
    const n = offsets.length;
    if (n === 0 && !end)
      return "";
    const src = this.hbLen ? this.hb! : bytes;
    const base = this.hbLen ? 0 : pos;
    const stop = base + (n ? offsets[n - 1] : end);
    return this.bits & 0x80 ? latin1(src, base, stop) : utf8Text(src.subarray(base, stop)) /* UTF-8 is Latin-1 for ASCII bytes: one native call */;
  }

  /** The block's fields, names lower-cased, as slices of its decode()d `text`. */
  fields(text: string): [string, string][] {
    const offsets = this.offsets;
    const fields: [string, string][] = [];
    const n = offsets.length;
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
}
