// The TLS 1.3 client (tls/tls13) on real XS: handshakes with Node TLS 1.3-only servers the runner
// (tests/tls13-sim/run.ts) started, one scenario after another; and the SDK's TLS 1.2 SecureSocket with our
// ssl/handshake (a P-384 leaf, ECDHE on P-384, a Certificate over one record, the reassembly limit), and for
// comparison. One trace line per scenario: "TLS13 <name> ok|fail key=value…", then "TLS13 DONE".
// Times are wall-clock ms on loopback (the server's share is small); heaps are XS's as sampled at each
// socket callback (peak, garbage included) and after a collection once the handshake is over (live). The
// sequences of ten connections are bracketed by PHASE lines, at which the runner reads mcsim's CPU time.
import config from "mc/config";
import Debug from "debug";
import Timer from "timer";
import Instrumentation from "instrumentation";
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import SecureSocket from "securesocket";
import Tls13Socket from "tls/tls13/client";
import type { Tls13Options } from "tls/tls13/client";
import { TicketStore } from "tls/tls13/tickets";
import { forgetSavedTickets, loadTickets, saveTickets } from "tls/tls13/ticket-preference";
import type { TlsReport } from "tls/report";
import { HttpClient } from "http/client";
import { httpStats } from "http/stats";

const host = String(config.tls13Host);
const root = Uint8Array.fromBase64(String(config.tls13Root));
const ports = JSON.parse(String(config.tls13Ports)) as Record<string, number>;
const loops = Number(config.tls13Loops);
const skip = String(config.tls13Skip ?? "").split(",");
const CHUNK = Instrumentation.map("XS Chunk Heap Used");
const SLOT = Instrumentation.map("XS Slot Heap Used");

let peak = 0;
function heap(): number {
  return (Instrumentation.get(CHUNK!) ?? 0) + (Instrumentation.get(SLOT!) ?? 0);
}
function sample(): void {
  peak = Math.max(peak, heap());
}

interface Result {
  ok: boolean;
  ms: number;
  /** ms until the handshake was over. */
  handshakeMs: number;
  peak: number;
  live: number;
  detail: string;
}

function run(name: string, port: number, make: (sock: StreamSocket) => StreamSocket, report: TlsReport, describe: (socket: StreamSocket) => string): Promise<Result> {
  return new Promise((resolve) => {
    Debug.gc();
    const base = heap();
    peak = base;
    const start = Date.now();
    let handshakeMs = 0;
    let live = 0;
    let got = "";
    let done = false;
    const sock = new Socket({ host, port } as never) as unknown as StreamSocket;
    const socket = make(sock);
    const inner = sock.callback;
    sock.callback = function (message: number, value?: number) {
      sample();
      inner?.call(sock, message, value);
      sample();
    };
    const finish = (ok: boolean, detail: string) => {
      if (done)
        return;
      done = true;
      const ms = Date.now() - start;
      try {
        socket.close();
      }
      catch {
        // closed already
      }
      resolve({ ok, ms, handshakeMs, peak: peak - base, live, detail });
    };
    socket.callback = (message: number) => {
      if (message === 1) {
        handshakeMs = Date.now() - start;
        Debug.gc();
        live = heap() - base;
        socket.write(`hello ${name}\n`);
      }
      else if (message === 2) {
        got += socket.read(String);
        if (got.endsWith("\n"))
          finish(got === `echo: hello ${name}\n`, describe(socket));
      }
      else if (message < 0)
        finish(false, `message ${message} ${report.code ?? ""} ${report.message ?? ""}`);
    };
  });
}

function tls13(name: string, port: number, options: Tls13Options = {}): Promise<Result> {
  const report: TlsReport = {};
  return run(name, port, (sock) => new Tls13Socket({ sock, host: "localhost", port, secure: { certificates: [root], tickets: false, report, ...options } }) as unknown as StreamSocket, report, (socket) => {
    const s = socket as unknown as Tls13Socket;
    return `suite=0x${s.suite.toString(16)} resumed=${s.resumed} retried=${s.retried}`;
  });
}

function sdk12(name: string, port: number): Promise<Result> {
  const report: TlsReport = {};
  return run(name, port, (sock) => new SecureSocket({ sock, host: "localhost", secure: { certificates: [root], verify: true, cache: false, protocolVersion: 0x303, report } }) as unknown as StreamSocket, report, (socket) => {
    const group = (socket as unknown as { ssl?: { dhparams?: { named_curve?: number } } }).ssl?.dhparams?.named_curve;
    return `tls=1.2 group=${group === 24 ? "secp384r1" : group === 23 ? "secp256r1" : String(group)}`;
  });
}

function line(name: string, result: Result): void {
  const verdict = result.ok ? "ok" : "fail";
  trace(`TLS13 ${name} ${verdict} ms=${result.ms} handshakeMs=${result.handshakeMs} peakHeap=${result.peak} liveHeap=${result.live} ${result.detail}\n`);
}

function idle(ms: number): Promise<void> {
  return new Promise((resolve) => Timer.set(() => resolve(), ms));
}

/** Brackets a phase with "TLS13 PHASE <name> begin|end" lines, idle around them: the runner reads mcsim's CPU time at each. */
async function phase(name: string, work: () => Promise<void>): Promise<void> {
  trace(`TLS13 PHASE ${name} begin\n`);
  await idle(300);
  await work();
  trace(`TLS13 PHASE ${name} end\n`);
  await idle(300);
}

/**
 * `count` requests through the HTTP client (tls.maxVersion "TLSv1.3"), keep-alive off: each answer names the
 * protocol the server spoke; the detail gives the handshakes resumed (http/stats) and the TCP connections.
 */
async function viaClient(name: string, port: number, count: number, expected: string, want: { resumed: number; connections: number }): Promise<void> {
  const client = new HttpClient();
  const resumed = httpStats.resumed, connections = httpStats.connections;
  const start = Date.now();
  const bodies: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const response = await client.request(`https://localhost:${port}/`, { tls: { ca: root, maxVersion: "TLSv1.3" }, headers: { connection: "close" } });
      bodies.push(await response.text());
    }
  }
  catch (error) {
    bodies.push(String((error as { code?: string }).code ?? error) + " " + String((error as Error).message));
  }
  client.close();
  const got = { resumed: httpStats.resumed - resumed, connections: httpStats.connections - connections };
  const ok = bodies.length === count && bodies.every((body) => body === expected) && got.resumed === want.resumed && got.connections === want.connections;
  trace(`TLS13 ${name} ${ok ? "ok" : "fail"} ms=${Date.now() - start} requests=${count} resumed=${got.resumed} connections=${got.connections} last=${JSON.stringify(bodies[bodies.length - 1])}\n`);
}

/** A fallback to 1.2 whose ServerHello carries the TLS 1.3 downgrade sentinel (tests/support/downgrader): refused by our ssl/handshake. */
async function downgraded(port: number): Promise<void> {
  const client = new HttpClient();
  let outcome = "succeeded";
  try {
    await client.request(`https://localhost:${port}/`, { tls: { ca: root, maxVersion: "TLSv1.3" } });
  }
  catch (error) {
    outcome = `${String((error as { code?: string }).code)} ${String((error as Error).message)}`;
  }
  client.close();
  const ok = outcome.startsWith("ERR_TLS_HANDSHAKE") && outcome.includes("downgrade sentinel");
  trace(`TLS13 http-downgrade ${ok ? "ok" : "fail"} ${outcome}\n`);
}

async function main(): Promise<void> {
  if (!skip.includes("http13"))
    await viaClient("http13", ports.http13, 3, "over TLSv1.3", { resumed: 2, connections: 3 }); // 1 full + 2 resumed

  if (!skip.includes("http12"))
    await viaClient("http12-fallback", ports.http12, 2, "over TLSv1.2", { resumed: 0, connections: 3 }); // 1.3 attempt + 1.2, then 1.2 at once
  if (!skip.includes("http-downgrade"))
    await downgraded(ports["http-downgrade"]);
  for (const name of ["rsa", "p256", "p384", "aes256", "hrr", "bigchain"]) {
    if (!skip.includes(name))
      line(name, await tls13(name, ports[name]));
  }
  const refused = await tls13("untrusted", ports.untrusted);
  trace(`TLS13 untrusted ${!refused.ok && refused.detail.includes("ERR_TLS_UNTRUSTED") ? "ok" : "fail"} ${refused.detail}\n`);
  // TLS 1.2 through the SDK's SecureSocket, with our ssl/handshake: P-384, and a Certificate over one record
  for (const name of ["sdk12-p384", "sdk12-p384group", "sdk12-bigchain", "sdk12-bigchain512"]) {
    if (!skip.includes(name))
      line(name, await sdk12(name, ports[name]));
  }
  const tooLarge = await sdk12("sdk12-toolarge", ports["sdk12-toolarge"]);
  trace(`TLS13 sdk12-toolarge ${!tooLarge.ok && tooLarge.detail.includes("ERR_TLS_HANDSHAKE") && tooLarge.detail.includes("exceeds the limit") ? "ok" : "fail"} ${tooLarge.detail}\n`);
  await phase("idle-1s", () => idle(1000)); // what mcsim spends doing nothing, to read the others against
  const tickets = new TicketStore();
  let total13 = 0, resumed = 0;
  await phase("tls13-resumed", async () => {
    for (let i = 0; i < loops; i++) {
      const result = await tls13(`resume-${i}`, ports.p256, { tickets, ticketKey: "sim" });
      total13 += result.ms;
      if (result.detail.includes("resumed=true"))
        resumed++;
      line(`resume-${i}`, result);
    }
  });
  {
    // the tickets through the SDK's Preference (on lin, its file) into a new store, as after a reboot: the next connection resumes
    const written = saveTickets({ store: tickets, domain: "t13sim" });
    const rebooted = new TicketStore();
    const read = loadTickets({ store: rebooted, domain: "t13sim" });
    const result = await tls13("saved-tickets", ports.p256, { tickets: rebooted, ticketKey: "sim" });
    forgetSavedTickets("t13sim");
    const gone = loadTickets({ store: new TicketStore(), domain: "t13sim" });
    result.ok &&= written > 2 && read > 0 && read === tickets.size && result.detail.includes("resumed=true") && gone === 0;
    result.detail += ` written=${written} read=${read} held=${tickets.size} afterForget=${gone}`;
    line("saved-tickets", result);
  }
  await phase("tls13-full", async () => {
    for (let i = 0; i < loops; i++)
      line(`full13-${i}`, await tls13(`full13-${i}`, ports.p256));
  });
  let total12 = 0;
  await phase("sdk12-full", async () => {
    for (let i = 0; i < loops; i++) {
      const result = await sdk12(`sdk12-${i}`, ports.tls12);
      total12 += result.ms;
      line(`sdk12-${i}`, result);
    }
  });
  trace(`TLS13 SUMMARY tls13Ms=${total13} resumed=${resumed}/${loops} sdk12Ms=${total12} ratio=${(total13 / total12).toFixed(2)}\n`);
  trace("TLS13 DONE\n");
}

main().catch((error: unknown) => trace(`TLS13 ERROR ${String(error)}\nTLS13 DONE\n`));
