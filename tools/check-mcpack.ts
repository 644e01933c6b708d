// `node build/node/tools/check-mcpack.js` (where MODDABLE is set): the kit as an npm package of an mcpack
// project. Installs examples/fetch's dependencies (the kit, linked from this working tree, into
// examples/fetch/node_modules), builds it with `mcpack mcconfig -d -m -p lin -t build` (never mcconfig's
// default target: it ends every mcsim on the machine), starts two HTTPS servers on 127.0.0.1 (a chain to a
// root the build is told to trust, and a forged chain in that root's name), runs the app in the simulator
// and checks its trace: the good fetch, and the forged chain refused with a TypeError caused by ERR_TLS_*.
// That refusal is also the proof that the kit's ssl/cert replaced the SDK's, which accepts forged chains.
import https from "node:https";
import { spawnSync } from "node:child_process";
import { webcrypto } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../host/paths.js";
import { issue } from "./pki.js";
import { runInSimulator, simulatorUnavailable, type SimulatorRun } from "./simulator.js";

const EXAMPLE = path.join(projectRoot, "examples", "fetch");
const APP_NAME = "netkit-example-fetch"; // examples/fetch/package.json's name: mcpack names the build after it
const RUN_DEADLINE_MS = 120_000;

if (!process.env.MODDABLE) {
  console.log("check:mcpack: not run: MODDABLE is not set (no Moddable SDK on this machine)");
  process.exit(0);
}
const sdkBin = path.join(process.env.MODDABLE, "build", "bin", "lin", "release");
const unavailable = simulatorUnavailable() ?? (existsSync(path.join(sdkBin, "mcpack")) ? undefined : `no mcpack in ${sdkBin} (build the SDK's tools)`);
if (unavailable) {
  console.log(`check:mcpack: cannot run: ${unavailable}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
// mcconfig compiles the kit's .ts with the first tsc on PATH: the project's TypeScript 6.
const env = { ...process.env, PATH: [path.join(projectRoot, "node_modules", ".bin"), sdkBin, process.env.PATH].join(path.delimiter) };

let passed = 0;
let failed = 0;
function check(ok: boolean, what: string, details: string[] = []): void {
  if (ok)
    passed++;
  else
    failed++;
  console.log(`  ${ok ? "ok  " : "FAIL"}  ${what}`);
  if (!ok)
    for (const line of details)
      console.log(`          ${line}`);
}

/** Runs a command to its end; its output when it fails. */
function run(command: string, args: string[], cwd: string, timeout: number): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
  return { ok: result.status === 0, output };
}

// Certificates: a root the build trusts (config.ca), a leaf it issued, and a forgery in its name.
const localhost = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
const root = await issue({ subject: "CN=netkit mcpack check root", ca: true });
const leaf = await issue({ subject: "CN=localhost", issuer: root, ...localhost });
const attacker = await webcrypto.subtle.generateKey(
  { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, true, ["sign", "verify"]) as CryptoKeyPair;
const forgery = await issue({ subject: "CN=localhost", issuer: root, forgeWith: attacker, ...localhost });

const token = `netkit mcpack check ${process.pid}`;
let forgedRequests = 0;
const good = https.createServer({ key: leaf.keyPem, cert: leaf.pem }, (_request, response) => {
  response.setHeader("content-type", "text/plain");
  response.end(token);
});
const forged = https.createServer({ key: forgery.keyPem, cert: forgery.pem + root.pem }, (_request, response) => {
  forgedRequests++;
  response.end("the forger was believed");
});
for (const server of [good, forged]) {
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
}
const goodUrl = `https://127.0.0.1:${(good.address() as AddressInfo).port}/`;
const forgedUrl = `https://127.0.0.1:${(forged.address() as AddressInfo).port}/`;

const work = mkdtempSync(path.join(tmpdir(), "netkit-mcpack-"));
let simulator: SimulatorRun | undefined;
try {
  console.log("check:mcpack: npm install in examples/fetch (the kit from this working tree)");
  const install = run("npm", ["install", "--no-audit", "--no-fund"], EXAMPLE, 300_000);
  check(install.ok && existsSync(path.join(EXAMPLE, "node_modules", "esp32-netkit", "mcpack", "manifest.json")),
    "npm install puts the kit in examples/fetch/node_modules", install.output.split("\n").slice(-10));

  console.log("check:mcpack: building examples/fetch (mcpack mcconfig -d -m -p lin -t build)");
  const build = run("mcpack", ["mcconfig", "-d", "-m", "-p", "lin", "-t", "build", "-o", work,
    `url=${goodUrl}`, `refusedUrl=${forgedUrl}`, `ca=${root.pem}`], EXAMPLE, 600_000);
  const app = path.join(work, "bin", "lin", "mc", "debug", APP_NAME, "mc.so");
  check(build.ok && existsSync(app), "mcpack builds the example with the kit's manifest", build.output.split("\n").filter((line) => /error|warning/i.test(line)).concat(build.output.split("\n").slice(-10)));
  if (!build.ok || !existsSync(app))
    throw new Error("no app to run");

  const lines: string[] = [];
  let finish: (result: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (finish = resolve));
  simulator = await runInSimulator({ app, work, dispose: () => undefined }, (line) => {
    lines.push(line);
    if (line.startsWith("fetch: done"))
      finish("done");
    const abort = /XS abort: (.*)$/.exec(line);
    if (abort)
      finish(`the VM aborted: ${abort[1]}`);
  });
  simulator.exited.then(() => finish("xsbug-log exited before the app finished"));
  const timer = setTimeout(() => finish(`no "fetch: done" within ${RUN_DEADLINE_MS / 1000} s`), RUN_DEADLINE_MS);
  const outcome = await done;
  clearTimeout(timer);
  const trace = lines.filter((line) => line.startsWith("fetch: "));
  check(outcome === "done", "the app runs in the simulator to its end", [outcome, ...lines.slice(-10)]);
  const fetched = trace.find((line) => line.startsWith(`fetch: ${goodUrl}: `)) ?? "(no line)";
  check(fetched.includes(": 200 OK, text/plain") && fetched.includes(JSON.stringify(token)),
    `the chain to the trusted root is fetched: ${fetched}`, trace);
  const refused = trace.find((line) => line.startsWith(`fetch: ${forgedUrl}: `)) ?? "(no line)";
  check(/: refused: TypeError, cause ERR_TLS_[A-Z_]+: /.test(refused),
    `the forged chain is refused with a TypeError caused by ERR_TLS_*: ${refused}`, trace);
  check(forgedRequests === 0, "no HTTP request reached the forger", [`it answered ${forgedRequests}`]);
}
catch (error) {
  if ((error as Error).message !== "no app to run")
    check(false, `check:mcpack: ${(error as Error).message}`);
}
finally {
  simulator?.stop();
  good.close();
  forged.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(path.join(process.env.MODDABLE, "build", "tmp", APP_NAME), { recursive: true, force: true }); // mcpack's generated manifest
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
