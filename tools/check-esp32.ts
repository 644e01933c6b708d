// `npm run check:esp32`: resolves the app's and the device test app's manifests for ESP32 targets with
// `mcconfig -d -p <target> -t build` (no -m: the whole manifest is resolved and its makefile written,
// without ESP-IDF) and fails on any warning or error mcconfig prints. Part of the simulator lane.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../host/paths.js";
import { simulatorUnavailable } from "./simulator.js";

/** The classic ESP32, an S3 and a C3. */
const TARGETS = ["esp32", "esp32/esp32s3", "esp32/esp32c3"];
const APPS = [
  { name: "app", manifest: path.join(projectRoot, "manifest.json") },
  { name: "device test app", manifest: path.join(projectRoot, "tests", "sim", "manifest.json") },
];

if (!process.env.MODDABLE) {
  console.log("check:esp32: not run (MODDABLE is not set: no Moddable SDK on this machine)");
  process.exit(0);
}
const unavailable = simulatorUnavailable();
if (unavailable?.startsWith("mcconfig")) {
  console.log(`check:esp32: cannot run: ${unavailable}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

mkdirSync(path.join(projectRoot, "tests", "sim", "fixtures"), { recursive: true }); // the test app's resources folder
const env = {
  ...process.env,
  PATH: [path.join(projectRoot, "node_modules", ".bin"), path.join(process.env.MODDABLE, "build", "bin", "lin", "release"), process.env.PATH].join(path.delimiter),
};
let passed = 0;
let failed = 0;
for (const app of APPS) {
  for (const target of TARGETS) {
    const work = mkdtempSync(path.join(tmpdir(), "netkit-esp32-"));
    const result = spawnSync("mcconfig", ["-d", "-p", target, "-t", "build", "-o", work, app.manifest, "ssid=check", "password=check"], {
      cwd: path.dirname(app.manifest), env, encoding: "utf8", timeout: 300_000,
    });
    rmSync(work, { recursive: true, force: true });
    const output = (result.stdout ?? "") + (result.stderr ?? "");
    const problems = output.split("\n").filter((line) => /warning|error/i.test(line));
    if (result.status === 0 && problems.length === 0) {
      passed++;
      console.log(`  ok    ${app.name} for ${target}`);
    }
    else {
      failed++;
      console.log(`  FAIL  ${app.name} for ${target} (exit ${result.status}):`);
      for (const line of (problems.length ? problems : output.split("\n").slice(-10)))
        console.log(`          ${line}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
