// The memory-budget app: HTTP and HTTPS cases under exactly the app's `creation` values (fixed
// heaps), so a case that needs more than the budget aborts the VM and fails the lane. Built and run by
// tests/sim/run.ts after the device test app; its MEM lines are the figures in docs/memory.md.
import { runCases } from "testing/device-runner";
// Everything the firmware's main.ts loads, so that the heaps start as full as the firmware's do.
import "http/server";
import "sensors/temperature";
import "net/wifi";
import "net/time";
import "tls/certificates";
import { memoryCases } from "testing/memory-cases";
import { statsCases } from "testing/stats-cases";

// Only these, so that what is loaded besides the kit is small: the test app (tests/sim) carries every case
// and needs a bigger slot heap than the firmware.
runCases([...memoryCases, ...statsCases]);
