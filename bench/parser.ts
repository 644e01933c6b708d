// Node lane of `npm run bench`: our response parser (http/protocol/response-parser, the device code) against Node's own
// HTTP parser (llhttp, through node:_http_common) in the same process, on the same bytes, fed in the 1 KB
// pieces a device receives. Prints MB/s and the ratio, and writes the "parser" section of
// build/bench-results.json, or bench/results.json with BENCH_UPDATE=1 (keeping the simulator lane's). Timing
// lives here, never in the tests.
// The two parsers run alternately, RUNS times each after a warm-up; the ratio is the median of the
// per-pair ratios, so a load change on the machine during the run moves both sides of a pair alike.
import { createRequire } from "node:module";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { ResponseParser } from "http/protocol/response-parser";
import { outputFile } from "./output.js";

const require = createRequire(import.meta.url);
interface LlParser {
  initialize(type: number, resource: object): void;
  execute(data: Buffer): number | Error;
  [callback: number]: (...args: unknown[]) => unknown;
}
const { HTTPParser } = require("_http_common") as {
  HTTPParser: (new () => LlParser) & { RESPONSE: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number };
};

const PIECE = 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function headerHeavy(count: number): Buffer {
  const fields = Array.from({ length: 20 }, (_, i) => `X-Field-${i}: value number ${i} of a typical header\r\n`).join("");
  const one = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n${fields}\r\n{}`;
  return Buffer.from(one.repeat(count), "latin1");
}

function sizedBody(bytes: number): Buffer {
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${bytes}\r\n\r\n`), Buffer.alloc(bytes, 0x61)]);
}

function chunkedBody(bytes: number, chunk: number): Buffer {
  const parts: Buffer[] = [Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")];
  for (let left = bytes; left > 0; left -= chunk) {
    const size = Math.min(chunk, left);
    parts.push(Buffer.from(`${size.toString(16)}\r\n`), Buffer.alloc(size, 0x62), Buffer.from("\r\n"));
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

/** Parses `input` (whole responses back to back) with ours; returns the responses completed. */
function ours(input: Buffer): number {
  let completed = 0;
  let done = false;
  const parser = new ResponseParser({
    onHead: () => undefined,
    onData: () => undefined,
    onComplete: () => {
      completed++;
      done = true;
    },
  }, { maxHeaderBytes: 16384 });
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.length);
  for (let at = 0; at < bytes.length; at += PIECE) {
    let piece = bytes.subarray(at, Math.min(at + PIECE, bytes.length));
    while (piece.length) {
      const used = parser.push(piece);
      piece = piece.subarray(used);
      if (done) { // the next response follows: as the client does after each one
        parser.expect("GET");
        done = false;
      }
      else if (used === 0)
        throw new Error("parser made no progress");
    }
  }
  return completed;
}

/** The same with llhttp. */
function llhttp(input: Buffer): number {
  let completed = 0;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {});
  parser[HTTPParser.kOnHeadersComplete] = () => 0;
  parser[HTTPParser.kOnBody] = () => undefined;
  parser[HTTPParser.kOnMessageComplete] = () => { completed++; };
  for (let at = 0; at < input.length; at += PIECE) {
    const result = parser.execute(input.subarray(at, Math.min(at + PIECE, input.length)));
    if (result instanceof Error)
      throw result;
  }
  return completed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function seconds(parse: (input: Buffer) => number, input: Buffer): number {
  const start = process.hrtime.bigint();
  parse(input);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Both parsers over `input`, alternately: median MB/s of each and the median of the per-pair ratios. */
function compare(input: Buffer, expected: number): { mine: number; theirs: number; ratio: number } {
  for (const parse of [ours, llhttp])
    if (parse(input) !== expected) // warm-up, and a check that every response completed
      throw new Error(`${parse.name}: expected ${expected} responses`);
  const mine: number[] = [];
  const theirs: number[] = [];
  const ratios: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const a = seconds(ours, input);
    const b = seconds(llhttp, input);
    mine.push(input.length / 1e6 / a);
    theirs.push(input.length / 1e6 / b);
    ratios.push(b / a);
  }
  return { mine: median(mine), theirs: median(theirs), ratio: median(ratios) };
}

const workloads = [
  { name: "header-heavy (5000 responses, 20 headers each)", input: headerHeavy(5000), responses: 5000, target: 0.5 },
  { name: "sized body (1 MB)", input: sizedBody(1 << 20), responses: 1, target: undefined },
  { name: "chunked body (1 MB in 4 KB chunks)", input: chunkedBody(1 << 20, 4096), responses: 1, target: undefined },
];

const results = workloads.map((workload) => {
  const { mine, theirs, ratio } = compare(workload.input, workload.responses);
  return { workload: workload.name, bytes: workload.input.length, oursMBps: +mine.toFixed(1), llhttpMBps: +theirs.toFixed(1), ratio: +ratio.toFixed(2), target: workload.target };
});

const load = loadavg()[0];
console.log(`bench, Node lane (Node ${process.version}, load ${load.toFixed(2)}): our http/protocol/response-parser against Node's llhttp, fed 1 KB at a time, medians of ${RUNS} alternating runs`);
for (const r of results)
  console.log(`  ${r.workload.padEnd(50)} ours ${String(r.oursMBps).padStart(7)} MB/s   llhttp ${String(r.llhttpMBps).padStart(7)} MB/s   ratio ${r.ratio}${r.target ? ` (target ≥ ${r.target}: ${r.ratio >= r.target ? "met" : "NOT met"})` : ""}`);
const { file, shown } = outputFile("results.json");
const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown> : {};
delete previous.lane; // older files: one lane only
delete previous.date;
writeFileSync(file, JSON.stringify({ ...previous, node: { date: new Date().toISOString(), version: process.version, load: +load.toFixed(2), runs: RUNS }, parser: results }, null, 2) + "\n");
console.log(`  written: ${shown}`);
