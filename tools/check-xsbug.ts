// `npm run check:xsbug` (where MODDABLE is set; part of the simulator lane): TypeScript sources are debuggable
// in xsbug. Builds the app for the simulator with one local URL to fetch, presets a breakpoint on a line of
// modules/http/client/exchange.ts in the SDK's xsbug-log (its `.xsdb.json` preferences, sent to the VM over
// the xsbug protocol as <set-all-breakpoints>), runs it, and passes when the VM stops there and xsbug-log
// reports the `.ts` file and line and prints that line of TypeScript.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../host/paths.js";
import { buildForSimulator, runInSimulator, simulatorUnavailable } from "./simulator.js";

/** The line of the client that every request runs through once it has a connection. */
const MARKER = "if (connection.uses++ > 0)";
const DEADLINE_MS = 180_000;

if (!process.env.MODDABLE) {
  console.log("check:xsbug: not run (MODDABLE is not set: no Moddable SDK on this machine)");
  process.exit(0);
}
const unavailable = simulatorUnavailable();
if (unavailable) {
  console.log(`check:xsbug: cannot run: ${unavailable}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const source = path.join(projectRoot, "modules", "http", "client", "exchange.ts");
const line = readFileSync(source, "utf8").split("\n").findIndex((text) => text.includes(MARKER)) + 1;
if (line === 0) {
  console.log(`check:xsbug: "${MARKER}" is no longer in ${source}: update the marker`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const server = http.createServer((_request, response) => response.end("hello"));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const wrapper = mkdtempSync(path.join(tmpdir(), "netkit-xsbug-"));
writeFileSync(path.join(wrapper, "manifest.json"), JSON.stringify({
  include: [path.join(projectRoot, "manifest.json")],
  config: { ssid: "", urls: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/`] },
}, null, 2));

let outcome = "";
try {
  console.log("check:xsbug: building the app for the simulator (mcconfig -d -m -p lin -t build)");
  const built = buildForSimulator(path.join(wrapper, "manifest.json"));
  // xsbug-log reads its preferences, breakpoints included, from XSBUG_PROJECT (the build folder here).
  writeFileSync(path.join(built.work, ".xsdb.json"), JSON.stringify({ breakpoints: [{ id: 1, path: source, line }] }));
  const lines: string[] = [];
  let finish: (result: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (finish = resolve));
  const run = await runInSimulator(built, (text) => {
    lines.push(text);
    if (text.startsWith("Breakpoint 1,")) {
      const at = `exchange.ts:${line}`;
      finish(text.includes(at) ? "" : `stopped elsewhere: "${text}" (expected ${at})`);
    }
    if (text.startsWith("main: done:"))
      finish("the app finished without stopping at the breakpoint");
  });
  run.exited.then(() => finish("xsbug-log exited before the breakpoint"));
  const timer = setTimeout(() => finish(`no breakpoint within ${DEADLINE_MS / 1000} s`), DEADLINE_MS);
  outcome = await done;
  clearTimeout(timer);
  await new Promise((resolve) => setTimeout(resolve, 500)); // the source line follows the location line
  run.stop();
  built.dispose();
  const hit = lines.findIndex((text) => text.startsWith("Breakpoint 1,"));
  if (!outcome) {
    const shown = lines.slice(hit + 1, hit + 3).join(" ");
    if (!shown.includes(MARKER))
      outcome = `xsbug-log did not print the TypeScript line after the stop (got "${shown}")`;
    else
      console.log(`  ok    xsbug: breakpoint at modules/http/client/exchange.ts:${line} stopped the VM; xsbug-log: "${lines[hit]}" then "${shown.trim()}"`);
  }
  if (outcome) {
    console.log(`  FAIL  xsbug: ${outcome}`);
    for (const text of lines.slice(-10))
      console.log(`          ${text}`);
  }
}
catch (error) {
  outcome = (error as Error).message;
  console.log(`  FAIL  xsbug: ${outcome}`);
}
finally {
  server.close();
  rmSync(wrapper, { recursive: true, force: true });
}
console.log(outcome ? "0 passed, 1 failed" : "1 passed, 0 failed");
process.exit(outcome ? 1 : 0);
