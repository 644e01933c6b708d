// Simulator lane of `npm run bench` (MODDABLE set): our client (http/client) against the SDK's own http
// Request and a raw Socket/SecureSocket drain, on the SDK's Linux simulator, against local Node servers.
// Builds bench/sim once, then runs it once per workload (one workload per simulator process, so the
// figures don't mix), BENCH_SIM_RUNS times (default 3), and takes medians. Per workload: CPU time of the
// mcsim process (user+sys from /proc/<pid>/stat, read when the app says "start" and "end" over its
// control socket: wall time means nothing on the simulator, which polls sockets on a timer), the peak XS
// chunk and slot heap above the idle baseline (sampled by the app on a 5 ms timer and after every
// callback), the XS stack high-water mark, and the TLS handshakes the server saw (full and resumed).
// Writes the "sim" and "budget" sections of build/bench-results.json (bench/results.json with BENCH_UPDATE=1),
// keeping the Node lane's.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { loadavg } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createTestPki, issue } from "../tools/pki.js";
import { outputFile } from "./output.js";
import { projectRoot } from "../host/paths.js";
import { buildForSimulator, findMcsim, runInSimulator, simulatorUnavailable, threadsCpuMs, type BuiltApp } from "../tools/simulator.js";

const RUNS = Number(process.env.BENCH_SIM_RUNS ?? 3);
const JOB_DEADLINE_MS = Number(process.env.BENCH_JOB_DEADLINE_MS ?? 120_000);
const CLK_TCK = 100; // Linux USER_HZ (getconf CLK_TCK)
const KB = 1024;
const SIZES = [16 * KB, 256 * KB, 1024 * KB];
const SEQ_COUNT = 10;
const VALIDATIONS = 5;
const SEQ_SIZE = 1024;
const BUDGET_SIZE = 1024;
/** What an idle pooled connection held before issue #22 (06aa3d4, BENCH_ONLY=pooled/, 2026-12-03 15:25 UTC): live chunk + slot bytes. */
const POOLED_BEFORE = { http: 152 + 2048, https: 2176 + 6080 };

const benchDir = path.join(projectRoot, "bench", "sim");
const { file: resultsFile, shown: resultsShown } = outputFile("results.json");

interface Job {
  client: "ours" | "ours-onbody" | "sdk" | "raw";
  workload: "seq" | "get" | "idle" | "probe" | "budget-plain" | "budget-https" | "budget-reuse" | "validate" | "pooled" | "anatomy";
  secure: boolean;
  port: number;
  size: number;
  count: number;
  /** validate: the fixture resource holding the chain */
  chain?: string;
  /** seq: every request with `Connection: close` (a new connection, a new handshake, each time). */
  close?: boolean;
  /** ours: tls.maxVersion "TLSv1.3" (our TLS 1.3 client, http/transport/tls13); else "TLSv1.2" (the SDK's, as the SDK client uses). */
  tls13?: boolean;
}

interface Measure {
  /** user+sys of mcsim's threads, from /proc/<pid>/task/<tid>/schedstat (ns resolution). */
  cpuMs: number;
  /** The same from /proc/<pid>/stat (user+sys in 10 ms ticks): a cross-check. */
  cpuStatMs: number;
  /** Wall time from start to end: the simulator polls its sockets on a timer, so it says little. */
  wallMs: number;
  chunk: number;
  slot: number;
  peakChunk: number;
  peakSlot: number;
  /** Live heap above the baseline: the largest figure after a forced collection at the fixed points. */
  liveChunk: number;
  liveSlot: number;
  stack: number;
  fullHandshakes: number;
  resumedHandshakes: number;
  connections: number;
  bytes: number;
}

const unavailable = simulatorUnavailable();
if (unavailable) {
  console.log(`bench, simulator lane: not run (${unavailable})`);
  process.exit(0);
}

// ---- servers: /bytes?n=N answers N bytes with Content-Length; keep-alive as the client asks ----
const pki = await createTestPki();
let tcpConnections = 0;
let tlsFull = 0;
let tlsResumed = 0;
const body = Buffer.alloc(16 * KB, "abcdefghijklmnop");
function handler(request: http.IncomingMessage, response: http.ServerResponse): void {
  const size = Number(new URL(request.url ?? "/", "http://x").searchParams.get("n") ?? 0);
  response.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": size });
  let left = size;
  const pump = () => {
    while (left > 0) {
      const piece = body.subarray(0, Math.min(left, body.length));
      left -= piece.length;
      if (!response.write(piece))
        return void response.once("drain", pump);
    }
    response.end();
  };
  pump();
}
const sockets = new Set<net.Socket>();
const track = (socket: net.Socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => undefined);
};
const plain = http.createServer({ keepAliveTimeout: 60_000 }, handler);
plain.on("connection", (socket: net.Socket) => {
  tcpConnections++;
  track(socket);
});
/** An HTTPS server on the tests' chain whose connections and handshakes (full or resumed) are counted. */
function countedHttps(version?: tls.SecureVersion): https.Server {
  const server = https.createServer({ key: pki.leaf.keyPem, cert: pki.leaf.pem + pki.intermediate.pem, keepAliveTimeout: 60_000, ...(version ? { minVersion: version, maxVersion: version } : {}) }, handler);
  server.on("connection", (socket: net.Socket) => {
    tcpConnections++;
    track(socket);
  });
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    if (socket.isSessionReused())
      tlsResumed++;
    else
      tlsFull++;
  });
  server.on("tlsClientError", () => undefined);
  return server;
}
const secure = countedHttps();
// TLS 1.2 resumption by session ID, as most servers offer it (the SDK's client sends no session ticket)
const sessionCache = new Map<string, Buffer>();
secure.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
  sessionCache.set(id.toString("hex"), data);
  done();
});
secure.on("resumeSession", (id: Buffer, done: (error: Error | null, data?: Buffer) => void) => done(null, sessionCache.get(id.toString("hex"))));

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}
// The same without a session-ID cache, as servers are by default (Node; nginx's ssl_session_cache is off
// by default): they resume only by session ticket, which the SDK's TLS does not send.
const secureNoCache = countedHttps();
const httpPort = await listen(plain);
const httpsPort = await listen(secure);
const httpsNoCachePort = await listen(secureNoCache);
// TLS 1.3 only, issuing session tickets as servers do by default (OpenSSL: two after a full handshake)
const secure13 = countedHttps("TLSv1.3");
const https13Port = await listen(secure13);

// ---- control: the app asks for its job, says start, then end with its figures ----
let current: { job: Job; mcsim: () => number | undefined; cpuStart: [number, number]; wallStart: number; done: (result: Measure | Error) => void } | undefined;

/** CPU time of a process in ms: [sum of its threads' schedstat run time, user+sys from /proc/<pid>/stat]. */
function cpuMs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on
  return [threadsCpuMs(pid), (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK];
}

const control = net.createServer((socket) => {
  track(socket);
  let pending = "";
  socket.on("data", (data: Buffer) => {
    pending += data.toString("latin1");
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const run = current;
      if (!run) {
        socket.destroy();
        return;
      }
      if (line === "hello")
        socket.write(JSON.stringify(run.job) + "\n");
      else if (line === "start") {
        const pid = run.mcsim();
        if (!pid) {
          run.done(new Error("mcsim process not found"));
          return;
        }
        tcpConnections = tlsFull = tlsResumed = 0;
        run.cpuStart = cpuMs(pid);
        run.wallStart = Date.now();
        socket.write("go\n");
      }
      else if (line.startsWith("end ")) {
        const pid = run.mcsim();
        const cpu = pid ? cpuMs(pid) : [NaN, NaN];
        const connections = tcpConnections;
        const full = tlsFull;
        const resumed = tlsResumed;
        socket.write("bye\n");
        const figures = JSON.parse(line.slice(4)) as { bytes: number; error: string; baseChunk: number; baseSlot: number; peakChunk: number; peakSlot: number; liveChunk: number; liveSlot: number; stack: number };
        if (figures.error)
          run.done(new Error(`the app failed: ${figures.error}`));
        else
          run.done({
            cpuMs: +(cpu[0] - run.cpuStart[0]).toFixed(1), cpuStatMs: cpu[1] - run.cpuStart[1], wallMs: Date.now() - run.wallStart,
            chunk: figures.peakChunk - figures.baseChunk, slot: figures.peakSlot - figures.baseSlot,
            peakChunk: figures.peakChunk, peakSlot: figures.peakSlot,
            liveChunk: figures.liveChunk - figures.baseChunk, liveSlot: figures.liveSlot - figures.baseSlot, stack: figures.stack,
            fullHandshakes: full, resumedHandshakes: resumed, connections, bytes: figures.bytes,
          });
      }
    }
  });
});
const controlPort = await listen(control);

async function runJob(built: BuiltApp, job: Job): Promise<Measure> {
  let pid: number | undefined;
  const mcsim = () => (pid ??= findMcsim(built.app));
  let lines: string[] = [];
  const outcome = new Promise<Measure | Error>((resolve) => {
    current = { job, mcsim, cpuStart: [0, 0], wallStart: 0, done: resolve };
  });
  const run = await runInSimulator(built, (line) => {
    if (process.env.BENCH_TRACE && line.includes("LIVE ")) // each live sample, with BENCH_TRACE
      console.log(`    | ${line}`);
    lines.push(line);
    if (lines.length > 50)
      lines = lines.slice(-50);
    if (line.includes("BENCH ABORT"))
      current?.done(new Error(line));
  });
  run.exited.then(() => current?.done(new Error("the simulator exited before the workload ended")));
  const watch = setInterval(() => { // xsbug-log outlives a crashed mcsim: notice it
    if (pid && !existsSync(`/proc/${pid}`))
      current?.done(new Error("mcsim ended before the workload did"));
    else
      mcsim();
  }, 1000);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    outcome,
    new Promise<Error>((resolve) => (timer = setTimeout(() => resolve(new Error(`no result within ${JOB_DEADLINE_MS / 1000} s`)), JOB_DEADLINE_MS))),
  ]);
  clearTimeout(timer);
  clearInterval(watch);
  current = undefined;
  run.stop();
  await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (result instanceof Error) {
    if (process.env.BENCH_VERBOSE)
      console.log(lines.map((line) => `    | ${line}`).join("\n"));
    throw result;
  }
  return result;
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length)
    return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function medians(measures: Measure[]): Measure & { runs: number } {
  const keys = ["cpuMs", "cpuStatMs", "wallMs", "chunk", "slot", "peakChunk", "peakSlot", "liveChunk", "liveSlot", "stack", "fullHandshakes", "resumedHandshakes", "connections", "bytes"] as const;
  const out = { runs: measures.length } as Measure & { runs: number };
  for (const key of keys)
    out[key] = median(measures.map((m) => m[key]));
  return out;
}

/**
 * Bytecode of the build, by module path relative to the modules folder: each .xsb file's size, and the size of
 * its CODE section, what the linker puts in flash (the file's symbol table is merged with every other's at link).
 */
function bytecode(work: string): { files: Record<string, number>; code: Record<string, number> } {
  const files: Record<string, number> = {};
  const code: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory())
        walk(full);
      else if (entry.endsWith(".xsb")) {
        const at = full.lastIndexOf(`${path.sep}modules${path.sep}`);
        const name = at >= 0 ? full.slice(at + 9) : full;
        const bytes = readFileSync(full);
        files[name] = bytes.length;
        code[name] = codeSize(bytes);
      }
    }
  };
  walk(work);
  return { files, code };
}

/** The CODE section's size in an .xsb: after the 8-byte XS_B header, atoms of [size (u32 BE, header included), 4-char type]. */
function codeSize(xsb: Buffer): number {
  for (let offset = 8; offset + 8 <= xsb.length;) {
    const size = xsb.readUInt32BE(offset);
    if (xsb.toString("latin1", offset + 4, offset + 8) === "CODE")
      return size - 8;
    if (size < 8)
      break;
    offset += size;
  }
  return NaN;
}

// What a plain GET loads: http/client and the modules it imports.
const CORE = ["http/client.xsb", "http/client/options.xsb", "http/client/response.xsb", "http/client/exchange.xsb", "http/client/redirect.xsb",
  "http/transport/connection.xsb", "http/transport/outgoing.xsb", "http/protocol/response-parser.xsb", "http/protocol/fields.xsb", "http/protocol/body.xsb", "http/protocol/request-serializer.xsb", "http/errors.xsb", "http/transport/secure-options.xsb"];
// The client's modules that a plain GET does not load: http/client/next-hop on a first redirect (import()),
// http/client/canceller when the app imports it.
const OPTIONAL = ["http/client/next-hop.xsb", "http/client/canceller.xsb"];

// ---- build once ----
const fixtureDir = path.join(benchDir, "fixtures");
rmSync(fixtureDir, { recursive: true, force: true });
mkdirSync(fixtureDir, { recursive: true });
writeFileSync(path.join(fixtureDir, "bench-ca.pem"), pki.root.pem);
// the chains the validate/* workloads check: the one the HTTPS servers send, an ECDSA one, and each with as many
// look-alikes of its intermediate (its name and key identifier, another key of its kind) as fit in one 16 KB TLS
// record before it: each costs the validator a signature check until its budget is spent
writeFileSync(path.join(fixtureDir, "bench-chain-normal.pem"), pki.leaf.pem + pki.intermediate.pem);
const ecIntermediate = await issue({ subject: "CN=netkit EC intermediate", ca: true, pathLength: 0, issuer: pki.root, key: "ec" });
const ecLeaf = await issue({ subject: "CN=localhost (EC)", issuer: ecIntermediate, key: "ec", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
writeFileSync(path.join(fixtureDir, "bench-chain-ec.pem"), ecLeaf.pem + ecIntermediate.pem);
/** The leaf, as many look-alikes of its issuer (name and key identifier, another key) as fit with them in one 16 KB record, then the issuer. */
async function lookalikeChain(leaf: typeof pki.leaf, genuine: typeof pki.leaf, key: { key: "rsa"; rsaBits: number } | { key: "ec"; curve: "P-256" | "P-384" }): Promise<{ pem: string; count: number; size: number }> {
  const id = new Uint8Array(genuine.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId.match(/../g)!.map((hex) => parseInt(hex, 16)));
  const lookalikes: string[] = [];
  let size = leaf.der.length + genuine.der.length;
  for (;;) {
    const lookalike = await issue({ subject: genuine.certificate.subject, ca: true, pathLength: 0, issuer: pki.root, subjectKeyId: id, ...key });
    if (size + lookalike.der.length + 3 > 16384 - 16)
      break;
    size += lookalike.der.length + 3;
    lookalikes.push(lookalike.pem);
  }
  return { pem: leaf.pem + lookalikes.join("") + genuine.pem, count: lookalikes.length, size };
}
{
  // the strongest look-alikes carry keys like the real issuer's: any other key is passed over without a check
  const rsaChain = await lookalikeChain(pki.leaf, pki.intermediate, { key: "rsa", rsaBits: 2048 });
  const ecChain = await lookalikeChain(ecLeaf, ecIntermediate, { key: "ec", curve: "P-256" });
  writeFileSync(path.join(fixtureDir, "bench-chain-lookalike.pem"), rsaChain.pem);
  writeFileSync(path.join(fixtureDir, "bench-chain-ec-lookalike.pem"), ecChain.pem);
  const lookalikes = { length: rsaChain.count };
  const size = rsaChain.size;
  console.log(`bench, simulator lane: the EC look-alike chain has ${ecChain.count} look-alike P-256 intermediates (${ecChain.size} bytes) before the real one`);
  console.log(`bench, simulator lane: the RSA look-alike chain has ${lookalikes.length} look-alike RSA-2048 intermediates (${size} bytes of certificates) before the real one`);
}
const appCreation = JSON.parse(readFileSync(path.join(projectRoot, "manifest.json"), "utf8")).creation;
const benchCreation = JSON.parse(readFileSync(path.join(benchDir, "manifest.json"), "utf8")).creation;
// The bench lets its heaps grow (fixed heaps would cap the peaks it compares); the app's fixed budget is
// measured by bench/memory.ts. The stack is the app's.
if (appCreation.stack !== benchCreation.stack)
  throw new Error(`bench/sim/manifest.json creation.stack ${JSON.stringify(benchCreation.stack)} differs from the app's ${JSON.stringify(appCreation.stack)}`);

console.log(`bench, simulator lane: building bench/sim for lin (load ${loadavg()[0].toFixed(2)})`);
const built = buildForSimulator(path.join(benchDir, "manifest.json"), { benchControlPort: String(controlPort), ...(process.env.BENCH_TRACE ? { benchTrace: "1" } : {}) });
const { files: sizes, code: codeSizes } = bytecode(built.work);
const coreBytes = CORE.reduce((sum, name) => sum + (sizes[name] ?? NaN), 0);
const coreCode = CORE.reduce((sum, name) => sum + (codeSizes[name] ?? NaN), 0);
const sdkHttp = sizes["http.xsb"] ?? NaN;

const jobs: { key: string; job: Job }[] = [];
const only = process.env.BENCH_ONLY; // a debugging aid: the jobs whose key contains this (or one of these, comma-separated)
for (const [server, port] of [["no-cache", httpsNoCachePort], ["cache", httpsPort]] as const)
  for (const client of ["ours", "sdk", "raw"] as const)
    jobs.push({ key: `seq/https-${server}/${client}`, job: { client, workload: "seq", secure: true, port, size: SEQ_SIZE, count: SEQ_COUNT } });
for (const scheme of ["https", "http"] as const)
  for (const size of SIZES)
    for (const client of ["ours", "ours-onbody", "sdk", "raw"] as const)
      jobs.push({ key: `get/${scheme}/${size / KB}K/${client}`, job: { client, workload: "get", secure: scheme === "https", port: scheme === "https" ? httpsPort : httpPort, size, count: 1 } });
// our client over TLS 1.3, its default since #20 (get/https/* pin 1.2: the SDK's record layer, as the SDK's Request uses)
for (const size of [16 * KB, 1024 * KB])
  for (const client of ["ours", "ours-onbody"] as const)
    jobs.push({ key: `get/https13/${size / KB}K/${client}`, job: { client, workload: "get", secure: true, port: httpsPort, size, count: 1, tls13: true } });
// ten sequential new connections (keep-alive off): TLS 1.3 (1 full + 9 resumed by ticket) against ten full TLS 1.2
jobs.push({ key: "newconn/tls13/ours", job: { client: "ours", workload: "seq", secure: true, port: https13Port, size: SEQ_SIZE, count: SEQ_COUNT, close: true, tls13: true } });
jobs.push({ key: "newconn/tls12/ours", job: { client: "ours", workload: "seq", secure: true, port: httpsNoCachePort, size: SEQ_SIZE, count: SEQ_COUNT, close: true } });
jobs.push({ key: "budget/plain", job: { client: "ours", workload: "budget-plain", secure: false, port: httpPort, size: BUDGET_SIZE, count: 1 } });
jobs.push({ key: "budget/https", job: { client: "ours", workload: "budget-https", secure: true, port: httpsPort, size: BUDGET_SIZE, count: 1 } });
jobs.push({ key: "budget/reuse", job: { client: "ours", workload: "budget-reuse", secure: true, port: httpsPort, size: BUDGET_SIZE, count: 1 } });
jobs.push({ key: "validate/handshake", job: { client: "ours", workload: "seq", secure: true, port: httpsNoCachePort, size: SEQ_SIZE, count: 1 } });
for (const chain of ["normal", "lookalike", "ec", "ec-lookalike"])
  jobs.push({ key: `validate/${chain}`, job: { client: "ours", workload: "validate", secure: true, port: httpsPort, size: 0, count: VALIDATIONS, chain: `bench-chain-${chain}.pem` } });
// what an idle pooled connection holds (issue #22): live with it pooled, less live once the pool has closed it
jobs.push({ key: "pooled/http", job: { client: "ours", workload: "pooled", secure: false, port: httpPort, size: SEQ_SIZE, count: 1 } });
jobs.push({ key: "pooled/https", job: { client: "ours", workload: "pooled", secure: true, port: httpsPort, size: SEQ_SIZE, count: 1 } });
// the same over TLS 1.3, the client's default since #20 (pooled/https pins 1.2, the SDK's record layer)
jobs.push({ key: "pooled/https13", job: { client: "ours", workload: "pooled", secure: true, port: httpsPort, size: SEQ_SIZE, count: 1, tls13: true } });
jobs.push({ key: "idle/10s", job: { client: "ours", workload: "idle", secure: false, port: httpPort, size: 10_000, count: 1 } });
const selected = only === "probe" || only === "anatomy" // diagnostics: what each part of a request keeps live (see BENCH_VERBOSE)
  ? [{ key: `${only}/http`, job: { client: "ours", workload: only, secure: false, port: httpPort, size: 64 * KB, count: 1 } as Job },
    { key: `${only}/https`, job: { client: "ours", workload: only, secure: true, port: httpsPort, size: 64 * KB, count: 1 } as Job }]
  : only ? jobs.filter((j) => only.split(",").some((part) => j.key.includes(part))) : jobs;

const collected = new Map<string, Measure[]>();
const failures: string[] = [];
const loads: number[] = [];
const started = Date.now();
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const { key, job } of selected) {
      if (run > 1 && job.workload === "idle")
        continue; // one run is enough to tell what the simulator costs doing nothing
      loads.push(loadavg()[0]);
      try {
        const measure = await runJob(built, job);
        const expected = job.workload === "seq" ? job.size * job.count : job.workload === "idle" ? 0 : job.workload === "validate" ? (job.chain!.includes("lookalike") ? 0 : job.count) : job.size;
        if (job.workload !== "idle" && measure.bytes !== expected)
          throw new Error(`received ${measure.bytes} body bytes, expected ${expected}`);
        collected.set(key, [...(collected.get(key) ?? []), measure]);
        console.log(`  run ${run} ${key.padEnd(24)} cpu ${measure.cpuMs.toFixed(1).padStart(7)} ms (stat ${measure.cpuStatMs}, wall ${measure.wallMs})  peak +${measure.chunk}/+${measure.slot}  live +${measure.liveChunk}/+${measure.liveSlot}  stack ${measure.stack}  tls ${measure.fullHandshakes}+${measure.resumedHandshakes}r  tcp ${measure.connections}`);
      }
      catch (error) {
        failures.push(`run ${run} ${key}: ${(error as Error).message}`);
        console.log(`  run ${run} ${key}: FAILED ${(error as Error).message}`);
      }
    }
  }
}
finally {
  built.dispose();
  for (const socket of sockets)
    socket.destroy();
  await Promise.all([plain, secure, secureNoCache, secure13, control].map((server) => new Promise((resolve) => server.close(resolve))));
}

// ---- figures and ratios ----
const m = (key: string) => medians(collected.get(key) ?? []);
const ratio = (a: number, b: number) => +(a / b).toFixed(2);
const heap = (x: Measure) => x.liveChunk + x.liveSlot;
const rawHeap = (x: Measure) => x.chunk + x.slot;
const results: Record<string, unknown> = {};
for (const { key } of selected)
  results[key] = m(key);

/** CPU per MB of body beyond the 16 KB run: the fixed costs (connect, handshake, head) cancel out. */
const perMB = (scheme: string, client: string) =>
  (m(`get/${scheme}/1024K/${client}`).cpuMs - m(`get/${scheme}/16K/${client}`).cpuMs) / ((1024 - 16) / 1024);

const targets: { name: string; value: number; target: string; met: boolean }[] = [];
const target = (name: string, value: number, limit: number) => targets.push({ name, value, target: `≤ ${limit}`, met: value <= limit });
if (!only) {
  target("(a) 10 HTTPS GETs, server without session cache: CPU ours/sdk", ratio(m("seq/https-no-cache/ours").cpuMs, m("seq/https-no-cache/sdk").cpuMs), 0.3);
  target("(a) 10 HTTPS GETs, server with session-ID cache: CPU ours/sdk", ratio(m("seq/https-cache/ours").cpuMs, m("seq/https-cache/sdk").cpuMs), 0.3);
  for (const scheme of ["https", "http"]) {
    for (const size of SIZES)
      target(`(b) ${scheme} GET ${size / KB} KB: peak live heap (chunk+slot) ours/sdk`, ratio(heap(m(`get/${scheme}/${size / KB}K/ours`)), heap(m(`get/${scheme}/${size / KB}K/sdk`))), 0.9);
    target(`(b) ${scheme}: peak live heap ours 1 MB / 16 KB (flat)`, ratio(heap(m(`get/${scheme}/1024K/ours`)), heap(m(`get/${scheme}/16K/ours`))), 1.1);
    target(`(b) ${scheme}: CPU per MB of body ours/raw drain`, ratio(perMB(scheme, "ours"), perMB(scheme, "raw")), 1.15);
  }
  // the same targets with the body read by Response.consume() instead of for await
  for (const scheme of ["https", "http"]) {
    for (const size of SIZES)
      target(`(b) ${scheme} GET ${size / KB} KB, onBody: peak live heap ours/sdk`, ratio(heap(m(`get/${scheme}/${size / KB}K/ours-onbody`)), heap(m(`get/${scheme}/${size / KB}K/sdk`))), 0.9);
    target(`(b) ${scheme}, onBody: peak live heap ours 1 MB / 16 KB (flat)`, ratio(heap(m(`get/${scheme}/1024K/ours-onbody`)), heap(m(`get/${scheme}/16K/ours-onbody`))), 1.1);
    target(`(b) ${scheme}, onBody: CPU per MB of body ours/raw drain`, ratio(perMB(scheme, "ours-onbody"), perMB(scheme, "raw")), 1.15);
  }
  target("bytecode: core client / SDK http module", ratio(coreBytes, sdkHttp), 1.0);
  // issue #22: live heap per request against the SDK's Request, both body styles
  for (const client of ["ours", "ours-onbody"])
    for (const size of SIZES)
      target(`#22 http GET ${size / KB} KB${client === "ours" ? "" : ", onBody"}: live heap ours/sdk`, ratio(heap(m(`get/http/${size / KB}K/${client}`)), heap(m(`get/http/${size / KB}K/sdk`))), 2);
  for (const size of [16, 1024])
    target(`#22 https GET ${size} KB, onBody: live heap ours/sdk`, ratio(heap(m(`get/https/${size}K/ours-onbody`)), heap(m(`get/https/${size}K/sdk`))), 1.2);
  for (const size of [16, 1024])
    if (collected.has(`get/https13/${size}K/ours-onbody`))
      target(`#22 https GET ${size} KB, onBody, ours over TLS 1.3 (the default) / the SDK's over 1.2: live heap`, ratio(heap(m(`get/https13/${size}K/ours-onbody`)), heap(m(`get/https/${size}K/sdk`))), 1.2);
}
if (collected.has("pooled/http") && collected.has("pooled/https")) // issue #22: an idle pooled connection, against 06aa3d4's
  for (const scheme of ["http", "https"] as const)
    target(`#22 an idle pooled ${scheme} connection: live heap / 06aa3d4's (${POOLED_BEFORE[scheme]} B)`, ratio(heap(m(`pooled/${scheme}`)), POOLED_BEFORE[scheme]), 0.5);
if (collected.has("pooled/https13")) // the default's idle HTTPS connection since #20: TLS 1.3, our record layer
  target(`#22 an idle pooled https connection over TLS 1.3 (the default): live heap / 06aa3d4's over 1.2 (${POOLED_BEFORE.https} B)`, ratio(heap(m("pooled/https13")), POOLED_BEFORE.https), 0.5);
if (collected.has("newconn/tls13/ours") && collected.has("newconn/tls12/ours")) // issue #20
  target("10 new HTTPS connections: CPU TLS 1.3 (1 full + 9 resumed) / ten full TLS 1.2", ratio(m("newconn/tls13/ours").cpuMs, m("newconn/tls12/ours").cpuMs), 0.4);
if (["validate/handshake", "validate/normal", "validate/lookalike"].every((key) => collected.has(key))) {
  // a handshake with the look-alike chain costs one normal handshake plus what its validation costs beyond a normal chain's
  const handshake = m("validate/handshake").cpuMs;
  const extra = (m("validate/lookalike").cpuMs - m("validate/normal").cpuMs) / VALIDATIONS;
  target("RSA look-alike issuers filling a 16 KB record: CPU of a verified handshake / a normal one", ratio(handshake + extra, handshake), 3);
  if (collected.has("validate/ec-lookalike"))
    target("the same with P-256 look-alikes of a P-256 issuer (ECDSA)", ratio(handshake + (m("validate/ec-lookalike").cpuMs - m("validate/ec").cpuMs) / VALIDATIONS, handshake), 3);
  const perValidation = (key: string) => +(m(key).cpuMs / VALIDATIONS).toFixed(1);
  console.log(`  one full handshake with a GET ${handshake.toFixed(1)} ms; validation alone, per chain: normal ${perValidation("validate/normal")} ms, look-alikes ${perValidation("validate/lookalike")} ms; EC ${perValidation("validate/ec")} ms, EC look-alikes ${perValidation("validate/ec-lookalike")} ms of CPU`);
}

const summary = {
  date: new Date().toISOString(),
  runs: RUNS,
  load: { min: +Math.min(...loads).toFixed(2), max: +Math.max(...loads).toFixed(2) },
  minutes: +((Date.now() - started) / 60000).toFixed(1),
  failures,
  bytecode: { core: coreBytes, coreCode, coreModules: Object.fromEntries(CORE.map((name) => [name, sizes[name]])), optionalModules: Object.fromEntries(OPTIONAL.map((name) => [name, sizes[name]])), sdkHttp },
  perMB: Object.fromEntries(["https", "http"].flatMap((scheme) => ["ours", "ours-onbody", "sdk", "raw"].map((client) => [`${scheme}/${client}`, +perMB(scheme, client).toFixed(0)]))),
  workloads: Object.fromEntries(Object.entries(results).filter(([key]) => !key.startsWith("budget/"))),
  /** ours/sdk of the peak heap as sampled (garbage included): bounded by the heap XS has grown to, see docs/performance.md */
  peakAsSampled: only ? {} : Object.fromEntries(["https", "http"].flatMap((scheme) => SIZES.map((size) => [`${scheme}/${size / KB}K`, ratio(rawHeap(m(`get/${scheme}/${size / KB}K/ours`)), rawHeap(m(`get/${scheme}/${size / KB}K/sdk`)))]))),
  targets,
};
const budget = {
  date: summary.date,
  creation: benchCreation, // the bench app's: the app's stack, heaps that grow (the fixed budget: bench/memory.json)
  note: "our client, 1 KB body; bytes above the idle baseline (chunk, slot) and process high-water marks (peakChunk, peakSlot, stack)",
  ...Object.fromEntries(Object.entries(results).filter(([key]) => key.startsWith("budget/")).map(([key, value]) => [key.slice(7), value])),
};

console.log(`bench, simulator lane: medians of ${RUNS} runs (load ${summary.load.min}–${summary.load.max}, ${summary.minutes} min)`);
for (const t of targets)
  console.log(`  ${t.name.padEnd(58)} ${String(t.value).padStart(6)}  (target ${t.target}: ${t.met ? "met" : "NOT met"})`);
console.log(`  core client bytecode: ${coreCode} B of code (${coreBytes} B of .xsb files, per-module symbol tables included; the linker merges those); SDK http ${sdkHttp} B of .xsb`);
if (failures.length)
  console.log(`  ${failures.length} failed: ${failures.join("; ")}`);

const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, unknown> : {};
if (!only)
  delete previous.simPartial; // a full run supersedes any partial one
if (only !== "probe" && only !== "anatomy") // the diagnostics' figures are in their trace, not in the file
  writeFileSync(resultsFile, JSON.stringify(only ? { ...previous, simPartial: summary } : { ...previous, sim: summary, budget }, null, 2) + "\n");
if (only !== "probe" && only !== "anatomy")
  console.log(`  written: ${resultsShown}`);
process.exit(failures.length ? 1 : 0);
