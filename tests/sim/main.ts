// The device test app: runs the shared cases on the SDK's own modules and traces one line per case.
// tests/sim/run.ts builds it, starts the simulator and reads these lines.
import config from "mc/config";
import { deadline, type TestCase } from "testing/harness";
import { socketCases } from "testing/socket-cases";
import { sdkCases } from "testing/sdk-cases";
import { networkCases } from "testing/network-cases";
import { clientCases } from "testing/client-cases";
import { parserCases } from "testing/parser-cases";
import { certificateCases } from "testing/certificate-cases";
import { tlsCases, pinCases } from "testing/tls-cases";
import { validateCases } from "testing/validate-cases";
import { serverCases } from "testing/server-cases";

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

trace("CASE BEGIN\n");
runAll([...socketCases, ...sdkCases, ...networkCases, ...parserCases, ...clientCases, ...certificateCases, ...tlsCases, ...pinCases, ...validateCases, ...serverCases]).catch((error: unknown) => trace(`CASE ABORT ${String(error)}\n`));
