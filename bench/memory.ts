// `npm run bench:memory` (needs MODDABLE): the memory budget of the app's XS `creation` values, on the simulator.
// 1. The memory cases (tests/cases/memory-cases.ts) run in the budget app under exactly the app's values, with
//    fixed heaps; each reports the heaps and stack it reached (instrumentation).
// 2. They run again with the SDK's guideline for a TLS handshake held back from every budget (10 KB chunk,
//    6 KB of slots = 384 slots of 16 bytes on an ESP32, 4 KB of stack = 256 slots): a case that passes there
//    had at least that much free throughout.
// Writes build/bench-memory.json, or bench/memory.json (which docs/memory.md quotes) with BENCH_UPDATE=1.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../host/paths.js";
import { simulatorUnavailable } from "../tools/simulator.js";
import { outputFile } from "./output.js";
import { runCasesApp, startDeviceFixtures, type AppOutcome } from "../tools/device-run.js";

interface Creation {
  static: number;
  chunk: { initial: number; incremental: number };
  heap: { initial: number; incremental: number };
  stack: number;
}

/** The SDK's "should be free" figures for a TLS handshake (documentation/network/securesocket.md, Memory), in ESP32 units. */
const GUIDELINE = { chunkBytes: 10 * 1024, slots: (6 * 1024) / 16, stackSlots: (4 * 1024) / 16 };
/** Bytes of one XS slot on the 64-bit simulator (instrumentation reports bytes); an ESP32's are 16. */
const SIM_SLOT_BYTES = 32;

const unavailable = simulatorUnavailable();
if (unavailable) {
  console.log(`bench:memory: not run (${unavailable})`);
  process.exit(process.env.MODDABLE ? 1 : 0);
}

const appCreation = (JSON.parse(readFileSync(path.join(projectRoot, "manifest.json"), "utf8")) as { creation: Creation }).creation;
const held: Creation = {
  ...appCreation,
  chunk: { ...appCreation.chunk, initial: appCreation.chunk.initial - GUIDELINE.chunkBytes },
  heap: { ...appCreation.heap, initial: appCreation.heap.initial - GUIDELINE.slots },
  stack: appCreation.stack - GUIDELINE.stackSlots,
};

interface Figures {
  label: string;
  baseChunk: number;
  baseSlots: number;
  chunk: number;
  slots: number;
  stack: number;
}

/** `label key=value …` from a MEM line. */
function parseMemory(line: string): Figures {
  const [label, ...pairs] = line.split(" ");
  const figures: Record<string, number> = {};
  for (const pair of pairs) {
    const [key, value] = pair.split("=");
    figures[key] = Number(value);
  }
  return { label, baseChunk: figures.baseChunk, baseSlots: figures.baseSlots, chunk: figures.chunk, slots: figures.slots, stack: figures.stack };
}

const fixtures = await startDeviceFixtures();
const work = mkdtempSync(path.join(tmpdir(), "netkit-budget-"));
const runs: { label: string; creation: Creation; outcome: AppOutcome }[] = [];
try {
  for (const [label, creation] of [["the app's creation values", appCreation], ["the same with the SDK's handshake guideline held back", held]] as const) {
    // A manifest of its own that includes the budget app and overrides only its creation values.
    const dir = path.join(work, runs.length ? "held" : "app");
    const manifest = path.join(dir, "manifest.json");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(manifest, JSON.stringify({ include: [path.join(projectRoot, "tests", "budget", "manifest.json")], creation }, null, 2));
    console.log(`bench:memory: ${label}: chunk ${creation.chunk.initial} bytes, heap ${creation.heap.initial} slots, stack ${creation.stack} slots (fixed)`);
    const outcome = await runCasesApp(manifest, {
      config: { ...fixtures.config, testLane: "sim", onlyCases: "memory:" },
      deadlineMs: 300_000,
    });
    runs.push({ label, creation, outcome });
  }
}
finally {
  await fixtures.close();
  rmSync(work, { recursive: true, force: true });
}

const [full, reduced] = runs;
const cases = full.outcome.memory.map(parseMemory).map((figures) => ({
  ...figures,
  slotCount: Math.round(figures.slots / SIM_SLOT_BYTES),
  stackSlots: Math.round(figures.stack / SIM_SLOT_BYTES),
  // a case names its figures at its end: "(figures: a)" or "(figures: a, b)"
  passesWithGuidelineHeldBack: reduced.outcome.cases.some((c) => c.passed && (c.name.match(/\(figures: ([^)]*)\)$/)?.[1].split(", ") ?? []).includes(figures.label)),
}));
console.log("\n| case | live before (chunk bytes / slots) | chunk peak (bytes) | slots peak | stack peak (slots) | passes with the guideline held back |");
console.log("| --- | ---: | ---: | ---: | ---: | --- |");
for (const c of cases)
  console.log(`| ${c.label} | ${c.baseChunk} / ${Math.round(c.baseSlots / SIM_SLOT_BYTES)} | ${c.chunk} of ${appCreation.chunk.initial} | ${c.slotCount} of ${appCreation.heap.initial} | ${c.stackSlots} of ${appCreation.stack} | ${c.passesWithGuidelineHeldBack ? "yes" : "no"} |`);
const results = {
  date: new Date().toISOString(),
  lane: "sim",
  guideline: GUIDELINE,
  simSlotBytes: SIM_SLOT_BYTES,
  runs: runs.map((run) => ({ label: run.label, creation: run.creation, passed: run.outcome.passed, failed: run.outcome.failed, problem: run.outcome.problem, cases: run.outcome.cases })),
  cases,
};
const output = outputFile("memory.json");
writeFileSync(output.file, JSON.stringify(results, null, 2) + "\n");
console.log(`\nbench:memory: wrote ${output.shown}`);
process.exit(full.outcome.failed === 0 && full.outcome.passed > 0 ? 0 : 1);
