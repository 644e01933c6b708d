// The device test app: runs the shared cases on the SDK's own modules and traces one line per case.
// tests/sim/run.ts builds it, starts the simulator and reads these lines.
import { runCases } from "testing/device-runner";
import { socketCases } from "testing/socket-cases";
import { sdkCases } from "testing/sdk-cases";
import { networkCases } from "testing/network-cases";
import { clientCases } from "testing/client-cases";
import { parserCases } from "testing/parser-cases";
import { certificateCases } from "testing/certificate-cases";
import { tlsCases, pinCases } from "testing/tls-cases";
import { validateCases } from "testing/validate-cases";
import { statsCases } from "testing/stats-cases";
import { serverCases } from "testing/server-cases";
import { pageCases } from "testing/page-cases";

runCases([...socketCases, ...sdkCases, ...networkCases, ...parserCases, ...clientCases, ...statsCases, ...certificateCases, ...tlsCases, ...pinCases, ...validateCases, ...serverCases, ...pageCases]);
