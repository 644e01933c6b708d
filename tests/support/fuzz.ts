// A seeded mutation fuzzer for the two HTTP/1.1 parsers (http/protocol/response-parser for responses, http/protocol/request-parser
// for requests), shared by the bounded test (tests/node/fuzz.test.ts) and `npm run fuzz` (tests/fuzz/run.ts).
// Seeds: llhttp's suite inputs (tests/conformance/llhttp) and a few messages of our own. Each mutated
// message goes through the parser whole, at random cut points and (when short) byte by byte, and must end
// the same way every time: the same events, the same error code, and never anything but an HttpError.
import { mulberry32 } from "../cases/harness.js";
import { readBlocks, runRequests, runResponses, suiteFiles, type Ours, type Pieces } from "./llhttp-suite.js";


export type Kind = "response" | "request";

const OWN: Record<Kind, string[]> = {
  response: [
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello, world",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7 ; x=\"q\"\r\n, world\r\n0\r\nX-Checksum: 42\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the peer closes",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 4\r\n\r\nbodyHTTP/1.1 204 No Content\r\n\r\n",
  ],
  request: [
    "GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Two: 2\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\ndef\r\n0\r\nT: 1\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
  ],
};

/** The seed messages of one parser: llhttp's (lenient-mode blocks included: they are hard inputs) and ours. */
export function corpus(kind: Kind): Uint8Array[] {
  const seeds: Uint8Array[] = [];
  for (const file of suiteFiles(kind))
    for (const block of readBlocks(kind, file))
      if (block.input.length)
        seeds.push(new Uint8Array(block.input));
  for (const text of OWN[kind])
    seeds.push(Uint8Array.from(text, (c) => c.charCodeAt(0)));
  return seeds;
}

const INTERESTING = [13, 10, 0, 58, 32, 9, 59, 61, 34, 92, 44, 48, 49, 70, 102, 127, 0x80, 0xff, 65, 100];

/** One to four mutations of `input`: byte changes, inserts, deletions, repeats, truncation, splices with another seed. */
export function mutate(random: () => number, input: Uint8Array, seeds: Uint8Array[]): Uint8Array {
  let bytes = Array.from(input);
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const value = random() < 0.6 ? INTERESTING[Math.floor(random() * INTERESTING.length)] : Math.floor(random() * 256);
    const pick = random();
    if (pick < 0.25 && at < bytes.length)
      bytes[at] = value;
    else if (pick < 0.4 && at < bytes.length)
      bytes[at] ^= 1 << Math.floor(random() * 8);
    else if (pick < 0.6)
      bytes.splice(at, 0, value);
    else if (pick < 0.72 && at < bytes.length)
      bytes.splice(at, 1 + Math.floor(random() * 4));
    else if (pick < 0.8) { // a long run of one byte: the size limits
      const run = random() < 0.5 ? 1 + Math.floor(random() * 64) : 4000 + Math.floor(random() * 6000);
      bytes.splice(at, 0, ...new Array<number>(run).fill(random() < 0.5 ? value : 97));
    }
    else if (pick < 0.9) { // a slice of another seed
      const other = seeds[Math.floor(random() * seeds.length)];
      const from = Math.floor(random() * other.length);
      bytes.splice(at, 0, ...other.subarray(from, from + 1 + Math.floor(random() * 64)));
    }
    else
      bytes = bytes.slice(0, Math.floor(random() * bytes.length));
  }
  return Uint8Array.from(bytes);
}

function cuts(random: () => number, input: Uint8Array): Uint8Array[] {
  const points: number[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++)
    points.push(1 + Math.floor(random() * Math.max(1, input.length - 1)));
  points.sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let last = 0;
  for (const point of points)
    if (point > last && point < input.length) {
      pieces.push(input.subarray(last, point));
      last = point;
    }
  pieces.push(input.subarray(last));
  return pieces;
}

export interface Finding {
  kind: Kind;
  /** "exception": something other than an HttpError escaped; "split": a split changed the outcome; "slow": over the time limit. */
  what: "exception" | "split" | "slow";
  detail: string;
  input: Uint8Array;
}

function run(kind: Kind, input: Uint8Array, pieces: Pieces): Ours {
  return kind === "response" ? runResponses(input, pieces, { finish: true }) : runRequests(input, pieces, { finish: true });
}

function same(a: Ours, b: Ours): boolean {
  return a.events.length === b.events.length && a.events.every((e, i) => e === b.events[i]) && a.codes.join() === b.codes.join();
}

/**
 * Checks one input: whole, at random cuts, and byte by byte when `bytes` is set. Returns a finding, or
 * undefined. With `slowMs`, a run (whole) slower than that is a finding too.
 */
export function check(kind: Kind, input: Uint8Array, random: () => number, bytes: boolean, slowMs = 0): Finding | undefined {
  let whole: Ours;
  try {
    const start = slowMs ? performance.now() : 0;
    whole = run(kind, input, "whole");
    if (slowMs) {
      let took = performance.now() - start;
      for (let again = 0; again < 3 && took > slowMs; again++) { // a collection or the machine's load: the fastest of four runs counts
        const t0 = performance.now();
        run(kind, input, "whole");
        took = Math.min(took, performance.now() - t0);
      }
      if (took > slowMs)
        return { kind, what: "slow", detail: `${took.toFixed(1)} ms whole (the fastest of four runs)`, input };
    }
    const split = cuts(random, input);
    const other = run(kind, input, split);
    if (!same(other, whole))
      return { kind, what: "split", detail: `cut at ${splitPoints(split).join(",")}: ${outcome(other)} vs whole ${outcome(whole)}`, input };
    if (bytes) {
      const one = run(kind, input, "bytes");
      if (!same(one, whole))
        return { kind, what: "split", detail: `byte by byte: ${outcome(one)} vs whole ${outcome(whole)}`, input };
    }
  }
  catch (error) {
    return { kind, what: "exception", detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error), input };
  }
  return undefined;
}

function splitPoints(pieces: Uint8Array[]): number[] {
  const points: number[] = [];
  let at = 0;
  for (const piece of pieces.slice(0, -1))
    points.push(at += piece.length);
  return points;
}

function outcome(ours: Ours): string {
  const last = ours.events[ours.events.length - 1] ?? "(nothing)";
  return `${ours.events.length} events, last ${last}${ours.codes.length ? ` ${ours.codes.join()}` : ""}`;
}

/** Whether `input` still shows a finding of the same kind (every split tried byte by byte, deterministic cuts). */
function reproduces(finding: Finding, input: Uint8Array): boolean {
  const again = check(finding.kind, input, mulberry32(1), true, finding.what === "slow" ? 25 : 0);
  return again?.what === finding.what;
}

/** Delta debugging, bounded: drops ever smaller slices while the finding still shows. */
export function minimise(finding: Finding, maxSteps = 2000): Uint8Array {
  let input = finding.input;
  let steps = 0;
  for (let size = Math.max(1, input.length >> 1); size >= 1 && steps < maxSteps; size >>= 1) {
    for (let at = 0; at < input.length && steps < maxSteps; steps++) {
      const candidate = new Uint8Array(input.length - Math.min(size, input.length - at));
      candidate.set(input.subarray(0, at));
      candidate.set(input.subarray(at + size), at);
      if (candidate.length && reproduces(finding, candidate))
        input = candidate;
      else
        at += size;
    }
  }
  return input;
}

/** A message for people: printable ASCII as is, the rest escaped, runs of one byte compressed. */
export function describe(input: Uint8Array): string {
  let out = "";
  for (let i = 0; i < input.length;) {
    let j = i;
    while (j < input.length && input[j] === input[i]) j++;
    const c = input[i];
    const one = c === 13 ? "\\r" : c === 10 ? "\\n" : c === 92 ? "\\\\" : c >= 32 && c < 127 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`;
    out += j - i > 8 ? `${one}×${j - i}` : one.repeat(j - i);
    i = j;
  }
  return JSON.stringify(out);
}

export interface Totals { messages: number; findings: Finding[]; seconds: number }

/**
 * Fuzzes one parser: up to `count` messages or `seconds` of time, whichever ends first. Byte by byte for
 * one message in `byteEvery` when it is at most 2 KB.
 */
export function fuzz(kind: Kind, seed: number, count: number, seconds: number, options: { byteEvery?: number; slowMs?: number; maxFindings?: number } = {}): Totals {
  const random = mulberry32(seed);
  const seeds = corpus(kind);
  const findings: Finding[] = [];
  const start = performance.now();
  const stop = start + seconds * 1000;
  let messages = 0;
  const byteEvery = options.byteEvery ?? 16;
  while (messages < count && findings.length < (options.maxFindings ?? 10)) {
    if ((messages & 255) === 0 && performance.now() > stop)
      break;
    const input = mutate(random, seeds[Math.floor(random() * seeds.length)], seeds);
    const finding = check(kind, input, random, messages % byteEvery === 0 && input.length <= 2048, options.slowMs);
    if (finding)
      findings.push(finding);
    messages++;
  }
  return { messages, findings, seconds: (performance.now() - start) / 1000 };
}
