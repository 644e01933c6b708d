// XS globals that device code uses without importing: trace().
import { traceSink } from "./runtime.js";

const trace = (...parts: unknown[]): void => traceSink.write(parts.map(String).join(""));
Object.assign(trace, {
  left: (s: string) => trace(s, "\n"),
  center: (s: string) => trace(s, "\n"),
  right: (s: string) => trace(s, "\n"),
});
(globalThis as Record<string, unknown>).trace = trace;
