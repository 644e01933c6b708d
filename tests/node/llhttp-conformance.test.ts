// llhttp's own test suite (tests/conformance/llhttp, vendored) through our parsers: the response cases
// through http/protocol/response-parser's ResponseParser, the request cases through http/protocol/request-parser's RequestParser (the
// server's), each whole and byte by byte. Both splits must give exactly the same events (error codes
// included); the events must match llhttp's expected log, apart from the cases listed with a reason in
// tests/conformance/llhttp/differences.json. docs/conformance.md explains the comparison.
import { readFileSync } from "node:fs";
import path from "node:path";
import { strict as assert } from "node:assert";
import { SUITE, readBlocks, expectedEvents, runRequests, runResponses, withHost, suiteFiles, shown, type Ours, type Pieces } from "../support/llhttp-suite.js";

interface Difference { case: string; name: string; reason: string; rfc: string }

const differences = JSON.parse(readFileSync(path.join(SUITE, "differences.json"), "utf8")) as Difference[];
const listed = new Map(differences.map((d) => [d.case, d]));

const totals = { response: { agree: 0, differ: 0, lenient: 0 }, request: { agree: 0, differ: 0, lenient: 0, hostInserted: 0 } };
const unexpected: string[] = [];

const files = suiteFiles;

describe("llhttp's test suite (tests/conformance/llhttp): our parsers, whole and byte by byte", () => {
  for (const kind of ["response", "request"] as const) {
    for (const file of files(kind)) {
      describe(`${kind}/${file}`, () => {
        for (const block of readBlocks(kind, file)) {
          const lenient = block.type.includes("lenient");
          if (lenient) { // llhttp's optional lenient flags: not a behaviour we offer (counted in the totals line)
            totals[kind].lenient++;
            continue;
          }
          it(`${block.id} ${block.name}`, () => {
            const { events: expected, messages } = expectedEvents(block);
            const finish = block.type.endsWith("-finish");
            let run: (split: Pieces) => Ours;
            let input = block.input;
            if (kind === "response")
              run = (split) => runResponses(input, split, { finish, head: block.meta.skipBody === true });
            else {
              const host = withHost(block.input, messages);
              input = host.input;
              if (host.inserted)
                totals.request.hostInserted++;
              run = (split) => {
                const ours = runRequests(input, split, { finish });
                if (host.inserted)
                  ours.events = ours.events.filter((e) => e !== `header host: ${shown("h")}`);
                return ours;
              };
            }
            const whole = run("whole");
            const bytes = run("bytes");
            assert.deepEqual(bytes, whole, `${block.id}: byte by byte differs from whole`);
            const agree = JSON.stringify(whole.events) === JSON.stringify(expected);
            const difference = listed.get(block.id);
            if (agree) {
              totals[kind].agree++;
              assert(!difference, `${block.id} is listed as a difference (${difference?.reason}) but now agrees with llhttp: remove it from differences.json`);
            }
            else {
              totals[kind].differ++;
              if (!difference)
                unexpected.push(block.id);
              assert(difference, `${block.id} "${block.name}" differs from llhttp and is not listed in differences.json\n  llhttp: ${expected.join(" | ")}\n  ours:   ${whole.events.join(" | ")}${whole.codes.length ? ` (${whole.codes.join(", ")})` : ""}`);
              assert.equal(difference.name, block.name, `${block.id}: differences.json names another case`);
            }
          });
        }
      });
    }
  }

  it("every case listed in differences.json exists and has a reason and an RFC section", () => {
    const ids = new Set<string>();
    for (const kind of ["response", "request"] as const)
      for (const file of files(kind))
        for (const block of readBlocks(kind, file))
          ids.add(block.id);
    for (const d of differences) {
      assert(ids.has(d.case), `differences.json lists ${d.case}, which is not a case`);
      assert(d.reason && d.rfc, `${d.case}: a reason and an RFC section are required`);
    }
  });

  after(() => {
    const r = totals.response;
    const q = totals.request;
    console.log(`  llhttp suite: responses ${r.agree} agree, ${r.differ} differ (listed), ${r.lenient} lenient-mode blocks not compared; ` +
      `requests ${q.agree} agree, ${q.differ} differ (listed), ${q.lenient} lenient-mode blocks not compared (Host inserted in ${q.hostInserted})` +
      (unexpected.length ? `; UNLISTED: ${unexpected.join(", ")}` : ""));
  });
});
