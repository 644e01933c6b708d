// The HTTP/1.1 response parser (http/protocol/response-parser) on byte input: framing, validation, limits, truncation,
// and split-independence (property cases with a seeded PRNG). Device code: runs in both lanes.
import { ResponseParser, type ResponseHead, type ParserOptions } from "http/protocol/response-parser";
import { isToken } from "http/protocol/fields";
import { HttpError } from "http/errors";
import { assert, equal, equalBytes, type TestCase, mulberry32 } from "./harness";

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++)
    out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function textOf(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 256)
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 256, bytes.length)) as unknown as number[]);
  return out;
}

interface Outcome {
  heads: ResponseHead[];
  body: string;
  trailers: [string, string][] | undefined;
  completed: boolean;
  /** Sum of push() results up to completion (or of all pushes). */
  consumed: number;
  /** Code of the HttpError thrown by push() or finish(), "" when none. */
  error: string;
  /** Where the error came from. */
  errorFrom: "" | "push" | "finish";
  /** Serialized event log, independent of how data was split. */
  log: string;
}

type Split = "whole" | "bytes" | number[];

/** Cut points for `input`: whole, one byte at a time, or at the given ascending offsets. */
function pieces(input: Uint8Array, split: Split): Uint8Array[] {
  if (split === "whole")
    return [input];
  const out: Uint8Array[] = [];
  if (split === "bytes") {
    for (let i = 0; i < input.length; i++)
      out.push(input.subarray(i, i + 1));
    return out;
  }
  let last = 0;
  for (const cut of split) {
    if (cut > last && cut < input.length) {
      out.push(input.subarray(last, cut));
      last = cut;
    }
  }
  out.push(input.subarray(last));
  return out;
}

interface ParseOptions extends ParserOptions {
  method?: string;
  split?: Split;
  /** Call finish() after the input when not complete (the peer closed). Default true. */
  finish?: boolean;
}

/** Feeds `input` to a fresh parser; never throws anything but an HttpError's code into the outcome. */
function parse(input: Uint8Array | string, options: ParseOptions = {}): Outcome {
  const data = typeof input === "string" ? bytesOf(input) : input;
  const outcome: Outcome = { heads: [], body: "", trailers: undefined, completed: false, consumed: 0, error: "", errorFrom: "", log: "" };
  let log = "";
  let pending = "";
  const flush = () => {
    if (pending) {
      log += `D${pending.length}:${pending};`;
      pending = "";
    }
  };
  const parser = new ResponseParser({
    onHead(head) {
      flush();
      outcome.heads.push(head);
      log += `H${JSON.stringify(head)};`;
    },
    onData(chunk) {
      const text = textOf(chunk);
      pending += text;
      outcome.body += text;
    },
    onComplete(trailers) {
      flush();
      assert(!outcome.completed, "onComplete called twice");
      outcome.completed = true;
      outcome.trailers = trailers;
      log += `C${JSON.stringify(trailers)};`;
    },
  }, { maxHeaderBytes: options.maxHeaderBytes });
  parser.expect(options.method ?? "GET");
  try {
    for (const piece of pieces(data, options.split ?? "whole")) {
      const n = parser.push(piece);
      assert(n >= 0 && n <= piece.length, `push() returned ${n} for ${piece.length} bytes`);
      outcome.consumed += n;
      if (parser.complete) {
        assert(n === piece.length || outcome.completed, "push() kept bytes without completing");
        break;
      }
      assert(n === piece.length, `push() consumed ${n} of ${piece.length} bytes without completing`);
    }
  }
  catch (error) {
    if (!(error instanceof HttpError))
      throw error;
    outcome.error = error.code;
    outcome.errorFrom = "push";
  }
  if (!outcome.error && !parser.complete && options.finish !== false) {
    try {
      parser.finish();
    }
    catch (error) {
      if (!(error instanceof HttpError))
        throw error;
      outcome.error = error.code;
      outcome.errorFrom = "finish";
    }
  }
  flush();
  if (outcome.error)
    log += `E${outcome.error}@${outcome.errorFrom};`;
  if (outcome.errorFrom !== "push") // what push() returned before a throw depends on the split
    log += `N${outcome.consumed};`;
  outcome.log = log;
  return outcome;
}

/** Parses whole and one byte at a time; both must agree. */
function parseBoth(input: string, options: ParseOptions = {}): Outcome {
  const whole = parse(input, { ...options, split: "whole" });
  const bytes = parse(input, { ...options, split: "bytes" });
  equal(bytes.log, whole.log, "event log one byte at a time vs. whole");
  return whole;
}

function expectOk(input: string, options: ParseOptions = {}): Outcome {
  const outcome = parseBoth(input, options);
  equal(outcome.error, "", "error");
  assert(outcome.completed, "response completed");
  return outcome;
}

/** The response must be rejected with `code` (by push(), or by finish() for ERR_TRUNCATED). */
function expectError(input: string, code: string, options: ParseOptions = {}): Outcome {
  const outcome = parseBoth(input, options);
  equal(outcome.error, code, "error code");
  equal(outcome.errorFrom, code === "ERR_TRUNCATED" ? "finish" : "push", "error raised by");
  return outcome;
}

function header(head: ResponseHead, name: string): string | undefined {
  return head.headers.find(([n]) => n === name)?.[1];
}

const rejections: [string, string, string][] = [
  ["Content-Length fields with different values", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "ERR_INVALID_RESPONSE"],
  ["a Content-Length list with different values", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!", "ERR_INVALID_RESPONSE"],
  ["a non-numeric Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["Content-Length -1", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["Content-Length +5", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "ERR_INVALID_RESPONSE"],
  ["an empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a 16-digit Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["Content-Length together with Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["Transfer-Encoding \"gzip, chunked\" (no decompression)", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["Transfer-Encoding \"chunked, chunked\"", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk extension without a name", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk extension name that is not a token", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk extension with an empty value", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk extension value with a separator", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b/c\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["an unterminated quoted chunk extension value", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a control byte in a quoted chunk extension value", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\u0001\"\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["9000 bytes that are not a status line (the same code for any split)", "d".repeat(9000), "ERR_INVALID_RESPONSE"],
  ["a long line that is not a status line, with its LF", "d".repeat(9000) + "\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a non-hex chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["chunk size \"0x5\"", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["an empty chunk-size line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk size over 8 hex digits", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100000000\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a chunk size over 2^31", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["chunk data not followed by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello world\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a bare CR in the head", "HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a bare CR ending the status line", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["obsolete line folding of Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 0\r\n\r\nxxxxxxxxxx", "ERR_INVALID_RESPONSE"],
  ["obsolete line folding of Transfer-Encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\tabc\r\n\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["whitespace before the first header field", "HTTP/1.1 200 OK\r\n Host: foo\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a control byte in a folded header value", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\u0001\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a NUL in a header value", "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a control byte in a header value", "HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a control byte in a header name", "HTTP/1.1 200 OK\r\nX-\u001bA: ab\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a header line without a colon", "HTTP/1.1 200 OK\r\nX-A value\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["whitespace between header name and colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["an empty header name", "HTTP/1.1 200 OK\r\n: value\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a 2-digit status code", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a 4-digit status code", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a non-numeric status code", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a status code below 100", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["version HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["version HTTP/0.9", "HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a lower-case http/1.1", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "ERR_INVALID_RESPONSE"],
  ["a non-HTTP banner (SSH)", "SSH-2.0-OpenSSH_9.6\r\n", "ERR_INVALID_RESPONSE"],
  ["101 Switching Protocols (never asked for)", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", "ERR_INVALID_RESPONSE"],
];

const validResponses: { name: string; text: string; method?: string }[] = [
  { name: "sized", text: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello, world" },
  { name: "chunked with ext and trailers", text: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7 ; x\r\n, world\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Checksum: 42\r\nX-Other:  two \r\n\r\n" },
  { name: "close-delimited", text: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the peer closes\r\n\r\nstill body" },
  { name: "100-continue prefix", text: "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\nHTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 3\r\n\r\nabc" },
  { name: "no reason phrase", text: "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok" },
  { name: "HTTP/1.0 keep-alive", text: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbody" },
  { name: "bare LF chunked", text: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n" },
  { name: "204 with extra bytes after", text: "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\n" },
];

function randomSplit(random: () => number, length: number): number[] {
  const cuts: number[] = [];
  const count = Math.floor(random() * 8);
  for (let i = 0; i < count; i++)
    cuts.push(1 + Math.floor(random() * Math.max(1, length - 1)));
  return cuts.sort((a, b) => a - b);
}

const MUTATION_BYTES = [13, 10, 0, 58, 32, 9, 59, 48, 70, 127, 0x80, 0xff, 44, 65];

function mutate(random: () => number, input: Uint8Array): Uint8Array {
  let bytes = Array.from(input);
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const pick = random();
    const value = random() < 0.6 ? MUTATION_BYTES[Math.floor(random() * MUTATION_BYTES.length)] : Math.floor(random() * 256);
    if (pick < 0.35 && at < bytes.length)
      bytes[at] = value;
    else if (pick < 0.55 && at < bytes.length)
      bytes[at] ^= 1 << Math.floor(random() * 8);
    else if (pick < 0.8)
      bytes.splice(at, 0, value);
    else if (at < bytes.length)
      bytes.splice(at, 1 + Math.floor(random() * 3));
    else
      bytes = bytes.slice(0, Math.floor(random() * bytes.length));
  }
  return Uint8Array.from(bytes);
}

export const parserCases: TestCase[] = [
  {
    name: "parser: isToken takes RFC 9110 tchars and refuses the empty string, separators, spaces and non-ASCII",
    async run() {
      for (const token of ["GET", "X-Custom_1", "!#$%&'*+-.^_`|~", "a"])
        assert(isToken(token), `token ${JSON.stringify(token)}`);
      for (const text of ["", "a b", "a:b", "a\r", "(x)", "\u00e9", "a\u0100"])
        assert(!isToken(text), `not a token ${JSON.stringify(text)}`);
    },
  },
  {
    name: "parser: a 200 with Content-Length gives status, headers and exactly the body",
    async run() {
      const input = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
      const { heads, body, trailers, consumed } = expectOk(input);
      equal(heads.length, 1, "onHead calls");
      const head = heads[0];
      equal(head.version, "1.1", "version");
      equal(head.status, 200, "status");
      equal(head.statusText, "OK", "statusText");
      equal(head.bodyKind, "length", "bodyKind");
      equal(head.contentLength, 5, "contentLength");
      equal(head.keepAlive, true, "keepAlive");
      equal(header(head, "content-type"), "text/plain", "content-type");
      equal(body, "hello", "body");
      equal(JSON.stringify(trailers), "[]", "trailers");
      equal(consumed, input.length, "bytes consumed");
    },
  },
  {
    name: "parser: body bytes arrive as views of the pushed buffer, not copies",
    async run() {
      const input = bytesOf("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz");
      let view: Uint8Array | undefined;
      const parser = new ResponseParser({ onHead() {}, onData(chunk) { view = chunk; }, onComplete() {} });
      parser.expect("GET");
      equal(parser.push(input), input.length, "consumed");
      assert(view !== undefined, "onData called");
      equal(view.buffer, input.buffer, "same underlying buffer");
      equal(view.byteOffset, input.length - 3, "view offset");
      equalBytes(view, [120, 121, 122], "view bytes");
    },
  },
  {
    name: "parser: a status line without a reason phrase (with or without the space) has statusText \"\"",
    async run() {
      equal(expectOk("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").heads[0].statusText, "", "no space");
      equal(expectOk("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").heads[0].statusText, "", "trailing space");
      equal(expectOk("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").heads[0].statusText, "Not Found", "with reason");
      equal(expectOk("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n").heads[0].version, "1.1", "HTTP/1.2 reads as 1.1");
    },
  },
  {
    name: "parser: header names are lower-cased, values trimmed, repeats kept in order",
    async run() {
      const head = expectOk("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-MiXeD:\t  spaced value \t\r\nSET-COOKIE: b=2\r\nX-Empty:\r\ncontent-LENGTH: 0\r\n\r\n").heads[0];
      equal(JSON.stringify(head.headers), JSON.stringify([["set-cookie", "a=1"], ["x-mixed", "spaced value"], ["set-cookie", "b=2"], ["x-empty", ""], ["content-length", "0"]]), "headers");
    },
  },
  {
    name: "parser: an obsolete line fold in a header or trailer value is replaced by one SP (RFC 9112 §5.2)",
    async run() {
      const { heads, trailers } = expectOk("HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two \r\n\tthree\r\nX-Empty:\r\n \r\n late\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: a\r\n b\r\n\r\n");
      equal(JSON.stringify(heads[0].headers), JSON.stringify([["x-long", "part one part two three"], ["x-empty", "late"], ["transfer-encoding", "chunked"]]), "headers");
      equal(JSON.stringify(trailers), JSON.stringify([["x-t", "a b"]]), "trailers");
    },
  },
  {
    name: "parser: a chunked body with chunk extensions and trailers gives the data and the trailers",
    async run() {
      const { heads, body, trailers } = expectOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n5;a=b\r\nhello\r\n6 ;x=\"y\"\r\n world\r\n0\r\nX-Digest: abc\r\nX-More: 1\r\n\r\n");
      equal(heads[0].bodyKind, "chunked", "bodyKind");
      equal(heads[0].contentLength, -1, "contentLength");
      equal(heads[0].keepAlive, true, "keepAlive");
      equal(body, "hello world", "body");
      equal(JSON.stringify(trailers), JSON.stringify([["x-digest", "abc"], ["x-more", "1"]]), "trailers");
    },
  },
  {
    name: "parser: a close-delimited body completes only at finish(), and keepAlive is false",
    async run() {
      const noFinish = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body", { finish: false });
      equal(noFinish.completed, false, "complete before finish()");
      const { heads, body, completed } = expectOk("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body");
      equal(heads[0].bodyKind, "close", "bodyKind");
      equal(heads[0].keepAlive, false, "keepAlive");
      equal(completed, true, "completed after finish()");
      equal(body, "some body", "body");
    },
  },
  {
    name: "parser: the response to HEAD has no body despite Content-Length",
    async run() {
      const { heads, body, consumed } = expectOk("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", { method: "HEAD" });
      equal(heads[0].bodyKind, "none", "bodyKind");
      equal(heads[0].contentLength, -1, "contentLength");
      equal(heads[0].keepAlive, true, "keepAlive");
      equal(body, "", "body");
      equal(consumed, 41, "consumed");
    },
  },
  {
    name: "parser: 204 and 304 have no body despite Content-Length or Transfer-Encoding",
    async run() {
      for (const status of ["204 No Content", "304 Not Modified"]) {
        const input = `HTTP/1.1 ${status}\r\nContent-Length: 10\r\n\r\n`;
        const { heads, body, consumed } = expectOk(input + "0123456789");
        equal(heads[0].bodyKind, "none", `${status} bodyKind`);
        equal(body, "", `${status} body`);
        equal(consumed, input.length, `${status} consumed`);
      }
      equal(expectOk("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n").heads[0].bodyKind, "none", "304 with TE");
    },
  },
  {
    name: "parser: 100 Continue is skipped; onHead comes only for the final response",
    async run() {
      const { heads, body } = expectOk("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-A: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      equal(heads.length, 1, "onHead calls");
      equal(heads[0].status, 200, "status");
      equal(heads[0].headers.length, 1, "headers of the final response only");
      equal(body, "ok", "body");
    },
  },
  {
    name: "parser: HTTP/1.0 without Connection: keep-alive is not kept alive, with it it is",
    async run() {
      const plain = expectOk("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").heads[0];
      equal(plain.version, "1.0", "version");
      equal(plain.keepAlive, false, "keepAlive without the header");
      equal(expectOk("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok").heads[0].keepAlive, true, "keepAlive with keep-alive");
    },
  },
  {
    name: "parser: HTTP/1.1 with Connection: close is not kept alive",
    async run() {
      equal(expectOk("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 2\r\n\r\nok").heads[0].keepAlive, false, "keepAlive");
      equal(expectOk("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok").heads[0].keepAlive, true, "keepAlive with keep-alive");
    },
  },
  {
    name: "parser: Content-Length: 0 completes right after the head",
    async run() {
      const input = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      const { heads, body, consumed } = expectOk(input + "HTTP/1.1");
      equal(heads[0].contentLength, 0, "contentLength");
      equal(body, "", "body");
      equal(consumed, input.length, "consumed");
    },
  },
  {
    name: "parser: identical duplicate Content-Length values are accepted",
    async run() {
      equal(expectOk("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello").heads[0].contentLength, 5, "two fields");
      equal(expectOk("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello").heads[0].contentLength, 5, "one list");
      equal(expectOk("HTTP/1.1 200 OK\r\nContent-Length: 005\r\n\r\nhello").heads[0].contentLength, 5, "leading zeros");
    },
  },
  {
    name: "parser: push() returns the count up to the end of the response; the rest parses after expect()",
    async run() {
      const first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
      const second = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n";
      const input = bytesOf(first + second);
      const statuses: number[] = [];
      let body = "";
      let completions = 0;
      const parser = new ResponseParser({
        onHead(head) { statuses.push(head.status); },
        onData(chunk) { body += textOf(chunk); },
        onComplete() { completions++; },
      });
      parser.expect("GET");
      equal(parser.idle, true, "idle before any byte");
      const n = parser.push(input);
      equal(n, first.length, "consumed by the first response");
      equal(parser.complete, true, "complete");
      equal(parser.idle, false, "not idle after bytes");
      equal(parser.push(input.subarray(n)), 0, "push after completion");
      parser.finish(); // no-op once complete
      parser.expect("GET");
      equal(parser.complete, false, "not complete after expect()");
      equal(parser.push(input.subarray(n)), second.length, "consumed by the second response");
      equal(statuses.join(","), "200,404", "statuses");
      equal(body, "abcno", "bodies");
      equal(completions, 2, "completions");
    },
  },
  {
    name: "parser: bare LF line endings are tolerated in the head, chunk lines and trailers",
    async run() {
      const { heads, body, trailers } = expectOk("HTTP/1.1 200 OK\nX-A: 1\nTransfer-Encoding: chunked\n\n4\nwiki\r\n5\npedia\n0\nX-T: t\n\n");
      equal(heads[0].status, 200, "status");
      equal(body, "wikipedia", "body");
      equal(JSON.stringify(trailers), JSON.stringify([["x-t", "t"]]), "trailers");
    },
  },
  {
    name: "parser: a Transfer-Encoding whose final coding is not chunked is read until the server closes (RFC 9112 §6.3)",
    async run() {
      for (const input of [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, deflate\r\n\r\nWorld",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\nWorld",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nWorld",
      ]) {
        const { heads, body } = expectOk(input);
        equal(heads[0].bodyKind, "close", `bodyKind of ${JSON.stringify(input)}`);
        equal(heads[0].keepAlive, false, "keepAlive");
        equal(body, "World", "body");
      }
    },
  },
  {
    name: "parser: chunk extensions of token or quoted-string values are accepted (RFC 9112 §7.1.1)",
    async run() {
      const { body } = expectOk("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 ; a ; b = c;d=\"q \\\" \\x;\"\r\nhi\r\n0;last\r\n\r\n");
      equal(body, "hi", "body");
    },
  },
  {
    name: "parser: HTTP/1.0 with Transfer-Encoding: chunked is parsed, but not kept alive",
    async run() {
      const { heads, body } = expectOk("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
      equal(heads[0].keepAlive, false, "keepAlive");
      equal(body, "hi", "body");
    },
  },
  ...rejections.map(([what, input, code]): TestCase => ({
    name: `parser: rejects ${what} (${code})`,
    async run() {
      expectError(input, code);
    },
  })),
  {
    name: "parser: a head larger than maxHeaderBytes is ERR_HEADERS_TOO_LARGE as soon as the limit is crossed",
    async run() {
      const head = "HTTP/1.1 200 OK\r\nX-Pad: " + "a".repeat(200) + "\r\n";
      expectError(head + "Content-Length: 0\r\n\r\n", "ERR_HEADERS_TOO_LARGE", { maxHeaderBytes: 128 });
      // no blank line ever comes: the error must not wait for one
      const cut = parse(head.slice(0, 140), { maxHeaderBytes: 128, split: "bytes", finish: false });
      equal(cut.error, "ERR_HEADERS_TOO_LARGE", "error before the end of the line");
      // exactly at the limit is accepted (the blank line is not counted)
      const exact = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";
      equal(expectOk(exact + "\r\n", { maxHeaderBytes: exact.length }).heads[0].status, 200, "head of exactly maxHeaderBytes");
      expectError(exact + "\r\n", "ERR_HEADERS_TOO_LARGE", { maxHeaderBytes: exact.length - 1 });
      // the default limit is 8192
      const big = parse("HTTP/1.1 200 OK\r\nX-Big: " + "b".repeat(8200) + "\r\n\r\n", { split: [4000] }); // whole-ish: quick on the device
      equal(big.error, "ERR_HEADERS_TOO_LARGE", "default limit");
    },
  },
  {
    name: "parser: trailers larger than maxHeaderBytes are ERR_HEADERS_TOO_LARGE",
    async run() {
      const head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      const ok = expectOk(head + "1\r\nx\r\n0\r\nX-T: " + "t".repeat(50) + "\r\n\r\n", { maxHeaderBytes: 100 });
      equal(ok.trailers?.[0][1].length, 50, "trailer within the limit");
      expectError(head + "1\r\nx\r\n0\r\nX-T: " + "t".repeat(50) + "\r\nX-U: " + "u".repeat(50) + "\r\n\r\n", "ERR_HEADERS_TOO_LARGE", { maxHeaderBytes: 100 });
    },
  },
  {
    name: "parser: a chunk-size line longer than 1024 bytes is rejected",
    async run() {
      expectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + "e".repeat(1100) + "\r\nhello\r\n0\r\n\r\n", "ERR_INVALID_RESPONSE");
    },
  },
  {
    name: "parser: a sized body cut short is ERR_TRUNCATED from finish(), saying how much arrived",
    async run() {
      expectError("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789", "ERR_TRUNCATED");
      const parser = new ResponseParser({ onHead() {}, onData() {}, onComplete() {} });
      parser.expect("GET");
      parser.push(bytesOf("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789"));
      let message = "";
      try {
        parser.finish();
      }
      catch (error) {
        assert(error instanceof HttpError, "an HttpError");
        message = error.message;
      }
      assert(message.includes("10 of 20"), `message says what was missing: ${message}`);
    },
  },
  {
    name: "parser: a chunked body without its last chunk is ERR_TRUNCATED",
    async run() {
      expectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "ERR_TRUNCATED");
      expectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "ERR_TRUNCATED");
      expectError("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n", "ERR_TRUNCATED");
    },
  },
  {
    name: "parser: a head cut short is ERR_TRUNCATED; a close before any byte is ERR_TRUNCATED while idle",
    async run() {
      expectError("HTTP/1.1 200 OK\r\nContent-Len", "ERR_TRUNCATED");
      expectError("HTTP/1.1 2", "ERR_TRUNCATED");
      const parser = new ResponseParser({ onHead() {}, onData() {}, onComplete() {} });
      parser.expect("GET");
      equal(parser.idle, true, "idle");
      let code = "";
      try {
        parser.finish();
      }
      catch (error) {
        assert(error instanceof HttpError, "an HttpError");
        code = error.code;
      }
      equal(code, "ERR_TRUNCATED", "finish() while idle");
    },
  },
  {
    name: "parser: after an error every push() throws again until expect()",
    async run() {
      const parser = new ResponseParser({ onHead() {}, onData() {}, onComplete() {} });
      parser.expect("GET");
      const codes: string[] = [];
      for (const text of ["HTTP/2.0 200 OK\r\n", "HTTP/1.1 200 OK\r\n"]) {
        try {
          parser.push(bytesOf(text));
          codes.push("ok");
        }
        catch (error) {
          codes.push(error instanceof HttpError ? error.code : "other");
        }
      }
      equal(codes.join(","), "ERR_INVALID_RESPONSE,ERR_INVALID_RESPONSE", "both pushes");
      parser.expect("GET");
      const input = bytesOf("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      equal(parser.push(input), input.length, "usable again after expect()");
      equal(parser.complete, true, "complete");
    },
  },
  {
    name: "parser (property): valid responses give the same events whole, at random splits and byte by byte",
    async run() {
      const random = mulberry32(0x5eed1);
      const started = Date.now();
      const reference = validResponses.map((response) => {
        const outcome = parse(response.text, { method: response.method });
        assert(outcome.completed && !outcome.error, `${response.name}: parses whole (${outcome.log})`);
        equal(parse(response.text, { method: response.method, split: "bytes" }).log, outcome.log, `${response.name}: one byte at a time`);
        return outcome.log;
      });
      for (let i = 0; i < 200 && Date.now() - started < 3000; i++) {
        const which = Math.floor(random() * validResponses.length);
        const response = validResponses[which];
        const cuts = randomSplit(random, response.text.length);
        const outcome = parse(response.text, { method: response.method, split: cuts });
        equal(outcome.log, reference[which], `${response.name} split at ${cuts.join(",")}`);
      }
    },
  },
  {
    name: "parser (property): mutated responses end in completion or an HttpError, the same for any split",
    async run() {
      const random = mulberry32(0xbadf00d);
      const started = Date.now();
      const inputs = validResponses.map((response) => bytesOf(response.text));
      let completed = 0;
      let rejected = 0;
      for (let i = 0; i < 200 && Date.now() - started < 3000; i++) {
        const input = mutate(random, inputs[Math.floor(random() * inputs.length)]);
        const shown = JSON.stringify(textOf(input));
        let whole: Outcome;
        try {
          whole = parse(input);
          const split = parse(input, { split: randomSplit(random, input.length) });
          equal(split.log, whole.log, `random split of ${shown}`);
          if (i % 4 === 0)
            equal(parse(input, { split: "bytes" }).log, whole.log, `byte by byte of ${shown}`);
        }
        catch (error) {
          throw new Error(`${shown}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        }
        assert(whole.completed !== (whole.error !== ""), `${shown} ends in exactly one of completion or an error`);
        assert(whole.consumed <= input.length, "consumed at most the input");
        if (whole.completed)
          completed++;
        else
          rejected++;
      }
      assert(completed > 0 && rejected > 0, `both outcomes seen (${completed} completed, ${rejected} rejected)`);
    },
  },
];
