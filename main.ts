// The firmware app: join WiFi, set the clock, fetch each URL of config.urls and trace what happened.
// With config.server (a port), it also serves / (a page showing the reading) and /temperature over HTTP,
// and with config.secureServer over HTTPS, side by side with the fetches: all are event-driven, so neither
// waits for the other. Failures are traced with their codes and never stop the app.
import config from "mc/config";
import Net from "net";
import { HttpError, request, type RequestOptions } from "http/client";
import { Station, WiFiError } from "net/wifi";
import { clockIsSet, setClock, ClockError } from "net/time";
import { CertificateError } from "tls/certificates";
import Timer from "timer";
import Instrumentation from "instrumentation";
import { describeHttpStats } from "http/stats";
import { HttpServer, type ServerTlsOptions } from "http/server";
import { readTemperature } from "sensors/temperature";
import { temperaturePage, PAGE_TYPE } from "sensors/temperature-page";

/** One entry of config.urls: a URL, or a URL with how to verify it. */
type Target = string | { url: string; verify?: boolean; ca?: string };

const PREVIEW_BYTES = 64;

function describe(error: unknown): string {
  if (error instanceof HttpError || error instanceof WiFiError || error instanceof ClockError || error instanceof CertificateError)
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

async function fetchOne(target: Target): Promise<boolean> {
  const { url, verify, ca } = typeof target === "string" ? { url: target, verify: true, ca: undefined } : target;
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
  serve(Number(config.server ?? 0));
  serve(Number(config.secureServer ?? 0), {
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
  const targets = ((config.urls as Target[] | undefined) ?? []);
  let ok = 0;
  for (const target of targets) {
    await linkUp();
    if (await fetchOne(target))
      ok++;
  }
  trace(`main: http: ${describeHttpStats()}\n`);
  trace(`main: memory: ${describeMemory()}\n`);
  trace(`main: done: ${ok} of ${targets.length} fetched, ${targets.length - ok} failed\n`);
}

/** The XS heaps now, from the SDK's instrumentation (bytes; creation in manifest.json sets their sizes). */
function describeMemory(): string {
  const read = (name: Parameters<typeof Instrumentation.map>[0]): number => Instrumentation.get(Instrumentation.map(name)) ?? 0;
  return `chunk heap used ${read("XS Chunk Heap Used")} bytes, slot heap used ${read("XS Slot Heap Used")} bytes, ` +
    `sockets ${read("Network Sockets")}, system free ${read("System Free Memory")} bytes`;
}

main().catch((error: unknown) => trace(`main: ${describe(error)}\n`));
