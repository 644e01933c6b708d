// Runs shared cases inside a device app (simulator lane) and traces one line per case for the lane runner
// (tests/sim/run.ts): CASE BEGIN/START/PASS/FAIL/SKIP/DONE/ABORT.
import config from "mc/config";
import { deadline, type TestCase } from "./harness";

/** One case that hangs fails alone instead of stalling the run. */
const CASE_DEADLINE_MS = 60000;

async function runAll(cases: TestCase[]): Promise<void> {
  let passed = 0;
  let failed = 0;
  const only = String(config.onlyCases ?? ""); // SIM_ONLY: run the cases whose name contains this
  for (const testCase of cases) {
    if (only && !testCase.name.includes(only))
      continue;
    if (testCase.skip?.lane === "sim") {
      trace(`CASE SKIP ${testCase.name} :: ${testCase.skip.reason}\n`);
      continue;
    }
    trace(`CASE START ${testCase.name}\n`);
    try {
      await deadline(testCase.run(), CASE_DEADLINE_MS, `end of the case`);
      passed++;
      trace(`CASE PASS ${testCase.name}\n`);
    }
    catch (error) {
      failed++;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      trace(`CASE FAIL ${testCase.name} :: ${message}\n`);
    }
  }
  trace(`CASE DONE ${passed} passed, ${failed} failed\n`);
}

export function runCases(cases: TestCase[]): void {
  trace("CASE BEGIN\n");
  runAll(cases).catch((error: unknown) => trace(`CASE ABORT ${String(error)}\n`));
}
