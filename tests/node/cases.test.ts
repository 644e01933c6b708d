// The shared device-side cases, run under mocha on the host runtime.
import { socketCases } from "../cases/socket-cases.js";
import { sdkCases } from "../cases/sdk-cases.js";
import { networkCases } from "../cases/network-cases.js";
import { clientCases } from "../cases/client-cases.js";
import { parserCases } from "../cases/parser-cases.js";
import { certificateCases } from "../cases/certificate-cases.js";
import { tlsCases, pinCases } from "../cases/tls-cases.js";
import { validateCases } from "../cases/validate-cases.js";
import { memoryCases } from "../cases/memory-cases.js";
import { statsCases } from "../cases/stats-cases.js";
import { serverCases } from "../cases/server-cases.js";
import { pageCases } from "../cases/page-cases.js";
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

register("SDK built-ins: socket and securesocket (shared cases)", socketCases);
register("SDK built-ins: wifi, net, sntp (shared cases)", networkCases);
register("HTTP/1.1 response parser (shared cases)", parserCases);
register("HTTP client (shared cases)", clientCases);
register("PEM certificates (shared cases)", certificateCases);
register("TLS verification against the zoo of servers (shared cases)", [...tlsCases, ...pinCases]);
register("tls/validate on chains from resources (shared cases)", validateCases);
register("SDK built-ins: timer, Resource, config, data modules (shared cases)", sdkCases);
register("HTTP client counters (shared cases)", statsCases);
register("Memory of a plain GET, a verified HTTPS GET and keep-alive reuse (shared cases)", memoryCases);
register("HTTP server on the SDK's Listener (shared cases)", serverCases);
register("The temperature page of GET / (shared cases)", pageCases);
