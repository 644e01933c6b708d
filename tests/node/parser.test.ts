// The HTTP/1.1 response parser's device-side cases, run under mocha on the host runtime.
import { parserCases } from "../cases/parser-cases.js";
import type { TestCase } from "../cases/harness.js";

function register(title: string, cases: TestCase[]): void {
  describe(title, () => {
    for (const testCase of cases) {
      if (testCase.skip?.lane === "node") {
        console.log(`  not run on the Node lane: ${testCase.name}: ${testCase.skip.reason}`);
        continue;
      }
      it(testCase.name, () => testCase.run());
    }
  });
}

register("HTTP/1.1 response parser (shared cases)", parserCases);
