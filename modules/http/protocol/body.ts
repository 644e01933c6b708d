// Message body framing (RFC 9112 §6, §7): a body of Content-Length bytes, a chunked one (chunk extensions
// checked, trailer fields read), or one that runs until the peer closes. Pure (no I/O), incremental,
// bounded; identical results for any split of the input. The response parser frames the client's bodies
// with it and the request parser the server's, so both sides follow the same rules.
//
// States: idle → length | close | chunk-size → chunk-data → chunk-CR → chunk-LF → chunk-size … → (the last
// chunk, size 0) trailers → done. A chunk-size line split across pushes is kept in `part` (it is short:
// at most 1024 bytes); trailers are a FieldBlock, bounded like a head.
import { Byte, FieldBlock, TOKEN, appendBytes, controlReason, invalid } from "http/protocol/fields";

/** How a message's body is framed: none, Content-Length bytes, chunked, or until the peer closes. */
export type BodyKind = "none" | "length" | "chunked" | "close";

export interface BodyEvents {
  /** Body bytes: a view into the pushed buffer, valid only during the call (copy to keep). */
  onData(chunk: Uint8Array): void;
}

// Const enums: tsc writes the numbers in (a module's const costs XS code).
const enum State {
  IDLE,        // no body under way (or the owner was reset from a callback)
  LENGTH,      // Content-Length body
  CLOSE,       // body until the peer closes
  CHUNK_SIZE,  // chunk-size [; ext] line
  CHUNK_DATA,
  CHUNK_CR,    // CR (or LF) after chunk data
  CHUNK_LF,    // LF after that CR
  TRAILERS,
  DONE,
}

const enum Max {
  CHUNK_LINE = 1024,        // chunk-size line with extensions and line ending
  CHUNK_SIZE = 0x80000000,  // 2^31
  CHUNK_DIGITS = 8,
}


/** Hex digit values by byte, -1 for others. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c;

/** Reads one body after another (start() before each), handing its bytes to onData as they arrive. */
export class BodyDecoder {
  declare private readonly events: BodyEvents;
  declare private readonly crlf: boolean;
  declare private readonly maxTrailerBytes: number;
  /** Made when a chunked body reaches its trailers, kept for the next body (a server's connection reads many). */
  declare private trailerBlock: FieldBlock | undefined;

  declare private state: number;
  declare private remaining: number;       // body bytes left (length), or chunk bytes left
  declare private contentLength: number;
  declare private trailerFields: [string, string][] | undefined;

  // a chunk-size line split across pushes
  declare private part: Uint8Array | undefined;
  declare private partLen: number;

  /** `maxTrailerBytes`: the limit on the trailer fields. `requireCRLF`: a bare LF is refused in every line. */
  constructor(events: BodyEvents, maxTrailerBytes: number, requireCRLF: boolean) {
    this.state = this.remaining = this.partLen = 0; // IDLE
    this.contentLength = -1;
    this.trailerFields = this.part = undefined;
    this.events = events;
    this.crlf = requireCRLF;
    this.maxTrailerBytes = maxTrailerBytes;
    this.trailerBlock = undefined;
  }

  /** Starts a body: `length` (`contentLength` bytes, at least 1), `chunked` or `close` (`contentLength` -1). */
  start(kind: "length" | "chunked" | "close", contentLength: number): void {
    this.reset();
    this.state = kind === "length" ? State.LENGTH : kind === "chunked" ? State.CHUNK_SIZE : State.CLOSE;
    this.remaining = this.contentLength = contentLength; // -1 but for "length": a chunk sets remaining
    this.trailerFields = undefined;
  }

  /** No body under way: what was read of one is forgotten. */
  reset(): void {
    this.state = State.IDLE;
    this.partLen = 0;
    this.trailerBlock?.reset();
  }

  /** reset(), and lets the line buffers go (after an error). */
  drop(): void {
    this.reset();
    this.part = this.trailerBlock = undefined;
  }

  /** True once the body has ended. */
  get complete(): boolean {
    return this.state === State.DONE;
  }

  /** The trailer fields of the body that ended (a chunked body's; none for another). */
  get trailers(): [string, string][] {
    return this.trailerFields ?? [];
  }

  /**
   * The common case, without push()'s loop: `bytes` are all body bytes of a Content-Length body that goes
   * on after them. Then hands them to onData and returns true; else false, and push() reads them.
   */
  takeWhole(bytes: Uint8Array): boolean {
    if (this.state !== State.LENGTH || bytes.length >= this.remaining)
      return false;
    this.remaining -= bytes.length;
    this.events.onData(bytes);
    return true;
  }

  /**
   * Reads body bytes from bytes[pos]. Returns the index after the body when it ended there (complete), or
   * where onData reset the owner (reset(): the rest is not this body's), else bytes.length. Throws HttpError
   * ERR_INVALID_RESPONSE on bad framing, ERR_HEADERS_TOO_LARGE on trailers beyond their limit.
   */
  push(bytes: Uint8Array, pos: number): number {
    const length = bytes.length;
    while (pos < length) {
      switch (this.state) {
        case State.LENGTH:
        case State.CHUNK_DATA: {
          const n = Math.min(this.remaining, length - pos);
          const chunk = n === length ? bytes : bytes.subarray(pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0)
            this.state = this.state === State.LENGTH ? State.DONE : State.CHUNK_CR;
          this.events.onData(chunk);
          if (this.state === State.DONE)
            return pos;
          break;
        }
        case State.CLOSE:
          this.events.onData(pos === 0 ? bytes : bytes.subarray(pos));
          return length;
        case State.CHUNK_SIZE: {
          const lf = bytes.indexOf(Byte.LF, pos);
          const stop = lf < 0 ? length : lf + 1;
          if (this.partLen + stop - pos > Max.CHUNK_LINE)
            throw invalid(`chunk-size line longer than ${Max.CHUNK_LINE} bytes`);
          if (lf < 0) {
            this.keep(bytes, pos, stop);
            return length;
          }
          let size: number;
          if (this.partLen === 0) {
            const cr = lf > pos && bytes[lf - 1] === Byte.CR;
            if (!cr && this.crlf)
              throw invalid("chunk-size line ends in LF without CR");
            size = parseChunkSize(bytes, pos, cr ? lf - 1 : lf);
          }
          else {
            this.keep(bytes, pos, lf);
            const part = this.part!;
            const end = this.partLen;
            this.partLen = 0;
            const cr = end > 0 && part[end - 1] === Byte.CR;
            if (!cr && this.crlf)
              throw invalid("chunk-size line ends in LF without CR");
            size = parseChunkSize(part, 0, cr ? end - 1 : end);
          }
          pos = stop;
          if (size === 0) {
            this.state = State.TRAILERS;
            (this.trailerBlock ??= new FieldBlock(this.maxTrailerBytes, this.crlf)).reset();
          }
          else {
            this.state = State.CHUNK_DATA;
            this.remaining = size;
          }
          break;
        }
        case State.CHUNK_CR: {
          const c = bytes[pos++];
          if (c === Byte.CR)
            this.state = State.CHUNK_LF;
          else if (c === Byte.LF && !this.crlf)
            this.state = State.CHUNK_SIZE;
          else
            throw invalid("missing CRLF after chunk data");
          break;
        }
        case State.CHUNK_LF:
          if (bytes[pos++] !== Byte.LF)
            throw invalid("missing LF after CR after chunk data");
          this.state = State.CHUNK_SIZE;
          break;
        case State.TRAILERS: {
          const block = this.trailerBlock!;
          const next = block.scan(bytes, pos);
          if (next < 0)
            return length;
          this.trailerFields = block.fields(block.decode(bytes, pos, 0));
          block.reset();
          this.state = State.DONE;
          return next;
        }
        default: // DONE, or IDLE: onData reset the owner; the rest is the caller's
          return pos;
      }
    }
    return length;
  }

  /** Why the body is incomplete if the input ends now; undefined when that ends it (a body until the close). */
  truncation(): string | undefined {
    switch (this.state) {
      case State.CLOSE:
        return undefined;
      case State.LENGTH:
        return `body ended after ${this.contentLength - this.remaining} of ${this.contentLength} bytes`;
      case State.TRAILERS:
        return "chunked body ended in its trailer fields";
      case State.CHUNK_DATA:
        return `chunked body ended with ${this.remaining} bytes of a chunk missing`;
      default:
        return "chunked body ended before its last chunk";
    }
  }

  /** Appends bytes[start, end) to the partial chunk-size line. The caller has bounded its length. */
  private keep(bytes: Uint8Array, start: number, end: number): void {
    this.part = appendBytes(this.part, this.partLen, bytes, start, end, 64);
    this.partLen += end - start;
  }
}

/** chunk-size [BWS ; chunk-ext] from src[start, end) (line ending removed). */
function parseChunkSize(src: Uint8Array, start: number, end: number): number {
  let i = start;
  let size = 0;
  while (i < end) {
    const d = HEX[src[i]];
    if (d < 0)
      break;
    if (i - start === Max.CHUNK_DIGITS)
      throw invalid(`chunk size has more than ${Max.CHUNK_DIGITS} hex digits`);
    size = size * 16 + d;
    i++;
  }
  if (i === start)
    throw invalid(src[start] === Byte.CR ? "bare CR in chunk-size line" : "chunk size is not a hex number");
  if (size > Max.CHUNK_SIZE)
    throw invalid(`chunk size ${size} exceeds 2^31`);
  if (i < end) {
    while (i < end && (src[i] === Byte.SP || src[i] === Byte.HTAB)) i++;
    if (i === end || src[i] !== Byte.SEMICOLON)
      throw invalid("chunk size is not a hex number");
    checkChunkExtensions(src, i, end);
  }
  return size;
}

function skipBWS(src: Uint8Array, i: number, end: number): number {
  while (i < end && (src[i] === Byte.SP || src[i] === Byte.HTAB)) i++;
  return i;
}

/**
 * RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), the name a
 * token, the value a token or a quoted-string. src[i] is the first ";"; src[end] the line ending.
 */
function checkChunkExtensions(src: Uint8Array, i: number, end: number): void {
  while (i < end) {
    if (src[i] !== Byte.SEMICOLON)
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
          if ((q < Byte.SP && q !== Byte.HTAB) || q === 127)
            throw invalid(controlReason(q, "chunk extension value"));
        }
        else if ((c < Byte.SP && c !== Byte.HTAB) || c === 127)
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
  return (c < Byte.SP && c !== Byte.HTAB) || c === 127 ? controlReason(c, where) : `invalid character 0x${c.toString(16).padStart(2, "0")} in ${where}`;
}
