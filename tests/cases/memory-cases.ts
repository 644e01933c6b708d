// memory: the XS heaps and stack a plain GET, a verified HTTPS GET and a keep-alive reuse need, read from the
// SDK's `instrumentation` while each runs. On the simulator the device test app runs under the app's own
// `creation` values with fixed heaps (incremental 0), so a case that needed more would abort the VM; each case
// traces a `MEM` line that the simulator runner collects (tests/sim/run.ts, bench/memory.ts).
import Debug from "debug";
import Instrumentation from "instrumentation";
import Timer from "timer";
import { HttpClient } from "http/client";
import { HttpServer } from "http/server";
import { PAGE_TYPE, temperaturePage } from "sensors/temperature-page";
import { readTemperature } from "sensors/temperature";
import { assert, equal, type TestCase } from "./harness";
import { fixtureHost, fixturePort, lane, serverPort } from "./fixture";

export interface MemoryPeaks {
  /** Chunk and slot bytes live before the work began (after a forced collection): the app's own baseline. */
  baseChunk: number;
  baseSlots: number;
  /** Most bytes of the chunk heap in use (live and not yet collected) at any sample. */
  chunk: number;
  /** Most bytes of the slot heap in use at any sample (slots are 32 bytes on the 64-bit simulator, 16 on an ESP32). */
  slots: number;
  /** Deepest the XS stack went, in bytes (the SDK resets this high-water mark each time it is read). */
  stack: number;
}

const CHUNK = Instrumentation.map("XS Chunk Heap Used");
const SLOTS = Instrumentation.map("XS Slot Heap Used");
const STACK = Instrumentation.map("XS Stack Used");

/** Runs `work`, sampling the heaps every millisecond and after it ends; the stack figure is a true high-water mark. */
export async function measurePeaks(work: () => Promise<void>): Promise<MemoryPeaks> {
  Debug.gc();
  const peaks: MemoryPeaks = { baseChunk: Instrumentation.get(CHUNK) ?? 0, baseSlots: Instrumentation.get(SLOTS) ?? 0, chunk: 0, slots: 0, stack: 0 };
  const sample = (): void => {
    peaks.chunk = Math.max(peaks.chunk, Instrumentation.get(CHUNK) ?? 0);
    peaks.slots = Math.max(peaks.slots, Instrumentation.get(SLOTS) ?? 0);
    peaks.stack = Math.max(peaks.stack, Instrumentation.get(STACK) ?? 0);
  };
  Instrumentation.get(STACK); // starts the stack's high-water mark from here
  const timer = Timer.repeat(sample, 1);
  try {
    await work();
  }
  finally {
    Timer.clear(timer);
    sample();
  }
  return peaks;
}

/** Chunk and slot bytes live after a forced collection. */
function live(): [number, number] {
  Debug.gc();
  return [Instrumentation.get(CHUNK) ?? 0, Instrumentation.get(SLOTS) ?? 0];
}

function report(label: string, peaks: MemoryPeaks, extra = ""): void {
  trace(`MEM ${label} baseChunk=${peaks.baseChunk} baseSlots=${peaks.baseSlots} chunk=${peaks.chunk} slots=${peaks.slots} stack=${peaks.stack}${extra}\n`);
  if (lane() === "sim") {
    assert(peaks.chunk > 0 && peaks.slots > 0, `${label}: instrumentation gave no heap figures`);
    assert(peaks.stack > 0, `${label}: instrumentation gave no stack figure`);
  }
}

const httpsOptions = { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 30000 } };

export const memoryCases: TestCase[] = [
  {
    name: "memory: a plain GET completes under the app's creation values (figures: plain-get)",
    async run() {
      const client = new HttpClient();
      const peaks = await measurePeaks(async () => {
        const response = await client.request(`http://${fixtureHost()}:${fixturePort("Http")}/hello`);
        equal(response.status, 200, "status");
        equal(await response.text(), "hello world", "body");
      });
      client.close();
      report("plain-get", peaks);
    },
  },
  {
    name: "memory: a verified HTTPS GET (full handshake, leaf + intermediate, RSA 2048) completes under them (figures: https-get)",
    async run() {
      const client = new HttpClient();
      const peaks = await measurePeaks(async () => {
        const response = await client.request(`https://localhost:${fixturePort("Https")}/`, httpsOptions);
        equal(await response.text(), "hello over TLS", "body");
      });
      client.close();
      report("https-get", peaks);
    },
  },
  {
    name: "memory: a second HTTPS GET on the kept-alive connection makes no new connection (figures: keep-alive)",
    async run() {
      const client = new HttpClient({ idleTimeout: 5000 });
      const base = `https://localhost:${fixturePort("Https")}`;
      const connections = async (): Promise<number> =>
        ((await (await client.request(base + "/stats", httpsOptions)).json()) as { connections: number }).connections;
      const before = await connections();
      const peaks = await measurePeaks(async () => {
        equal(await (await client.request(base + "/", httpsOptions)).text(), "hello over TLS", "body");
      });
      equal(await connections(), before, "TLS connections after the reuse");
      client.close();
      report("keep-alive", peaks);
    },
  },
  {
    name: "memory: a verified HTTPS GET of 64 KB sent in full 16 KB TLS records streams under them (figures: https-64k)",
    async run() {
      const client = new HttpClient();
      let received = 0;
      const peaks = await measurePeaks(async () => {
        const response = await client.request(`https://localhost:${fixturePort("Https")}/64k`, httpsOptions);
        for await (const piece of response.body)
          received += piece.length;
      });
      client.close();
      equal(received, 65536, "body bytes");
      report("https-64k", peaks);
    },
  },
  {
    name: "memory: the app's page (GET /) costs, while it is served, its text over what /temperature's JSON costs, and keeps nothing once sent (figures: page, page-json)",
    async run() {
      const port = serverPort();
      const server = new HttpServer({ port, address: fixtureHost() });
      server.route("GET", "/", () => ({ headers: { "content-type": PAGE_TYPE }, body: temperaturePage(readTemperature()) }));
      server.route("GET", "/temperature", () => ({ json: readTemperature() }));
      server.listen();
      const client = new HttpClient({ idleTimeout: 5000 });
      const get = async (path: string): Promise<string> => (await client.request(`http://${fixtureHost()}:${port}${path}`)).text();
      try {
        // the connection, pooled on both sides, the server's slot, and what a first request of each route leaves
        // for good (a route's first use; the retained figure is per request from then on)
        await get("/temperature");
        await get("/");
        const json = await measurePeaks(async () => {
          assert((await get("/temperature")).includes("value"), "the JSON reading");
        });
        const page = await measurePeaks(async () => {
          assert((await get("/")).includes("°C"), "the page");
        });
        // what stays live once pages are sent: five more, then five more again, so that a page kept per request
        // would show five times over in the second five (the first five also count what is allocated once and kept)
        const before = live();
        for (let i = 0; i < 5; i++)
          await get("/");
        const middle = live();
        for (let i = 0; i < 5; i++)
          await get("/");
        const after = live();
        const retained = after[0] - middle[0] + after[1] - middle[1];
        const first = middle[0] - before[0] + middle[1] - before[1];
        report("page-json", json);
        report("page", page, ` retainedAfterFive=${first} retainedAfterFiveMore=${retained}`);
        if (lane() === "sim") // the host runtime's figures are V8's
          assert(retained < 1024, `five more pages left ${retained} bytes live (chunk + slots): more than one page's text`);
      }
      finally {
        client.close();
        server.close();
      }
    },
  },
];
