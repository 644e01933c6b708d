// `npm run test:sim`: the shared cases on the SDK's Linux simulator. Starts the fixture servers, builds
// tests/sim with their addresses as config, runs it (tools/simulator.ts), prints one line per case and
// "N passed, N failed". Without MODDABLE it says why it did not run and exits 0.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFixtures } from "../support/fixtures.js";
import { buildForSimulator, projectRoot, runInSimulator, simulatorUnavailable, type BuiltApp, type SimulatorRun } from "../../tools/simulator.js";

const simDir = path.join(projectRoot, "tests", "sim");
const RUN_DEADLINE_MS = Number(process.env.SIM_DEADLINE_MS ?? 600_000);

const unavailable = simulatorUnavailable();
if (unavailable) {
  if (!process.env.MODDABLE) {
    console.log(`simulator lane: not run (${unavailable})`);
    process.exit(0);
  }
  console.log(`simulator lane: cannot run: ${unavailable}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const fixtures = await startFixtures();
const fixtureDir = path.join(simDir, "fixtures");
rmSync(fixtureDir, { recursive: true, force: true });
mkdirSync(fixtureDir, { recursive: true });
for (const [name, bytes] of Object.entries(fixtures.resources))
  writeFileSync(path.join(fixtureDir, name), bytes);

let built: BuiltApp | undefined;
let run: SimulatorRun | undefined;
let exitCode = 1;
try {
  console.log("simulator lane: building tests/sim for lin (mcconfig -d -m -p lin -t build)");
  const only: Record<string, string> = process.env.SIM_ONLY ? { onlyCases: process.env.SIM_ONLY } : {}; // a debugging aid: a subset by name
  built = buildForSimulator(path.join(simDir, "manifest.json"), { ...fixtures.config, testLane: "sim", ...only });
  let passed = 0;
  let failed = 0;
  let finish: (outcome: string) => void = () => undefined;
  const done = new Promise<string>((resolve) => (finish = resolve));
  run = await runInSimulator(built, (line) => {
    if (process.env.SIM_VERBOSE)
      console.log(`  | ${line}`);
    const match = /CASE (PASS|FAIL|SKIP|DONE|ABORT) ?(.*)$/.exec(line);
    if (!match)
      return;
    const [, kind, rest] = match;
    if (kind === "PASS") {
      passed++;
      console.log(`  ok    ${rest}`);
    }
    else if (kind === "FAIL") {
      failed++;
      console.log(`  FAIL  ${rest}`);
    }
    else if (kind === "SKIP")
      console.log(`  not run on the simulator: ${rest.replace(" :: ", ": ")}`);
    else
      finish(kind === "DONE" ? "done" : `the app aborted: ${rest}`);
  });
  run.exited.then(() => finish("xsbug-log exited before the app finished"));
  const outcome = await Promise.race([
    done,
    new Promise<string>((resolve) => setTimeout(() => resolve(`no result within ${RUN_DEADLINE_MS / 1000} s`), RUN_DEADLINE_MS).unref()),
  ]);
  if (outcome !== "done") {
    failed++;
    console.log(`  FAIL  simulator run: ${outcome}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
catch (error) {
  console.log(`simulator lane: ${(error as Error).message}`);
  console.log("0 passed, 1 failed");
}
finally {
  run?.stop();
  await fixtures.close();
  built?.dispose();
}
process.exit(exitCode);
