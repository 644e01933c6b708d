// llhttp's Markdown test suite (tests/conformance/llhttp, vendored) read as blocks of bytes with their
// expected event logs, and the two drivers that feed our parsers the way the client and the server do,
// reporting the same normalized events (docs/conformance.md). Used by the conformance test and the fuzzer.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { strict as assert } from "node:assert";
import { ResponseParser } from "http/protocol/response-parser";
import { RequestParser } from "http/protocol/request-parser";
import { HttpError } from "http/errors";
import { projectRoot } from "../../host/paths.js";

export const SUITE = path.join(projectRoot, "tests", "conformance", "llhttp");

export interface Block {
  /** "response/transfer-encoding.md:33" (the line of the block's heading). */
  id: string;
  name: string;
  type: string;
  meta: Record<string, unknown>;
  input: Buffer;
  log: string[];
}

/** The blocks of one Markdown file: heading, meta comment, ```http and ```log fences. */
export function readBlocks(kind: "request" | "response", file: string): Block[] {
  const lines = readFileSync(path.join(SUITE, kind, file), "utf8").split(/\r?\n/);
  const blocks: Block[] = [];
  let heading = "";
  let headingLine = 0;
  let meta: Record<string, unknown> | undefined;
  let http: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^#{1,6} /.test(line)) {
      heading = line.replace(/^#+ /, "");
      headingLine = i + 1;
    }
    else if (i + 1 < lines.length && /^(=+|-+)$/.test(lines[i + 1]) && line.trim() && !line.startsWith("```")) {
      heading = line;
      headingLine = i + 1;
    }
    const m = /^<!-- meta=(\{.*\}) -->$/.exec(line);
    if (m)
      meta = JSON.parse(m[1]) as Record<string, unknown>;
    if (line === "```http" || line === "```log") {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== "```"; i++)
        body.push(lines[i]);
      if (line === "```http")
        http = body.join("\n");
      else {
        assert(meta && http !== undefined, `${kind}/${file}:${i}: a log without its meta and http block`);
        blocks.push({ id: `${kind}/${file}:${headingLine}`, name: heading, type: String(meta.type), meta, input: toBytes(http), log: body });
        meta = undefined;
        http = undefined;
      }
    }
  }
  return blocks;
}

/** A block's text as bytes, as llhttp's test/md-test.ts makes them. */
function toBytes(text: string): Buffer {
  let input = text;
  input = input.replace(/\\(\r\n|\r|\n)/g, "");
  input = input.replace(/\r\n|\r|\n/g, "\r\n");
  input = input.replace(/\\r/g, "\r");
  input = input.replace(/\\n/g, "\n");
  input = input.replace(/\\t/g, "\t");
  input = input.replace(/\\f/g, "\f");
  input = input.replace(/\\x([0-9a-fA-F]+)/g, (_all, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  input = input.replace(/\\([0-7]{1,3})/g, (_all, digits: string) => String.fromCharCode(parseInt(digits, 8)));
  input = input.replace(/\$\{(.+?)\}/g, (_all, code: string) => String(vm.runInNewContext(code)));
  return Buffer.from(input, "utf8"); // as llhttp's fixture sends it: "\xff" becomes C3 BF, as its logs show
}

const trim = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, "");
export const shown = (bytes: Buffer | Uint8Array | string) => JSON.stringify(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("latin1"));

/** One message as llhttp saw it: enough to insert a Host header for the comparison. */
export interface LlMessage { begin: number; version: string; hasHost: boolean }

/**
 * llhttp's expected log as normalized events (see docs/conformance.md): heads with their fields, body
 * bytes, trailers, completion, and how parsing ended. Offsets are used only to cut spans from the input.
 */
export function expectedEvents(block: Block): { events: string[]; messages: LlMessage[] } {
  const input = block.input;
  const events: string[] = [];
  const messages: LlMessage[] = [];
  let begin = 0;
  const start: Record<string, string> = {};
  let fields: [string, string][] = [];
  let field = "";
  let value = "";
  let last = "";
  let body = "";
  const endField = () => {
    if (last === "header_value" || last === "header_field")
      fields.push([field, value]);
    field = value = "";
  };
  const flushBody = () => {
    if (body) {
      events.push(`body ${shown(body)}`);
      body = "";
    }
  };
  for (const line of block.log) {
    const m = /^off=(\d+|NULL) (.*)$/.exec(line);
    assert(m, `${block.id}: unreadable log line ${line}`);
    const off = m[1] === "NULL" ? -1 : Number(m[1]);
    const event = m[2];
    const span = /^len=(\d+) span\[(\w+)\]=/.exec(event);
    if (span) {
      const kind = span[2];
      const text = input.subarray(off, off + Number(span[1])).toString("latin1");
      if (kind === "header_field") {
        if (last === "header_value")
          endField();
        field += text;
        last = kind;
      }
      else if (kind === "header_value") {
        value += text;
        last = kind;
      }
      else if (kind === "body")
        body += text;
      else if (kind === "method" || kind === "url" || kind === "status" || kind === "protocol" || kind === "version")
        start[kind] = (start[kind] ?? "") + text;
      continue; // chunk extensions: not among our events
    }
    if (event === "message begin") {
      begin = off;
      fields = [];
      last = "";
      for (const key of Object.keys(start))
        delete start[key];
    }
    else if (event === "header_value complete") {
      endField();
      last = "";
    }
    else if (event.startsWith("headers complete")) {
      endField();
      last = "";
      const v = /v=(\d+)\/(\d+)/.exec(event)!;
      const version = `${v[1]}.${v[2]}`;
      events.push(block.type.startsWith("request")
        ? `head ${start.method ?? ""} ${start.url ?? ""} ${version}`
        : `head ${/status=(\d+)/.exec(event)![1]} ${version}`);
      for (const [name, text] of fields)
        events.push(`header ${name.toLowerCase()}: ${shown(trim(text))}`);
      messages.push({ begin, version, hasHost: fields.some(([name]) => name.toLowerCase() === "host") });
      fields = [];
    }
    else if (event === "message complete") {
      endField();
      last = "";
      flushBody();
      for (const [name, text] of fields) // trailer fields (after the last chunk)
        events.push(`trailer ${name.toLowerCase()}: ${shown(trim(text))}`);
      fields = [];
      events.push("complete");
    }
    else if (event.startsWith("error")) {
      const code = Number(/code=(\d+)/.exec(event)![1]);
      flushBody();
      events.push(code === 5 ? "end: data after a message that closes the connection" : code === 22 || code === 23 ? "end: upgrade" : "end: error");
    }
    else if (event.startsWith("finish=")) {
      flushBody();
      if (event !== "finish=0" && event !== "finish=1") // 2: HPE_INVALID_EOF_STATE
        events.push("end: error");
    }
    // reset, pause, skip, chunk header, chunk complete, *_complete: not among our events
  }
  flushBody();
  return { events: collapse(events), messages };
}

/**
 * A head followed at once by an error becomes the error alone: llhttp reports the head, then refuses the
 * framing; we decide the framing before reporting the head. Either way the message is refused when its
 * head ends.
 */
export function collapse(events: string[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    if (event === "end: error") {
      let i = out.length;
      while (i > 0 && out[i - 1].startsWith("header "))
        i--;
      if (i > 0 && out[i - 1].startsWith("head "))
        out.length = i - 1;
    }
    out.push(event);
  }
  return out;
}

/** Our events, and the error code (for the split comparison: codes included). */
export interface Ours { events: string[]; codes: string[] }

export type Pieces = "whole" | "bytes" | Uint8Array[];

export function piecesOf(input: Uint8Array, split: Pieces): Uint8Array[] {
  if (Array.isArray(split))
    return split;
  if (split === "whole")
    return [input];
  const out: Uint8Array[] = [];
  for (let i = 0; i < input.length; i++)
    out.push(input.subarray(i, i + 1));
  return out;
}

/** What a parser reported, in llhttp's event words: heads, fields, body (merged), trailers, completion. */
class EventLog {
  readonly events: string[] = [];
  readonly codes: string[] = [];
  keepAlive = true;
  done = false;
  #body = "";

  head(line: string, head: { headers: Iterable<[string, string]>; keepAlive: boolean }): void {
    this.events.push(`head ${line}`);
    for (const [name, value] of head.headers)
      this.events.push(`header ${name}: ${shown(value)}`);
    this.keepAlive = head.keepAlive;
  }

  data(chunk: Uint8Array): void {
    this.#body += Buffer.from(chunk).toString("latin1");
  }

  complete(trailers: Iterable<[string, string]>): void {
    this.flushBody();
    for (const [name, value] of trailers)
      this.events.push(`trailer ${name}: ${shown(value)}`);
    this.events.push("complete");
    this.done = true;
  }

  flushBody(): void {
    if (this.#body) {
      this.events.push(`body ${shown(this.#body)}`);
      this.#body = "";
    }
  }

  /** The parser refused the input with `code`. */
  failed(code: string): void {
    this.flushBody();
    this.events.push("end: error");
    this.codes.push(code);
  }

  result(): Ours {
    this.flushBody();
    return { events: collapse(this.events), codes: this.codes };
  }
}

/** The response parser as the client drives it: one response after another until one closes the connection. */
export function runResponses(input: Uint8Array, split: Pieces, options: { finish?: boolean; head?: boolean } = {}): Ours {
  const log = new EventLog();
  const parser = new ResponseParser({
    onHead: (head) => log.head(`${head.status} ${head.version}`, head),
    onData: (chunk) => log.data(chunk),
    onComplete: (trailers) => log.complete(trailers),
  });
  parser.expect(options.head ? "HEAD" : "GET");
  let ended = false;
  try {
    outer: for (let piece of piecesOf(input, split)) {
      while (piece.length) {
        if (log.done) {
          if (!log.keepAlive) { // the client closes the connection here: what follows is never parsed
            log.events.push("end: data after a message that closes the connection");
            ended = true;
            break outer;
          }
          parser.expect(options.head ? "HEAD" : "GET");
          log.done = false;
        }
        const used = parser.push(piece);
        piece = piece.subarray(used);
        if (!log.done && used === 0)
          throw new Error("the parser made no progress");
      }
    }
    if (!ended && options.finish && !log.done)
      parser.finish();
  }
  catch (error) {
    if (!(error instanceof HttpError))
      throw error;
    log.failed(error.code);
  }
  return log.result();
}

/** The request parser as the server drives it: one request after another until one closes the connection. */
export function runRequests(input: Uint8Array, split: Pieces, options: { finish?: boolean } = {}): Ours {
  const log = new EventLog();
  const parser = new RequestParser({
    onHead: (head) => log.head(`${head.method} ${head.target} ${head.version}`, head),
    onData: (chunk) => log.data(chunk),
    onComplete: (trailers) => log.complete(trailers),
  });
  let ended = false;
  try {
    outer: for (let piece of piecesOf(input, split)) {
      while (piece.length) {
        if (parser.complete) {
          if (!log.keepAlive) { // the server answers and closes: what follows is never parsed
            log.events.push("end: data after a message that closes the connection");
            ended = true;
            break outer;
          }
          parser.reset();
        }
        const used = parser.push(piece);
        piece = piece.subarray(used);
        if (!parser.complete && used === 0)
          throw new Error("the parser made no progress");
      }
    }
    if (!ended && options.finish && !parser.complete && !parser.idle) // the client closed in mid-request
      log.events.push("end: error");
  }
  catch (error) {
    if (!(error instanceof HttpError))
      throw error;
    log.failed(`${error.code} ${error.status}`);
  }
  return log.result();
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400 from our server, and most of llhttp's request
 * cases have none. To compare the rest, "Host: h" is inserted after the request line of each HTTP/1.1
 * message llhttp parsed without one, and that field is left out of our events. Returns the input and how
 * many fields were inserted.
 */
export function withHost(input: Buffer, messages: LlMessage[]): { input: Buffer; inserted: number } {
  const cuts: number[] = [];
  for (const message of messages)
    if (message.version === "1.1" && !message.hasHost) {
      const lf = input.indexOf(10, message.begin);
      if (lf > 0)
        cuts.push(lf + 1);
    }
  if (!cuts.length)
    return { input, inserted: 0 };
  const parts: Buffer[] = [];
  let last = 0;
  for (const cut of cuts) {
    parts.push(input.subarray(last, cut), Buffer.from(`Host: h${input[cut - 2] === 13 ? "\r\n" : "\n"}`));
    last = cut;
  }
  parts.push(input.subarray(last));
  return { input: Buffer.concat(parts), inserted: cuts.length };
}

export function suiteFiles(kind: "request" | "response"): string[] {
  return readdirSync(path.join(SUITE, kind)).filter((f) => f.endsWith(".md")).sort();
}

