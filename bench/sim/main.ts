// The simulator lane's bench app: one workload per simulator process, on our client (http/client), the
// SDK's own http Request, or a raw Socket/SecureSocket drain. bench/sim.ts builds it once and runs it
// once per workload. The app asks the runner for its job over a control socket, says "start" (the
// runner then reads the process's CPU time and answers "go"), runs the workload while sampling the XS
// heaps (as they are, and live after a forced collection at fixed points), and ends with "end <json>"
// (the runner reads the CPU time again).
import config from "mc/config";
import Timer from "timer";
import Debug from "debug";
import Instrumentation from "instrumentation";
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import SecureSocket from "securesocket";
import { Request } from "http";
import { HttpClient, type RequestOptions } from "http/client";
import { Connection } from "http/transport/connection";
import { ResponseParser } from "http/protocol/response-parser";
import { BodyStream, Response, ResponseHeaders } from "http/client/response";
import { Exchange } from "http/client/exchange";
import { URL } from "url";
import { utf8Bytes } from "http/text";
import { httpStats } from "http/stats";
import { secureOptions } from "http/transport/secure-options";
import { loadPemCertificates } from "tls/certificates";
import { TlsError, validateServerChain } from "tls/validate";

interface Job {
  /** "ours" (for await) | "ours-onbody" (the onBody option) | "sdk" | "raw" */
  client: string;
  /** "seq": `count` sequential GETs of `size` bytes; "get": one GET of `size` bytes; budget: see below. */
  workload: "seq" | "get" | "idle" | "probe" | "budget-plain" | "budget-https" | "budget-reuse" | "validate" | "pooled" | "anatomy";
  /** validate: the resource holding the chain a server would send (leaf first). */
  chain?: string;
  /** seq: every request with `Connection: close`. */
  close?: boolean;
  /** tls.maxVersion "TLSv1.3". */
  tls13?: boolean;
  secure: boolean;
  port: number;
  size: number;
  count: number;
}

const host = String(config.benchHost ?? "127.0.0.1");
const CHUNK = Instrumentation.map("XS Chunk Heap Used");
const SLOT = Instrumentation.map("XS Slot Heap Used");
const STACK = Instrumentation.map("XS Stack Used");

let peakChunk = 0;
let peakSlot = 0;
/** Samples the heaps as they are (live and garbage not yet collected): on a timer and after every callback. */
function sample(): void {
  const [chunk, slot] = heaps();
  peakChunk = Math.max(peakChunk, chunk);
  peakSlot = Math.max(peakSlot, slot);
}

/** "XS Chunk Heap Used" and "XS Slot Heap Used" now, in bytes. */
function heaps(): [number, number] {
  return [Instrumentation.get(CHUNK) ?? 0, Instrumentation.get(SLOT) ?? 0];
}

let liveChunk = 0;
let liveSlot = 0;
let sinceLive = 0;
let liveOn = true; // in a sequence, on for its last request only (the others are alike)
let firstBody = true; // the next body bytes are a response's first
const LIVE_EVERY = 65536;
/**
 * Samples what is live: collects garbage first. At fixed points only (the head, the first body bytes, every
 * 64 KB of body, the end of each response), the same for every client, so that its CPU cost stays small
 * and even. The first body bytes give a body of any size a reading while it is being read, so that a
 * 16 KB body and a 1 MB one are compared in the same states.
 */
function sampleLive(where: string): void {
  sample();
  if (!liveOn)
    return;
  Debug.gc();
  sinceLive = 0;
  const [chunk, slot] = heaps();
  if (config.benchTrace)
    trace(`LIVE ${where}: chunk ${chunk} slot ${slot}\n`);
  liveChunk = Math.max(liveChunk, chunk);
  liveSlot = Math.max(liveSlot, slot);
}
/** Counts body bytes towards the next live sample. */
function bodyBytes(n: number): void {
  sinceLive += n;
  if (firstBody || sinceLive >= LIVE_EVERY) {
    const where = firstBody ? "first body bytes" : "body";
    firstBody = false;
    sampleLive(where);
  }
}

/** The control connection to the runner: line-based. */
class Control {
  #socket: StreamSocket;
  #pending = "";
  #waiter: ((line: string) => void) | undefined;
  #lines: string[] = [];
  #open: Promise<void>;
  constructor(port: number) {
    this.#socket = new Socket({ host, port }) as unknown as StreamSocket;
    let opened!: () => void;
    this.#open = new Promise((resolve) => (opened = resolve));
    this.#socket.callback = (message: number) => {
      if (message === 1)
        opened();
      else if (message === 2) {
        this.#pending += this.#socket.read(String);
        let newline: number;
        while ((newline = this.#pending.indexOf("\n")) >= 0) {
          const line = this.#pending.slice(0, newline);
          this.#pending = this.#pending.slice(newline + 1);
          const waiter = this.#waiter;
          this.#waiter = undefined;
          if (waiter)
            waiter(line);
          else
            this.#lines.push(line);
        }
      }
      else if (message < 0)
        trace(`BENCH ABORT control connection lost (${message})\n`);
    };
  }
  /** Sends a line, then resolves with the runner's answer. */
  async ask(line: string): Promise<string> {
    await this.#open;
    this.#socket.write(`${line}\n`);
    const queued = this.#lines.shift();
    if (queued !== undefined)
      return queued;
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

function url(job: Job, size: number): string {
  return `${job.secure ? "https" : "http"}://${host}:${job.port}/bytes?n=${size}`;
}

/**
 * Our client's TLS versions for a job: TLS 1.3 (ours) when the job says so, else the SDK's TLS 1.2, the same
 * stack as the SDK's Request and the raw drain (the client's default offers 1.3 first).
 */
function tlsOf(job: Job): RequestOptions["tls"] {
  if (job.workload.startsWith("budget"))
    return undefined; // the app's budget: its requests as the app makes them, with the defaults
  return { maxVersion: job.tls13 ? "TLSv1.3" : "TLSv1.2" };
}

/** Drains a GET with our client; returns the body bytes. */
async function oursGet(client: HttpClient, job: Job, size: number): Promise<number> {
  const response = await client.request(url(job, size), job.close || job.secure
    ? { headers: job.close ? { connection: "close" } : undefined, tls: job.secure ? tlsOf(job) : undefined }
    : undefined);
  sampleLive("head");
  if (response.status !== 200)
    throw new Error(`status ${response.status}`);
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    sample();
    bodyBytes(chunk.length);
  }
  return total;
}

/** The same, the body taken by the request's onBody (in the socket's callback, from its first byte). */
async function oursOnBody(client: HttpClient, job: Job, size: number): Promise<number> {
  const response = await client.request(url(job, size), {
    tls: job.secure ? tlsOf(job) : undefined,
    onBody(chunk) {
      sample();
      bodyBytes(chunk.length); // its first chunk is sampled live, in the socket's callback, with the record it came in
    },
  });
  sampleLive("head");
  if (response.status !== 200)
    throw new Error(`status ${response.status}`);
  return response.consume();
}

/** The same with the SDK's Request (it sends Connection: close: one connection per request). */
function sdkGet(job: Job, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    const options: Record<string, unknown> = { host, port: job.port, path: `/bytes?n=${size}` };
    if (job.secure) {
      options.Socket = SecureSocket;
      options.secure = secureOptions(undefined, host).secure; // the same TLS settings as ours
    }
    const request = new Request(options as ConstructorParameters<typeof Request>[0]);
    request.callback = (message: number, value?: number) => {
      sample();
      if (message === Request.responseFragment) {
        const bytes = request.read(ArrayBuffer, value);
        total += bytes ? bytes.byteLength : 0;
        bodyBytes(bytes ? bytes.byteLength : 0);
      }
      else if (message === Request.headersComplete)
        sampleLive("head");
      else if (message === Request.responseComplete)
        resolve(total);
      else if (message < 0)
        reject(new Error(`Request error ${message}`));
    };
  });
}

/**
 * A raw drain: one connection, a hand-written GET, every byte read as it comes, closed once the head (found
 * by its blank line in the first read) and `size` body bytes have arrived. Returns the body bytes.
 */
function rawGet(job: Job, size: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    let head = -1;
    const sock = new Socket({ host, port: job.port }) as unknown as StreamSocket;
    const socket = job.secure
      ? new SecureSocket({ sock, host, secure: secureOptions(undefined, host).secure }) as unknown as StreamSocket
      : sock;
    socket.callback = (message: number) => {
      sample();
      if (config.benchTrace)
        trace(`raw ${message} ${total}\n`);
      if (message === 1)
        socket.write(`GET /bytes?n=${size} HTTP/1.1\r\nHost: ${host}:${job.port}\r\nConnection: close\r\n\r\n`);
      else if (message === 2) {
        const bytes = socket.read(ArrayBuffer);
        if (!bytes)
          return;
        if (head < 0) {
          const view = new Uint8Array(bytes);
          for (let i = 3; i < view.length; i++)
            if (view[i] === 10 && view[i - 1] === 13 && view[i - 2] === 10 && view[i - 3] === 13) {
              head = i + 1;
              break;
            }
          if (head < 0)
            return reject(new Error("no blank line in the first read"));
          sampleLive("head");
        }
        total += bytes.byteLength;
        bodyBytes(bytes.byteLength);
        if (total - head >= size) {
          // closed once this callback has returned: a collection inside it, after close(), would free
          // the socket under the SDK's feet (close() unroots it; seen as a hang on the simulator)
          Promise.resolve().then(() => socket.close());
          resolve(total - head);
        }
      }
      else if (message < 0) {
        socket.close();
        reject(new Error(`socket error ${message}`));
      }
    };
  });
}

/**
 * Validates `chain` (read from `job.chain` before the measurement starts: decoding the PEM is not validation)
 * `job.count` times against bench-ca.pem, as a handshake would: the count of validations that passed.
 */
function validate(job: Job, chain: ArrayBuffer[], anchors: ArrayBuffer[]): number {
  let passed = 0;
  for (let i = 0; i < job.count; i++) {
    try {
      validateServerChain(chain, { anchors, serverName: host, now: Date.now(), notBefore: 0 });
      passed++;
    }
    catch (error) {
      if (!(error instanceof TlsError))
        throw error;
      if (i === 0)
        trace(`BENCH validate ${job.chain}: ${error.message}\n`);
    }
  }
  return passed;
}

async function run(job: Job, client: HttpClient): Promise<number> {
  let total = 0;
  const count = job.workload === "seq" ? job.count : 1;
  for (let i = 0; i < count; i++) {
    liveOn = i === count - 1;
    firstBody = true;
    if (job.client === "ours")
      total += await oursGet(client, job, job.size);
    else if (job.client === "ours-onbody")
      total += await oursOnBody(client, job, job.size);
    else if (job.client === "sdk")
      total += await sdkGet(job, job.size);
    else
      total += await rawGet(job, job.size);
    sampleLive("end"); // the end of each response, outside any socket callback
  }
  return total;
}

function noop(): void {}

/** What is live, after a collection: [chunk, slot] bytes. */
function live(): [number, number] {
  Debug.gc();
  return heaps();
}

/** A diagnostic (BENCH_ONLY=anatomy, in a fresh VM): what each part of one request at its head frees when let go, in turn. */
async function anatomy(job: Job, client: HttpClient, start: [number, number]): Promise<void> { // eslint-disable-line prefer-const
  const href = url(job, 16 * 1024);
  const settle = () => new Promise((resolve) => Timer.set(resolve, 50));
    {
    // Anatomy of a request at its head on a new connection: what each part frees when let go, in turn.
    let anatomy: HttpClient | undefined = client;
    {
      // first, what first uses cost (once per VM)
      let mark = live();
      const once = (what: string) => {
        const now = live();
        trace(`PROBE anatomy: first use of ${what}: chunk ${now[0] - mark[0]} slot ${now[1] - mark[1]}\n`);
        mark = now;
      };
      utf8Bytes("GET");
      once("http/text's utf8Bytes (a TextEncoder, the module's variables written)");
      httpStats.bytesRead += 0;
      once("httpStats (a preloaded object written)");
      await new Promise<void>((resolve) => {
        const s = new Socket({ host, port: job.port }) as unknown as StreamSocket;
        s.callback = (message: number) => {
          if (message === 1) {
            Promise.resolve().then(() => s.close());
            resolve();
          }
        };
      });
      await settle();
      once("a Socket, connected and closed");
      start = live();
    }
    let r: Record<string, unknown> | undefined = await anatomy.request(href) as unknown as Record<string, unknown>;
    let last = live();
    trace(`PROBE anatomy: at the head chunk +${last[0] - start[0]} slot +${last[1] - start[1]}\n`);
    // let, not const: the "left" figure below must not count these frames' own references
    let stream: Record<string, unknown> | undefined = r.body as Record<string, unknown>;
    let exchange: Record<string, unknown> | undefined = stream.owner as Record<string, unknown>;
    let connection: Record<string, unknown> | undefined = exchange.connection as Record<string, unknown>;
    const step = (what: string, drop: () => void) => {
      drop();
      const now = live();
      trace(`PROBE anatomy: - ${what}: chunk ${now[0] - last[0]} slot ${now[1] - last[1]}\n`);
      last = now;
    };
    step("the queued body bytes", () => (stream!.chunks = undefined));
    step("the response's headers", () => (r!.headers = undefined));
    step("the timings", () => (r!.timings = exchange!.timings = undefined));
    step("the parser", () => (exchange!.parser = undefined));
    step("the request's options, headers, body", () => (exchange!.options = exchange!.headers = exchange!.body = undefined));
    step("the exchange's timer", () => (exchange!.stopTimer as () => void).call(exchange));
    step("the connection (closed, dropped)", () => { (connection!.close as () => void).call(connection); exchange!.connection = connection = undefined; });
    await settle();
    step("50 ms later", () => undefined);
    step("the pool (this function's reference; main's client stays)", () => (anatomy = undefined));
    step("the exchange", () => (stream!.owner = exchange = undefined));
    step("the response and its stream", () => (r = stream = undefined));
    await settle();
    step("50 ms later", () => undefined);
    trace(`PROBE anatomy: left: chunk +${last[0] - start[0]} slot +${last[1] - start[1]}\n`);
  }
  await new Promise((resolve) => Timer.set(resolve, 500)); // trace lines travel to xsbug-log before "end"
}

/** A diagnostic (BENCH_ONLY=probe): traces what each step of our client's requests keeps live. */
async function probe(job: Job): Promise<void> {
  const base = live();
  const settle = () => new Promise((resolve) => Timer.set(resolve, 50)); // pending promise jobs run, closes land
  const show = (what: string) => {
    const [chunk, slot] = live();
    trace(`PROBE ${job.secure ? "https" : "http"} ${what}: chunk +${chunk - base[0]} slot +${slot - base[1]}\n`);
  };
  if (!job.secure) {
    let sock: StreamSocket | undefined = await new Promise<StreamSocket>((resolve) => {
      const s = new Socket({ host, port: job.port }) as unknown as StreamSocket;
      s.callback = (message: number) => { if (message === 1) resolve(s); };
    });
    show("a bare Socket, connected, idle");
    sock!.close();
    sock = undefined;
    await settle();
    show("- that Socket");
    let connection: Connection | undefined = await Connection.open({ secure: false, hostname: host, port: job.port, key: "k" }, undefined, () => undefined).ready;
    show("a bare Connection, connected, idle");
    connection!.close();
    connection = undefined;
    await settle();
    show("- that Connection");
    connection = await Connection.open({ secure: false, hostname: host, port: job.port, key: "k" }, undefined, () => undefined).ready;
    await new Promise<void>((resolve) => {
      let received = 0;
      connection!.events = { onReceive(bytes) { received += bytes.length; if (received >= job.size) resolve(); }, onEnd() { resolve(); } };
      connection!.write(`GET /bytes?n=${job.size} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    });
    connection!.events = undefined;
    show("a bare Connection after a 64 KB response read raw, idle");
    connection!.close();
    connection = undefined;
    await settle();
    show("- that Connection");
  }
  const href = url(job, job.size);
  if (!job.secure) {
    // What the parts a request is made of hold each, alone (ten of each, divided by ten).
    const each = (what: string, make: () => unknown) => {
      const before = live();
      let held: unknown[] | undefined = [];
      for (let i = 0; i < 10; i++)
        held.push(make());
      const after = live();
      trace(`PROBE part ${what}: chunk +${Math.round((after[0] - before[0]) / 10)} slot +${Math.round((after[1] - before[1]) / 10)}\n`);
      held = undefined;
    };
    each("an empty object", () => ({}));
    each("a closure", () => () => href);
    each("a pending promise and its two resolvers", () => { let r; const p = new Promise((a, b) => { r = [a, b]; }); return [p, r]; });
    each("a suspended async function", () => (async () => { await new Promise(() => undefined); })());
    each("a URL (the SDK's)", () => new URL(href));
    each("a ResponseParser", () => new ResponseParser({ onHead() {}, onData() {}, onComplete() {} }, { maxHeaderBytes: 8192 }));
    const fields = (): [string, string][] => [["content-type", "application/octet-stream"], ["content-length", "65536"], ["date", "Thu, 03 Dec 2026 15:00:00 GMT"], ["connection", "keep-alive"], ["keep-alive", "timeout=60"]];
    each("five header fields as [name, value] arrays", fields);
    each("a ResponseHeaders of five fields", () => new ResponseHeaders(fields()));
    each("a BodyStream", () => new BodyStream({ abortBody() {} }));
    const pool = { acquire() { return undefined as never; }, release() {} };
    const parsed = new URL(href);
    each("an Exchange, not started (the URL shared)", () => new Exchange(pool, parsed, "GET", [], {}, {}));
    each("a Response of five fields", () => new Response({ version: "1.1", status: 200, statusText: "OK", headers: fields(), bodyKind: "length", contentLength: 1, keepAlive: true }, href, new BodyStream({ abortBody() {} }), 1 << 20, { dns: 0, connect: 0, tls: 0, firstByte: 0, body: -1 }, host));
    each("an object of ten fields", () => ({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10 }));
    each("a resolved promise", () => Promise.resolve(1));
    const buffer = new ArrayBuffer(1024);
    each("a Uint8Array view of an ArrayBuffer", () => new Uint8Array(buffer));
    each("an empty array", () => []);
    const timers: ReturnType<typeof Timer.set>[] = [];
    each("a Timer of a shared callback", () => { const t = Timer.set(noop, 60000); timers.push(t); return t; });
    each("a Timer and its callback", () => { const t = Timer.set(() => undefined, 60000); timers.push(t); return t; });
    for (const t of timers)
      Timer.clear(t);
    {
      const before = live();
      let held: Connection[] | undefined = [];
      for (let i = 0; i < 10; i++)
        held.push(await Connection.open({ secure: false, hostname: host, port: job.port, key: "k" }, undefined, noop).ready);
      const after = live();
      trace(`PROBE part a Connection, connected: chunk +${Math.round((after[0] - before[0]) / 10)} slot +${Math.round((after[1] - before[1]) / 10)}\n`);
      for (const c of held)
        c.close();
      held = undefined;
      await settle();
    }
  }
  {
    const c = new HttpClient();
    const r = await c.request(href);
    show("consume: at the head");
    let n = 0;
    await r.consume(() => {
      n++;
      if (n === 1 || n === 8 || n === 15 || n === 16 || n === 17 || n === 24 || n === 40)
        show(`consume: in chunk ${n}`);
    });
    show("consume: after");
    c.close();
    await settle();
    show("consume: client closed");
  }
  /** One GET read to its end on `client`; nothing of it stays in this frame. */
  const readOne = async (client: HttpClient, options?: RequestOptions) => {
    const r = await client.request(href, options);
    for await (const chunk of r.body)
      void chunk;
  };
  await readOne(new HttpClient(), { headers: { Connection: "close" } });
  await settle();
  show("a client after a Connection: close request read (nothing pooled)");
  {
    // What one more request holds at its head, and at its first chunk (for await): n requests at once, less one
    const many = new HttpClient({ maxSocketsPerOrigin: 8 });
    const atHeads = async (n: number) => {
      const before = live();
      const responses: Awaited<ReturnType<HttpClient["request"]>>[] = [];
      for (let i = 0; i < n; i++)
        responses.push(await many.request(href));
      const heads = live();
      const iterators = responses.map((r) => r.body[Symbol.asyncIterator]());
      const firsts: unknown[] = [];
      for (const iterator of iterators)
        firsts.push(await iterator.next());
      const first = live();
      for (const iterator of iterators)
        while (!(await iterator.next()).done)
          ;
      return [heads[0] - before[0], heads[1] - before[1], first[0] - before[0], first[1] - before[1]];
    };
    {
      // a request at its head on a new connection, and the same client's next one on the pooled connection
      const fresh = new HttpClient();
      const before = live();
      let r: Awaited<ReturnType<HttpClient["request"]>> | undefined = await fresh.request(href);
      const atHead = live();
      await r.consume(() => undefined);
      r = undefined;
      const after = live();
      await settle();
      const settled = live();
      r = await fresh.request(href);
      const again = live();
      await r.consume(() => undefined);
      r = undefined;
      trace(`PROBE new connection: at the head chunk +${atHead[0] - before[0]} slot +${atHead[1] - before[1]}; after the body chunk +${after[0] - before[0]} slot +${after[1] - before[1]}; 50 ms later chunk +${settled[0] - before[0]} slot +${settled[1] - before[1]}; the next request at its head chunk +${again[0] - before[0]} slot +${again[1] - before[1]}\n`);
      const origin = { secure: job.secure, hostname: host, port: job.port, key: `x://${host}:${job.port}` };
      const before2 = live();
      let c: Connection | undefined = await (fresh as unknown as { acquire(o: unknown, t: unknown, f: boolean): { ready: Promise<Connection> } }).acquire(origin, undefined, true).ready;
      const acquired = live();
      trace(`PROBE a connection by the pool's acquire(): chunk +${acquired[0] - before2[0]} slot +${acquired[1] - before2[1]}\n`);
      c.close();
      c = undefined;
      fresh.close();
      await settle();
    }
    await atHeads(1); // first-use allocations, and the pool's connections, before the figures
    await settle();
    const one = await atHeads(1);
    await settle();
    const five = await atHeads(5);
    trace(`PROBE one request at its head: chunk +${one[0]} slot +${one[1]}; at its first chunk: chunk +${one[2]} slot +${one[3]}\n`);
    trace(`PROBE each more request at its head: chunk +${Math.round((five[0] - one[0]) / 4)} slot +${Math.round((five[1] - one[1]) / 4)}; at its first chunk: chunk +${Math.round((five[2] - one[2]) / 4)} slot +${Math.round((five[3] - one[3]) / 4)}\n`);
    many.close();
    await settle();
  }
  await readOne(new HttpClient({ idleTimeout: 0 }));
  await settle();
  show("a client (idleTimeout 0) after a request read (pooled, no idle timer)");
  await readOne(new HttpClient());
  await settle();
  show("a client (idle timer 5 s) after a request read (pooled), dropped");
  const zero = new HttpClient({ idleTimeout: 0 });
  await readOne(zero);
  await settle();
  show("a client (idleTimeout 0) after a request read (pooled), held");
  const client = new HttpClient();
  show("new HttpClient");
  let response: Awaited<ReturnType<HttpClient["request"]>> | undefined = await client.request(href);
  show("+ a request at its head");
  let iterator: AsyncIterator<Uint8Array> | undefined = response.body[Symbol.asyncIterator]();
  let step: IteratorResult<Uint8Array> | undefined;
  for (let i = 0; i < 5; i++)
    step = await iterator!.next();
  show(`+ 5 chunks read, the last (${step?.value?.length} bytes) held`);
  step = undefined;
  show("- that chunk");
  for (;;)
    if ((await iterator!.next()).done)
      break;
  show("+ the rest of the body read (connection pooled)");
  response = iterator = undefined;
  show("- the response and its body iterator");
  await settle();
  show("50 ms later (connection still pooled)");
  response = await client.request(href);
  show("+ a second request at its head (pooled connection)");
  for await (const chunk of response.body)
    void chunk;
  response = undefined;
  show("+ its body read, - the response");
  client.close();
  await settle();
  show("- the pool (closed)");
  {
    const again = new HttpClient();
    const second = await again.request(href);
    for await (const chunk of second.body)
      void chunk;
    again.close();
  }
  await settle();
  show("+ a second client's whole request, closed and dropped");
  await new Promise((resolve) => Timer.set(resolve, 500)); // trace lines travel to xsbug-log before "end"
}

async function main(): Promise<void> {
  const control = new Control(Number(config.benchControlPort));
  const job = JSON.parse(await control.ask("hello")) as Job;
  if (job.workload === "probe") {
    await probe(job);
    await control.ask(`end ${JSON.stringify({ bytes: 0, error: "probe", baseChunk: 0, baseSlot: 0, peakChunk: 0, peakSlot: 0, liveChunk: 0, liveSlot: 0, stack: 0 })}`);
    return;
  }
  const client = new HttpClient({ idleTimeout: 60000 });
  if (job.workload === "budget-reuse") // the first GET opens the connection; the second is measured
    await oursGet(client, job, job.size);
  const chain = job.workload === "validate" ? loadPemCertificates(job.chain!) : [];
  const anchors = job.workload === "validate" ? loadPemCertificates("bench-ca.pem") : [];
  const [baseChunk, baseSlot] = live();
  if (config.benchTrace)
    trace(`LIVE base: chunk ${baseChunk} slot ${baseSlot}\n`);
  peakChunk = liveChunk = baseChunk;
  peakSlot = liveSlot = baseSlot;
  const timer = Timer.repeat(sample, 5);
  await control.ask("start");
  let bytes = 0;
  let error = "";
  try {
    if (job.workload === "idle") // the simulator doing nothing for `size` ms: its polling costs CPU too
      await new Promise((resolve) => Timer.set(resolve, job.size));
    else if (job.workload === "validate")
      bytes = validate(job, chain, anchors);
    else if (job.workload === "anatomy") { // the get job's prelude, then its request taken apart at the head
      await anatomy(job, client, [baseChunk, baseSlot]);
      throw new Error("anatomy");
    }
    else if (job.workload === "pooled") {
      // What an idle pooled connection holds: live with it in the pool, less live once the pool has closed it
      // (both 50 ms after, when pending jobs have run and a close has landed); reported as the live figures.
      liveOn = false; // oursGet's own samples are not this figure
      bytes = await oursGet(client, job, job.size);
      await new Promise((resolve) => Timer.set(resolve, 50));
      const pooled = live();
      client.close();
      await new Promise((resolve) => Timer.set(resolve, 50));
      const closed = live();
      liveChunk = baseChunk + pooled[0] - closed[0];
      liveSlot = baseSlot + pooled[1] - closed[1];
      if (config.benchTrace)
        trace(`LIVE pooled: chunk ${pooled[0]} slot ${pooled[1]}; closed: chunk ${closed[0]} slot ${closed[1]}\n`);
    }
    else if (job.workload.startsWith("budget")) {
      firstBody = true;
      bytes = await oursGet(client, job, job.size);
      sampleLive("end");
    }
    else
      bytes = await run(job, client);
  }
  catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  sample();
  const result = { bytes, error, baseChunk, baseSlot, peakChunk, peakSlot, liveChunk, liveSlot, stack: Instrumentation.get(STACK) ?? 0 };
  await control.ask(`end ${JSON.stringify(result)}`);
  Timer.clear(timer);
  trace(`BENCH DONE\n`);
}

main().catch((error: unknown) => trace(`BENCH ABORT ${String(error)}\n`));
