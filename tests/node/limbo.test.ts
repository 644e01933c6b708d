// x509-limbo (C2SP's path-validation suite, vendored in tests/conformance/x509-limbo) through tls/validate:
// every SERVER case, with the case's trusted certificates as anchors, its intermediates after its peer
// certificate as the chain a server sent, its validation time as the clock and its peer name as the host.
// tests/conformance/limbo-differences.json lists where we knowingly differ, each with its reason: an
// unlisted difference fails, and so does a listed case that now agrees, so the list only shrinks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pemToDer } from "tls/certificates";
import { MAX_CANDIDATES, MAX_SIGNATURES, TlsError, validateServerChain } from "tls/validate";
import { projectRoot } from "../../host/paths.js";

interface LimboCase {
  id: string;
  description: string;
  validation_kind: "SERVER" | "CLIENT";
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_result: "SUCCESS" | "FAILURE";
  expected_peer_name: { kind: "DNS" | "IP" | "RFC822"; value: string } | null;
  max_chain_depth: number | null;
}

interface Outcome {
  result: "SUCCESS" | "FAILURE";
  /** The code and reason of a refusal, or the exception that was not a TlsError. */
  detail: string;
  typed: boolean;
  ms: number;
  spent: { signatures: number; candidates: number };
}

const folder = path.join(projectRoot, "tests", "conformance");
const suite = JSON.parse(readFileSync(path.join(folder, "x509-limbo", "limbo.json"), "utf8")) as { testcases: LimboCase[] };
const differences = JSON.parse(readFileSync(path.join(folder, "limbo-differences.json"), "utf8")) as Record<string, string>;

const der = (pems: string[]): ArrayBuffer[] => pems.flatMap((pem) => pemToDer(pem, "limbo"));

function run(testCase: LimboCase): Outcome {
  const started = performance.now();
  const spent = { signatures: 0, candidates: 0 };
  try {
    validateServerChain([...der([testCase.peer_certificate]), ...der(testCase.untrusted_intermediates)], {
      anchors: der(testCase.trusted_certs),
      serverName: testCase.expected_peer_name?.value ?? null, // a case without a peer name checks none
      now: testCase.validation_time ? Date.parse(testCase.validation_time) : Date.now(),
      notBefore: 0,
      maxDepth: testCase.max_chain_depth ?? undefined,
      spent,
    });
    return { result: "SUCCESS", detail: "validated", typed: true, ms: performance.now() - started, spent };
  }
  catch (error) {
    const typed = error instanceof TlsError;
    return { result: "FAILURE", detail: typed ? error.message : String(error), typed, ms: performance.now() - started, spent };
  }
}

describe("x509-limbo: the C2SP path-validation suite (SERVER cases)", function () {
  this.timeout(60000);
  const cases = suite.testcases.filter((testCase) => testCase.validation_kind === "SERVER");
  const outcomes = new Map<string, Outcome>();

  before(() => {
    for (const testCase of cases)
      outcomes.set(testCase.id, run(testCase));
    let agree = 0;
    let acceptedWrongly = 0;
    let refusedWrongly = 0;
    for (const testCase of cases) {
      const outcome = outcomes.get(testCase.id)!;
      if (outcome.result === testCase.expected_result)
        agree++;
      else if (outcome.result === "SUCCESS")
        acceptedWrongly++;
      else
        refusedWrongly++;
    }
    console.log(`  x509-limbo: ${cases.length} SERVER cases: ${agree} agree, ${acceptedWrongly} accepted but should be refused, ${refusedWrongly} refused but should be accepted (${Object.keys(differences).length} listed)`);
  });

  it("runs all 198 SERVER cases of the vendored suite", () => {
    assert.equal(cases.length, 198);
  });

  it("every refusal is a TlsError with a code (no untyped exception)", () => {
    const untyped = [...outcomes].filter(([, outcome]) => !outcome.typed).map(([id, outcome]) => `${id}: ${outcome.detail}`);
    assert.deepEqual(untyped, []);
  });

  it("agrees with the suite on every case not listed in limbo-differences.json", () => {
    const unlisted = cases
      .filter((testCase) => outcomes.get(testCase.id)!.result !== testCase.expected_result && !(testCase.id in differences))
      .map((testCase) => `${testCase.id}: expected ${testCase.expected_result}, got ${outcomes.get(testCase.id)!.detail}`);
    assert.deepEqual(unlisted, []);
  });

  it("every listed difference still differs, and names a case of the suite (the list only shrinks)", () => {
    const stale = Object.keys(differences).filter((id) => {
      const testCase = cases.find((candidate) => candidate.id === id);
      return !testCase || outcomes.get(id)!.result === testCase.expected_result;
    });
    assert.deepEqual(stale, []);
  });

  it("every listed difference has a reason", () => {
    const bare = Object.entries(differences).filter(([, reason]) => typeof reason !== "string" || reason.trim().length < 10);
    assert.deepEqual(bare, []);
  });

  it("the pathological cases (denial of service) end within the search's budget, refused with ERR_TLS_UNTRUSTED", () => {
    const pathological = cases.filter((testCase) => testCase.id.startsWith("pathological::") && testCase.expected_result === "FAILURE");
    const over = pathological
      .map((testCase) => ({ id: testCase.id, ...outcomes.get(testCase.id)! }))
      .filter((outcome) => outcome.spent.signatures > MAX_SIGNATURES || outcome.spent.candidates > MAX_CANDIDATES || !outcome.detail.startsWith("ERR_TLS_UNTRUSTED"));
    assert.deepEqual(over.map((outcome) => `${outcome.id}: ${outcome.spent.signatures} signatures, ${outcome.detail}`), []);
    const slowest = Math.max(...pathological.map((testCase) => outcomes.get(testCase.id)!.ms));
    console.log(`  x509-limbo: ${pathological.length} pathological cases, the slowest ${Math.round(slowest)} ms on this host (budget: ${MAX_SIGNATURES} signature checks, ${MAX_CANDIDATES} candidates)`);
  });

  it("a valid path the suite expects is found within the budget (the most any SUCCESS case spent)", () => {
    const spent = cases.filter((testCase) => testCase.expected_result === "SUCCESS" && outcomes.get(testCase.id)!.result === "SUCCESS")
      .map((testCase) => outcomes.get(testCase.id)!.spent.signatures);
    assert.ok(spent.length >= 50, `${spent.length} successes`);
    assert.ok(Math.max(...spent) < MAX_SIGNATURES, `a SUCCESS case spent ${Math.max(...spent)} of ${MAX_SIGNATURES} signature checks`);
  });
});
