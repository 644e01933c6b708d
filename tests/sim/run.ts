// `npm run test:sim`: the shared cases on the SDK's Linux simulator. Starts the fixture servers, builds the
// device test app (tests/sim, every shared case) and the memory-budget app (tests/budget, the HTTP and HTTPS
// cases under the app's own creation values) with the servers' addresses as config, runs each
// (tools/simulator.ts), prints one line per case and "N passed, N failed". Without MODDABLE it says why it
// did not run and exits 0.
import path from "node:path";
import { projectRoot } from "../../host/paths.js";
import { simulatorUnavailable } from "../../tools/simulator.js";
import { runCasesApp, startDeviceFixtures } from "../../tools/device-run.js";

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

const fixtures = await startDeviceFixtures();
let exitCode = 1;
try {
  const only: Record<string, string> = process.env.SIM_ONLY ? { onlyCases: process.env.SIM_ONLY } : {}; // a debugging aid: a subset by name
  const options = { config: { ...fixtures.config, testLane: "sim", ...only }, deadlineMs: RUN_DEADLINE_MS, verbose: !!process.env.SIM_VERBOSE };
  const outcomes = [
    await runCasesApp(path.join(projectRoot, "tests", "sim", "manifest.json"), options),
    await runCasesApp(path.join(projectRoot, "tests", "budget", "manifest.json"), options),
  ];
  const passed = outcomes.reduce((sum, outcome) => sum + outcome.passed, 0);
  const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
finally {
  await fixtures.close();
}
process.exit(exitCode);
