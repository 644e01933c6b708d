// `npm run -s bench:table`: bench/results.json as the Markdown tables of docs/performance.md, so the
// figures there are copied from the file, never typed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../host/paths.js";

interface ParserRow { workload: string; oursMBps: number; llhttpMBps: number; ratio: number; target?: number }
interface Figures {
  runs: number; cpuMs: number; cpuStatMs: number; chunk: number; slot: number; liveChunk: number; liveSlot: number;
  stack: number; fullHandshakes: number; resumedHandshakes: number; connections: number; bytes: number;
}
interface Results {
  node?: { date: string; version: string; load: number; runs: number };
  parser?: ParserRow[];
  sim?: {
    date: string; runs: number; load: { min: number; max: number }; minutes: number; failures: string[];
    bytecode: { core: number; coreCode?: number; coreModules: Record<string, number>; optionalModules?: Record<string, number>; sdkHttp: number };
    perMB: Record<string, number>;
    workloads: Record<string, Figures>;
    peakAsSampled: Record<string, number>;
    targets: { name: string; value: number; target: string; met: boolean }[];
  };
  budget?: Record<string, unknown>;
}

// the committed figures, or the file given (`npm run -s bench:table -- build/bench-results.json`)
const results = JSON.parse(readFileSync(path.resolve(process.argv[2] ?? path.join(projectRoot, "bench", "results.json")), "utf8")) as Results;
const out: string[] = [];
const row = (cells: (string | number)[]) => out.push(`| ${cells.join(" | ")} |`);

if (results.parser && results.node) {
  out.push(`Node lane: ${results.node.date.slice(0, 16).replace("T", " ")} UTC, Node ${results.node.version}, load ${results.node.load}, medians of ${results.node.runs} alternating runs`, "");
  row(["workload", "ours MB/s", "llhttp MB/s", "ratio", "target"]);
  row(["---", "---:", "---:", "---:", "---"]);
  for (const r of results.parser)
    row([r.workload, r.oursMBps, r.llhttpMBps, r.ratio, r.target ? `≥ ${r.target}: ${r.ratio >= r.target ? "met" : "**not met**"}` : ""]);
  out.push("");
}

const sim = results.sim;
if (sim) {
  out.push(`Simulator lane: ${sim.date.slice(0, 16).replace("T", " ")} UTC, medians of ${sim.runs} runs, load ${sim.load.min}–${sim.load.max}, ${sim.minutes} min${sim.failures.length ? `, ${sim.failures.length} failed runs: ${sim.failures.join("; ")}` : ""}`, "");
  row(["target", "measured", "target", ""]);
  row(["---", "---:", "---", "---"]);
  for (const t of sim.targets)
    row([t.name, t.value, t.target, t.met ? "met" : "**not met**"]);
  out.push("");
  row(["workload / client", "CPU ms", "live chunk", "live slot", "peak chunk (as sampled)", "peak slot (as sampled)", "stack", "TLS full+resumed", "TCP"]);
  row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]);
  for (const [key, f] of Object.entries(sim.workloads))
    row([key, f.cpuMs, f.liveChunk, f.liveSlot, f.chunk, f.slot, f.stack, `${f.fullHandshakes}+${f.resumedHandshakes}`, f.connections]);
  out.push("");
  out.push(`CPU ms per MB of body (1 MB run minus 16 KB run): ${Object.entries(sim.perMB).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
  out.push(`Peak heap as sampled (garbage included), ours/sdk: ${Object.entries(sim.peakAsSampled).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
  const list = (modules: Record<string, number>) => Object.entries(modules).map(([k, v]) => `${k.replace(".xsb", "")} ${v}`).join(", ");
  const optional = sim.bytecode.optionalModules ? `; not loaded by http/client: ${list(sim.bytecode.optionalModules)}` : "";
  const code = sim.bytecode.coreCode === undefined ? "" : `, ${sim.bytecode.coreCode} B of it code (the rest: per-module symbol tables, merged at link)`;
  out.push(`Bytecode (debug build): core client ${sim.bytecode.core} B${code} (${list(sim.bytecode.coreModules)})${optional}; SDK http ${sim.bytecode.sdkHttp} B.`, "");
}

const budget = results.budget as (Record<string, Figures | unknown> & { creation?: unknown }) | undefined;
if (budget) {
  out.push(`Our client's own memory (1 KB body, the bench app's creation ${JSON.stringify(budget.creation)}, heaps that grow; the app's fixed budget is docs/memory.md): bytes above the idle baseline, and the process's XS stack high-water mark:`, "");
  row(["request", "live chunk", "live slot", "peak chunk (as sampled)", "peak slot (as sampled)", "stack", "CPU ms"]);
  row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]);
  for (const [key, value] of Object.entries(budget)) {
    if (!value || typeof value !== "object" || !("liveChunk" in value))
      continue;
    const f = value as Figures;
    row([key, f.liveChunk, f.liveSlot, f.chunk, f.slot, f.stack, f.cpuMs]);
  }
  out.push("");
}
console.log(out.join("\n"));
