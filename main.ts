// The firmware app: join WiFi, set the clock, fetch each URL of config.urls and trace what happened.
// With config.server (a port), it also serves / (a page showing the reading) and /temperature over HTTP,
// and with config.secureServer over HTTPS, side by side with the fetches: all are event-driven, so neither
// waits for the other. Failures are traced with their codes and never stop the app.
import config from "mc/config";
import Net from "net";
import { HttpError, request, type RequestOptions } from "http/client";
import { Station } from "net/wifi";
import { clockIsSet, setClock } from "net/time";
import { KitError } from "kit/error";
import Timer from "timer";
import Instrumentation from "instrumentation";
import Debug from "debug";
import { describeHttpStats } from "http/stats";
import { HttpServer, type ServerTlsOptions } from "http/server";
import { readTemperature } from "sensors/temperature";
import { temperaturePage, PAGE_TYPE } from "sensors/temperature-page";

/** One entry of config.urls, checked: a URL and how to verify it. */
interface Target { url: string; verify: boolean; ca?: string }
const TARGET_KEYS = ["url", "verify", "ca"];

const PREVIEW_BYTES = 64;

function describe(error: unknown): string {
  if (error instanceof KitError)
    return error.message;
  return String(error);
}

/** How long a fetch waits for a lost WiFi link to come back before it is tried anyway. */
const LINK_WAIT_MS = 60000;
let station: Station | undefined;

async function joinNetwork(): Promise<void> {
  if (!config.ssid && Net.get("IP")) { // the simulator and the host runtime: the network is already up
    trace(`main: network up, ip ${Net.get("IP")}\n`);
    return;
  }
  station = new Station({ ssid: String(config.ssid ?? ""), password: config.password ? String(config.password) : undefined });
  station.on((event) => {
    if (event.type === "connected")
      trace(`main: WiFi up, ip ${event.ip}, rssi ${event.rssi}\n`);
    else if (event.type === "disconnected")
      trace(`main: WiFi down (${event.reason})\n`);
    else if (event.type === "gave-up")
      trace(`main: WiFi: ${event.error.message}\n`);
  });
  await station.join();
}

/** Waits (bounded) for a dropped link to be rejoined; the station rejoins by itself. */
async function linkUp(): Promise<void> {
  if (!station || station.connected)
    return;
  trace(`main: waiting up to ${LINK_WAIT_MS / 1000} s for WiFi to come back\n`);
  let timer: ReturnType<typeof Timer.set> | undefined;
  const late = new Promise<void>((resolve) => (timer = Timer.set(() => resolve(), LINK_WAIT_MS)));
  try {
    await Promise.race([station.join(), late]);
  }
  catch (error) {
    trace(`main: ${describe(error)}\n`); // the fetch then fails with its own code
  }
  finally {
    if (timer !== undefined)
      Timer.clear(timer);
  }
}

async function setTime(): Promise<void> {
  if (clockIsSet()) {
    trace(`main: clock already set (${new Date().toISOString()})\n`);
    return;
  }
  const servers = ([] as string[]).concat((config.sntp as string | string[] | undefined) ?? "pool.ntp.org");
  await setClock({ servers, timeout: 15000 });
}

function printable(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes)
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
  return text;
}

/** A config value as a person would write it, shortened. */
function shown(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A string of URLs separated by commas or white space (mcconfig passes `urls=…` as a string). No RegExp: see docs/sdk-notes.md. */
function splitUrls(text: string): string[] {
  const urls: string[] = [];
  let current = "";
  for (const c of text + " ") {
    if (c === "," || c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (current)
        urls.push(current);
      current = "";
    }
    else
      current += c;
  }
  return urls;
}

/** Why an entry of config.urls cannot be fetched, or its target. */
function readTarget(entry: unknown, where: string): Target | HttpError {
  const refuse = (why: string) => new HttpError("ERR_CONFIG", `${where} ${why}: give a URL string or {"url": …, "verify": false} or {"url": …, "ca": "root.pem"}`);
  if (typeof entry === "string")
    return entry.trim() ? { url: entry.trim(), verify: true } : refuse("is an empty string");
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    return refuse(`is ${shown(entry)}`);
  const fields = entry as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !TARGET_KEYS.includes(key));
  if (unknown !== undefined)
    return refuse(`has the unknown key "${unknown}" (known: ${TARGET_KEYS.join(", ")})`);
  const { url, verify, ca } = fields;
  if (typeof url !== "string" || !url.trim())
    return refuse(url === undefined ? "has no url" : `has the url ${shown(url)}, not a URL string`);
  if (verify !== undefined && typeof verify !== "boolean")
    return refuse(`has verify ${shown(verify)}, not true or false`);
  if (ca !== undefined && (typeof ca !== "string" || !ca))
    return refuse(`has ca ${shown(ca)}, not a resource name`);
  return { url: url.trim(), verify: verify !== false, ca: ca as string | undefined };
}

/**
 * config.urls as targets: a list of URL strings and {url, verify, ca} objects, one such object, or one string
 * of URLs separated by commas or spaces. Each entry that cannot be used is traced with its index and code,
 * and counted in `invalid`; the others are fetched.
 */
function readTargets(urls: unknown): { targets: Target[]; invalid: number } {
  if (urls === undefined || urls === null || urls === "")
    return { targets: [], invalid: 0 };
  const entries = typeof urls === "string" ? splitUrls(urls) : Array.isArray(urls) ? urls : typeof urls === "object" ? [urls] : undefined;
  if (!entries) {
    trace(`main: ${new HttpError("ERR_CONFIG", `config.urls is ${shown(urls)}: give a list of URLs, or one string of URLs separated by commas or spaces`).message}\n`);
    return { targets: [], invalid: 1 };
  }
  const targets: Target[] = [];
  let invalid = 0;
  for (let index = 0; index < entries.length; index++) {
    const target = readTarget(entries[index], `config.urls[${index}]`);
    if (target instanceof HttpError) {
      trace(`main: ${target.message}; left out\n`);
      invalid++;
    }
    else
      targets.push(target);
  }
  return { targets, invalid };
}

/** A port of the config: 0 (off) to 65535, as a number or a string of digits (mcconfig passes strings). */
function readPort(value: unknown, name: string): number {
  const port = typeof value === "string" && value.trim() ? Number(value) : value ?? 0;
  if (typeof port === "number" && Number.isInteger(port) && port >= 0 && port <= 65535)
    return port;
  trace(`main: ${new HttpError("ERR_CONFIG", `config.${name} is ${shown(value)}, not a port (0 to 65535; 0 is off)`).message}; not serving\n`);
  return 0;
}

async function fetchOne(target: Target): Promise<boolean> {
  const { url, verify, ca } = target;
  const options: RequestOptions = { timeouts: { connect: 15000, headers: 15000, idle: 15000, total: 60000 } };
  try {
    if (url.startsWith("https:")) {
      if (verify === false)
        options.tls = { verify: false }; // the client traces a warning, once per host
      else if (ca)
        options.tls = { ca };
    }
    const response = await request(url, options);
    trace(`main: ${url}: ${response.status} ${response.statusText}\n`);
    for (const name of ["content-type", "content-length", "server"]) {
      const value = response.headers.get(name);
      if (value !== null)
        trace(`main:   ${name}: ${value}\n`);
    }
    let size = 0;
    let preview = "";
    for await (const chunk of response.body) {
      if (size < PREVIEW_BYTES)
        preview += printable(chunk.subarray(0, PREVIEW_BYTES - size));
      size += chunk.length;
    }
    const t = response.timings;
    trace(`main:   body ${size} bytes: ${preview}\n`);
    trace(`main:   time ms: dns ${t.dns}, connect ${t.connect}, tls ${t.tls}, first byte ${t.firstByte}, body ${t.body}\n`);
    return true;
  }
  catch (error) {
    trace(`main: ${url}: FAILED ${describe(error)}\n`);
    return false;
  }
}

/** Starts a server on `port` (0: none), HTTPS with `tls`. Returns it, or undefined. */
function serve(port: number, tls?: ServerTlsOptions): HttpServer | undefined {
  if (!port)
    return undefined;
  const scheme = tls ? "https" : "http";
  try {
    const server = new HttpServer({ port, tls, address: config.serverAddress ? String(config.serverAddress) : undefined });
    server.route("GET", "/temperature", () => ({ json: readTemperature() }));
    server.route("GET", "/", () => ({ headers: { "content-type": PAGE_TYPE }, body: temperaturePage(readTemperature()) }));
    server.listen();
    trace(`main: serving ${scheme} on port ${port}: GET / and /temperature\n`);
    return server;
  }
  catch (error) { // a port taken, or (HTTPS) a certificate or key resource missing or unusable
    trace(`main: not serving ${scheme} on port ${port}: ${describe(error)}\n`);
    return undefined;
  }
}

/** config.server (HTTP) and config.secureServer (HTTPS, with the serverCertificate and serverKey resources), on config.serverAddress (default: every address). */
function serveAll(): void {
  serve(readPort(config.server, "server"));
  serve(readPort(config.secureServer, "secureServer"), {
    certificate: String(config.serverCertificate ?? "device.pem"),
    key: String(config.serverKey ?? "device-key.pem"),
  });
}

async function main(): Promise<void> {
  trace("main: starting\n");
  try {
    await joinNetwork();
  }
  catch (error) {
    trace(`main: no network: ${describe(error)}\n`);
  }
  serveAll(); // from here on it answers requests while the fetches below go on
  try {
    await setTime();
  }
  catch (error) {
    trace(`main: clock not set: ${describe(error)} (verified HTTPS will fail its date checks)\n`);
  }
  let ok = 0;
  let total = 0;
  let invalid = 0;
  try {
    const read = readTargets(config.urls);
    invalid = read.invalid;
    total = read.targets.length + invalid;
    for (const target of read.targets) {
      await linkUp();
      if (await fetchOne(target))
        ok++;
    }
  }
  finally { // the summary, whatever happened above
    trace(`main: http: ${describeHttpStats()}\n`);
    trace(`main: memory: ${describeMemory()}\n`);
    trace(`main: done: ${ok} of ${total} fetched, ${total - ok} failed${invalid ? ` (${invalid} not valid in config.urls)` : ""}\n`);
  }
}

/**
 * The XS heaps now, from the SDK's instrumentation (bytes; creation in manifest.json sets their sizes). The
 * Node host runtime has no XS heaps: it adds a "Host Runtime" counter (the SDK has none of that name), and
 * the line then names what it measures there instead, so its figures are never read as the device's.
 */
/** The heaps after a collection (what the application has left is the fixed size less this: docs/memory.md). */
function describeMemory(): string {
  Debug.gc();
  const read = (name: string): number => Instrumentation.get(Instrumentation.map(name as Parameters<typeof Instrumentation.map>[0])) ?? 0;
  if (Instrumentation.map("Host Runtime" as Parameters<typeof Instrumentation.map>[0]) !== undefined)
    return `host figures (Node, not the device's XS heaps): V8 heap and buffers used ${read("XS Chunk Heap Used")} bytes, ` +
      `V8 heap used ${read("XS Slot Heap Used")} bytes, sockets ${read("Network Sockets")}, host free ${read("System Free Memory")} bytes`;
  return `after a collection: chunk heap used ${read("XS Chunk Heap Used")} bytes, slot heap used ${read("XS Slot Heap Used")} bytes, ` +
    `sockets ${read("Network Sockets")}, system free ${read("System Free Memory")} bytes`;
}

main().catch((error: unknown) => trace(`main: ${describe(error)}\n`));
