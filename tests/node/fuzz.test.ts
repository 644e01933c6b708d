// The two parsers under seeded, bounded mutation fuzzing (tests/support/fuzz.ts): tens of thousands of
// mutated messages each, whole, at random cuts and byte by byte; every outcome must be the same for every
// split, error code included, and nothing but an HttpError may escape. `npm run fuzz` runs millions.
import { strict as assert } from "node:assert";
import { describe as shownInput, fuzz, minimise, type Kind } from "../support/fuzz.js";
import { runRequests, runResponses } from "../support/llhttp-suite.js";

const MESSAGES = 20000; // per parser
const SECONDS = 20;     // a bound on time as well, for a slow machine

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Every split of `input` in two, and byte by byte: the outcome of each. */
function everySplit(kind: Kind, input: Uint8Array): Set<string> {
  const run = kind === "response" ? runResponses : runRequests;
  const seen = new Set<string>();
  const record = (pieces: Uint8Array[] | "whole" | "bytes") => {
    const ours = run(input, pieces, { finish: true });
    seen.add(`${ours.events.join(" | ")} ${ours.codes.join()}`);
  };
  record("whole");
  record("bytes");
  for (let at = 1; at < input.length; at++)
    record([input.subarray(0, at), input.subarray(at)]);
  return seen;
}

describe("fuzzing the HTTP/1.1 parsers (seeded, bounded)", () => {
  it("the fuzzer's reproducers give one code whole and at every split: 9000 × d to the response parser, G\\x01T / + 5000 × a to the request parser", () => {
    const response = everySplit("response", bytes("d".repeat(9000)));
    assert.deepEqual([...response], ["end: error ERR_INVALID_RESPONSE"], "response parser");
    const request = everySplit("request", bytes("G\x01T /" + "a".repeat(5000) + " HTTP/1.1"));
    assert.deepEqual([...request], ["end: error ERR_INVALID_REQUEST 400"], "request parser");
  });

  for (const [kind, seed] of [["response", 0x19a], ["request", 0x19b]] as const) {
    it(`${kind} parser: ${MESSAGES} mutated messages end in events or an HttpError, the same for every split`, function () {
      this.timeout((SECONDS + 30) * 1000);
      const totals = fuzz(kind, seed, MESSAGES, SECONDS, { byteEvery: 16 });
      console.log(`  fuzz ${kind}: ${totals.messages} messages in ${totals.seconds.toFixed(1)} s (${Math.round(totals.messages / totals.seconds)}/s), ${totals.findings.length} findings`);
      const shown = totals.findings.slice(0, 3).map((f) => `${f.what}: ${f.detail}\n    minimised: ${shownInput(minimise(f, 300))}`);
      assert.equal(totals.findings.length, 0, `findings:\n  ${shown.join("\n  ")}`);
      assert(totals.messages >= 1000, `at least 1000 messages ran (${totals.messages})`);
    });
  }
});
