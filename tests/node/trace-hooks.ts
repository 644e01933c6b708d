// Mocha root hooks: the app's trace is held per test, shown under a test that fails and dropped for one
// that passes, so mocha's report stays readable. NETKIT_TRACE=1 shows it all as it comes.
import { traceSink } from "../../host/runtime.js";

/** The end of a test's trace kept for its report. */
const MAX_TRACE_CHARS = 64 * 1024;
let held = "";

if (!process.env.NETKIT_TRACE) {
  traceSink.write = (text: string) => {
    held += text;
    if (held.length > 2 * MAX_TRACE_CHARS)
      held = held.slice(-MAX_TRACE_CHARS);
  };
}

export const mochaHooks = {
  beforeEach() {
    held = "";
  },
  afterEach(this: Mocha.Context) {
    const trace = held.length > MAX_TRACE_CHARS ? `…\n${held.slice(-MAX_TRACE_CHARS)}` : held;
    held = "";
    if (this.currentTest?.state === "failed" && trace)
      process.stdout.write(`      the app's trace during this test:\n${trace.replace(/\n$/, "").replace(/^/gm, "      | ")}\n`);
  },
};
