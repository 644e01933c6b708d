// npm run fuzz [-- --count N] [--seconds S] [--seed N] [--kind response|request]: the fuzzer of
// tests/support/fuzz.ts at scale (default a million messages per parser, at most 30 minutes in all). Prints
// the rate and each finding with a minimised input; exits 1 when there is a finding. A message slower than
// 25 ms (whole) is a finding too.
import { describe, fuzz, minimise, type Kind } from "../support/fuzz.js";

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const count = option("count", 1_000_000);
const seconds = option("seconds", 1800);
const seed = option("seed", Date.now() % 0x7fffffff);
const only = process.argv.includes("--kind") ? process.argv[process.argv.indexOf("--kind") + 1] : undefined;
const kinds = (["response", "request"] as Kind[]).filter((kind) => !only || kind === only);
const SLICE = 20000; // messages per progress line

console.log(`fuzz: ${count} messages per parser (at most ${seconds} s in all), seed ${seed}`);
let failed = false;
const started = Date.now();
for (const [n, kind] of kinds.entries()) {
  let messages = 0;
  let took = 0;
  const findings = [];
  for (let slice = 0; messages < count; slice++) {
    const left = seconds - (Date.now() - started) / 1000;
    if (left <= 0)
      break;
    const totals = fuzz(kind, seed + n * 1_000_003 + slice, Math.min(SLICE, count - messages), left, { byteEvery: 16, slowMs: 25 });
    messages += totals.messages;
    took += totals.seconds;
    findings.push(...totals.findings);
    if (slice % 10 === 9 || messages >= count)
      console.log(`  ${kind}: ${messages} messages, ${Math.round(messages / took)}/s, ${findings.length} findings`);
    if (findings.length >= 10)
      break;
  }
  console.log(`${kind}: ${messages} messages in ${took.toFixed(1)} s: ${Math.round(messages / took)} messages/s, ${findings.length} findings`);
  for (const finding of findings) {
    failed = true;
    console.log(`  ${finding.what}: ${finding.detail}\n    input (${finding.input.length} bytes): ${describe(finding.input).slice(0, 300)}\n    minimised: ${describe(minimise(finding))}`);
  }
}
process.exit(failed ? 1 : 0);
