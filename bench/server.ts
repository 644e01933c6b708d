// Node lane of `npm run bench`, server part: requests per second on one keep-alive connection to our
// http/server (device code) on the host runtime, against a Node client on loopback that sends the next
// request when the previous response has arrived. Timing lives here, never in the tests.
//
// Variants, all in this run, alternated so that a load change on the machine moves them alike:
//   before   the server as it wrote before issue #19: the head and the body in two socket writes, Nagle on
//            (reproduced on the host socket: a write of several pieces is split into one write per piece,
//            and the socket's setNoDelay is ignored)
//   one write, Nagle on   head and body in one write; Nagle's algorithm left on
//   after    the server as it is: one write, and noDelay on the accepted socket
// and the same for a 3 KB body, which needs several writes on the host's 1 KB send buffer: there only
// noDelay keeps Nagle from holding the later pieces.
import net from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { outputFile } from "./output.js";
import { loadavg } from "node:os";
import { HttpServer } from "http/server";
import { Socket as HostSocket } from "../host/sdk/socket.js";

const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 2); // per variant and round
const ROUNDS = Number(process.env.BENCH_SERVER_ROUNDS ?? 3);
const MAX_REQUESTS = 20000; // per variant and round: the loop is bounded in count as well as in time

type Mode = { name: string; split: boolean; nagle: boolean; body: number };

const originalWrite = HostSocket.prototype.write;
const originalNoDelay = net.Socket.prototype.setNoDelay;

/** Sets the host socket's behaviour for a variant. */
function use(mode: Mode): void {
  HostSocket.prototype.write = mode.split
    ? function (this: HostSocket, ...args: Parameters<typeof originalWrite>) {
      if (args.length <= 1)
        return originalWrite.apply(this, args);
      for (const arg of args)
        originalWrite.call(this, arg);
      return undefined;
    }
    : originalWrite;
  net.Socket.prototype.setNoDelay = mode.nagle
    ? function (this: net.Socket) { return this; }
    : originalNoDelay;
}

/** Requests per second over one keep-alive connection for `seconds` (at most MAX_REQUESTS requests). */
async function measure(port: number, path: string, seconds: number): Promise<number> {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: bench\r\n\r\n`);
  let pending: Buffer = Buffer.alloc(0);
  let waiting: ((ok: boolean) => void) | undefined;
  const complete = (): boolean => {
    const end = pending.indexOf("\r\n\r\n");
    if (end < 0)
      return false;
    const length = Number(/content-length: *(\d+)/i.exec(pending.subarray(0, end).toString("latin1"))?.[1] ?? 0);
    if (pending.length < end + 4 + length)
      return false;
    pending = pending.subarray(end + 4 + length);
    return true;
  };
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    if (waiting && complete()) {
      const done = waiting;
      waiting = undefined;
      done(true);
    }
  });
  socket.on("close", () => waiting?.(false));
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(seconds * 1e9));
  let count = 0;
  while (count < MAX_REQUESTS && process.hrtime.bigint() < stop) {
    const answered = new Promise<boolean>((resolve) => (waiting = resolve));
    socket.write(request);
    if (!await answered)
      throw new Error(`the connection closed after ${count} responses`);
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  return count / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const small = "x".repeat(64);
const large = "y".repeat(3072);
/** A free port on loopback from 20000 (bounded search), as the test fixtures pick theirs. */
async function freePort(): Promise<number> {
  let candidate = 20000 + Math.floor(Math.random() * 10000);
  for (let tries = 0; tries < 200; tries++, candidate++) {
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(candidate, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => probe.close(resolve));
      return candidate;
    }
  }
  throw new Error("no free port from 20000");
}

const server = new HttpServer({ port: await freePort(), address: "127.0.0.1", maxRequestsPerConnection: 1_000_000, timeouts: { idle: 10000 } });
server.route("GET", "/small", () => ({ body: small }));
server.route("GET", "/large", () => ({ body: large }));
server.listen();
await new Promise((resolve) => setTimeout(resolve, 100)); // the host Listener binds asynchronously

const modes: Mode[] = [
  { name: "64 B body: before (two writes, Nagle on)", split: true, nagle: true, body: 64 },
  { name: "64 B body: one write, Nagle on", split: false, nagle: true, body: 64 },
  { name: "64 B body: after (one write, noDelay)", split: false, nagle: false, body: 64 },
  { name: "3 KB body: Nagle on", split: false, nagle: true, body: 3072 },
  { name: "3 KB body: after (noDelay)", split: false, nagle: false, body: 3072 },
];
const rates = new Map<string, number[]>(modes.map((m) => [m.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++)
    for (const mode of modes) {
      use(mode);
      rates.get(mode.name)!.push(await measure(server.port, mode.body > 1000 ? "/large" : "/small", SECONDS));
    }
}
finally {
  use({ name: "", split: false, nagle: false, body: 0 });
  server.close();
}

const results = modes.map((mode) => ({ variant: mode.name, requestsPerSecond: Math.round(median(rates.get(mode.name)!)) }));
const before = results[0].requestsPerSecond;
const after = results[2].requestsPerSecond;
const load = loadavg()[0];
console.log(`bench, Node lane: http/server on the host runtime, one keep-alive connection on loopback, medians of ${ROUNDS} rounds of ${SECONDS} s (load ${load.toFixed(2)})`);
for (const r of results)
  console.log(`  ${r.variant.padEnd(44)} ${String(r.requestsPerSecond).padStart(7)} requests/s   ${(r.requestsPerSecond / before).toFixed(1).padStart(7)}× before`);
console.log(`  after / before: ${(after / before).toFixed(1)}× (target ≥ 20×: ${after / before >= 20 ? "met" : "NOT met"})`);
const { file, shown } = outputFile("results.json");
const previous = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown> : {};
writeFileSync(file, JSON.stringify({ ...previous, server: { date: new Date().toISOString(), load: +load.toFixed(2), rounds: ROUNDS, seconds: SECONDS, results, ratio: +(after / before).toFixed(1) } }, null, 2) + "\n");
console.log(`  written: ${shown}`);
