// Runs the TLS 1.3 client on the SDK's simulator (tests/tls13-sim/main.ts): starts Node TLS 1.3-only servers
// (RSA, P-256, P-384 leaves; AES-256 only; P-384 group only, forcing a HelloRetryRequest; a chain over 16 KB
// in 512-byte records; an untrusted leaf) and TLS 1.2 servers for the SDK's SecureSocket (P-256; a P-384 leaf;
// ECDHE on P-384 only; the chain over 16 KB, in 16 KB and in 512-byte records; one over the 32 KB
// reassembly limit), builds the app
// with their ports as config, runs it in mcsim (tools/simulator.ts) and prints its TLS13 lines.
// `node build/node/tests/tls13-sim/run.js` with MODDABLE set; exits 1 unless every scenario passed.
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { projectRoot } from "../../host/paths.js";
import { buildForSimulator, findMcsim, runInSimulator, simulatorUnavailable, threadsCpuMs } from "../../tools/simulator.js";
import { createTestPki, issue } from "../../tools/pki.js";
import { startTls12Server, startTls13Server, type Tls13Server } from "../support/tls13-servers.js";
import { startDowngrader } from "../support/downgrader.js";

/** Run time of every thread of `pid`, ms; NaN without the process. */
function cpuMs(pid: number | undefined): number {
  return pid ? threadsCpuMs(pid) : NaN;
}

const DEADLINE_MS = Number(process.env.TLS13_SIM_DEADLINE_MS ?? 600_000);

const unavailable = simulatorUnavailable();
if (unavailable) {
  console.log(`tls13 simulator run: not run (${unavailable})`);
  process.exit(process.env.MODDABLE ? 1 : 0);
}

const pki = await createTestPki();
const p256 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-256", dnsNames: ["localhost"] });
const p384 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-384", dnsNames: ["localhost"] });
const bigNames = ["localhost", ...Array.from({ length: 700 }, (_, i) => `name-${String(i).padStart(4, "0")}.padding.netkit.test`)];
const big = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", dnsNames: bigNames });
// a Certificate message over the SDK path's 32 KB reassembly limit (secure.maxHandshakeMessage)
const hugeNames = ["localhost", ...Array.from({ length: 1300 }, (_, i) => `name-${String(i).padStart(4, "0")}.padding.netkit.test`)];
const huge = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", dnsNames: hugeNames });
const chain = (leaf: { pem: string }) => leaf.pem + pki.intermediate.pem;

const servers: Tls13Server[] = [];
const start = async (options: Parameters<typeof startTls13Server>[0]) => {
  const server = await startTls13Server(options);
  servers.push(server);
  return server.port;
};
const servers12: { close(): Promise<void> }[] = [];
const start12 = async (options: Parameters<typeof startTls12Server>[0]) => {
  const server = await startTls12Server(options);
  servers12.push(server);
  return server.port;
};
/** An HTTPS server of one TLS version for the HTTP client's scenarios: it answers with the protocol it spoke. */
const startHttps = async (version: "TLSv1.2" | "TLSv1.3", leaf: { pem: string; keyPem: string }) => {
  const server = https.createServer({ cert: chain(leaf), key: leaf.keyPem, minVersion: version, maxVersion: version }, (request, response) => {
    response.end(`over ${(request.socket as import("node:tls").TLSSocket).getProtocol()}`);
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers12.push({ close: () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }) });
  return (server.address() as AddressInfo).port;
};
const ports = {
  "http13": await startHttps("TLSv1.3", p384),
  "http12": await startHttps("TLSv1.2", p256),
  "http-downgrade": await (async () => {
    const attacker = await startDowngrader();
    servers12.push(attacker);
    return attacker.port;
  })(),
  rsa: await start({ chain: chain(pki.leaf), keyPem: pki.leaf.keyPem }),
  p256: await start({ chain: chain(p256), keyPem: p256.keyPem }),
  p384: await start({ chain: chain(p384), keyPem: p384.keyPem }),
  aes256: await start({ chain: chain(p256), keyPem: p256.keyPem, ciphersuites: "TLS_AES_256_GCM_SHA384" }),
  hrr: await start({ chain: chain(p256), keyPem: p256.keyPem, ecdhCurve: "P-384" }),
  bigchain: await start({ chain: chain(big), keyPem: big.keyPem, maxSendFragment: 512 }),
  untrusted: await start({ chain: pki.strangerLeaf.pem, keyPem: pki.strangerLeaf.keyPem }),
  tls12: await start12({ chain: chain(p256), keyPem: p256.keyPem }),
  "sdk12-p384": await start12({ chain: chain(p384), keyPem: p384.keyPem }),
  "sdk12-p384group": await start12({ chain: chain(p256), keyPem: p256.keyPem, ecdhCurve: "secp384r1" }),
  "sdk12-bigchain": await start12({ chain: chain(big), keyPem: big.keyPem }),
  "sdk12-bigchain512": await start12({ chain: chain(big), keyPem: big.keyPem, maxSendFragment: 512 }),
  "sdk12-toolarge": await start12({ chain: chain(huge), keyPem: huge.keyPem }),
};

let exitCode = 1;
// TLS13_SKIP: scenarios not to run, comma-separated (e.g. "bigchain"). TLS13_BUDGET=1: the app's own fixed heaps (tests/tls13-sim/tls13-budget), to see whether a handshake fits them.
const manifest = path.join(projectRoot, "tests", "tls13-sim", ...(process.env.TLS13_BUDGET ? ["tls13-budget"] : []), "manifest.json");
console.log(`tls13 simulator run: building ${path.relative(projectRoot, path.dirname(manifest))} for lin (mcconfig -d -m -p lin -t build)`);
const built = buildForSimulator(manifest, {
  tls13Root: Buffer.from(pki.root.der).toString("base64"),
  tls13Ports: JSON.stringify(ports),
  tls13Loops: process.env.TLS13_LOOPS ?? "10",
  tls13Skip: process.env.TLS13_SKIP ?? "",
});
let passed = 0, failed = 0;
let mcsim: number | undefined;
const phases = new Map<string, number>();
const run = await runInSimulator(built, (line) => {
  if (process.env.TLS13_VERBOSE)
    console.log(`  | ${line}`);
  const phase = /TLS13 PHASE (\S+) (begin|end)/.exec(line);
  if (phase) {
    const now = cpuMs(mcsim ??= findMcsim(built.app));
    if (phase[2] === "begin")
      phases.set(phase[1], now);
    else
      console.log(`  CPU ${phase[1]} ${(now - phases.get(phase[1])!).toFixed(0)} ms (mcsim, user+sys)`);
    return;
  }
  const match = /TLS13 (.*)$/.exec(line);
  if (!match) {
    if (/XS abort|# Break|Exception/.test(line))
      console.log(`  ! ${line}`);
    if (/XS abort/.test(line)) { // the VM is gone (e.g. "memory full" in a fixed heap)
      failed++;
      run.stop();
    }
    return;
  }
  console.log(`  ${match[1]}`);
  if (/^\S+ ok\b/.test(match[1]))
    passed++;
  else if (/^\S+ fail\b|^ERROR/.test(match[1]))
    failed++;
  if (match[1] === "DONE")
    run.stop();
});
const deadline = setTimeout(() => {
  console.log(`tls13 simulator run: no DONE within ${DEADLINE_MS} ms`);
  failed++;
  run.stop();
}, DEADLINE_MS);
await run.exited;
clearTimeout(deadline);
built.dispose();
for (const server of servers)
  await server.close();
for (const server of servers12)
  await server.close();
console.log(`${passed} passed, ${failed} failed`);
exitCode = failed === 0 && passed > 0 ? 0 : 1;
process.exit(exitCode);
