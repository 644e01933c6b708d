// Runs a device app of shared cases (tests/sim, tests/budget) in the simulator against the fixture servers:
// used by the simulator lane (tests/sim/run.ts) and the memory bench (bench/memory.ts).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startFixtures, type Fixtures } from "./fixtures.js";
import { projectRoot } from "../host/paths.js";
import { buildForSimulator, runInSimulator, type BuiltApp, type SimulatorRun } from "./simulator.js";

/** Starts the fixture servers and puts their resources where the device apps' manifests take them from. */
export async function startDeviceFixtures(): Promise<Fixtures> {
  const fixtureDir = path.join(projectRoot, "tests", "sim", "fixtures");
  // One runner at a time: another one's new certificates would be built into this one's apps.
  const owner = path.join(projectRoot, "build", "sim-fixtures.owner");
  const pid = existsSync(owner) ? Number(readFileSync(owner, "utf8")) : 0;
  if (pid && pid !== process.pid && isAlive(pid))
    throw new Error(`process ${pid} (another simulator lane or bench) is using ${path.relative(projectRoot, fixtureDir)}: run one at a time`);
  const fixtures = await startFixtures();
  rmSync(fixtureDir, { recursive: true, force: true });
  mkdirSync(fixtureDir, { recursive: true });
  for (const [name, bytes] of Object.entries(fixtures.resources))
    writeFileSync(path.join(fixtureDir, name), bytes);
  mkdirSync(path.dirname(owner), { recursive: true });
  writeFileSync(owner, String(process.pid));
  return fixtures;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  }
  catch {
    return false;
  }
}

/** What one device app's run counted, and the MEM lines (memory figures) it traced. */
export interface AppOutcome {
  passed: number;
  failed: number;
  /** Each case that ran, in order, and whether it passed. */
  cases: { name: string; passed: boolean }[];
  /** `label key=value …` from each MEM line. */
  memory: string[];
  /** Set when the run did not reach CASE DONE (an abort, a deadline). */
  problem?: string;
}

export interface AppRunOptions {
  config: Record<string, string>;
  deadlineMs: number;
  /** Print every trace line, not only the results. */
  verbose?: boolean;
}

/** Builds the app of `manifest`, runs it in the simulator and prints one line per case. */
export async function runCasesApp(manifest: string, options: AppRunOptions): Promise<AppOutcome> {
  const outcome: AppOutcome = { passed: 0, failed: 0, cases: [], memory: [] };
  const name = path.relative(projectRoot, manifest);
  let built: BuiltApp | undefined;
  let run: SimulatorRun | undefined;
  try {
    console.log(`simulator lane: building ${name} for lin (mcconfig -d -m -p lin -t build)`);
    built = buildForSimulator(manifest, options.config);
    let finish: (result: string) => void = () => undefined;
    const done = new Promise<string>((resolve) => (finish = resolve));
    let previous = "";
    run = await runInSimulator(built, (line) => {
      const before = previous;
      previous = line;
      if (options.verbose)
        console.log(`  | ${line}`);
      const memory = /\bMEM (\S+ \w+=.*)$/.exec(line);
      if (memory) {
        outcome.memory.push(memory[1]);
        console.log(`  mem   ${memory[1]}`);
        return;
      }
      const abort = /XS abort: (.*)$/.exec(line); // the VM is gone (e.g. "memory full" in a fixed-size heap)
      if (abort) {
        finish(`the VM aborted: ${abort[1]}${before.startsWith("#") ? ` (${before.replace(/^#\s*/, "")})` : ""}`);
        return;
      }
      if (line.startsWith("#xsbug-log disconnected")) { // mcsim ended (or crashed) before CASE DONE
        finish("the simulator disconnected before the last case ended (mcsim exited or crashed)");
        return;
      }
      const match = /CASE (PASS|FAIL|SKIP|DONE|ABORT) ?(.*)$/.exec(line);
      if (!match)
        return;
      const [, kind, rest] = match;
      if (kind === "PASS") {
        outcome.passed++;
        outcome.cases.push({ name: rest, passed: true });
        console.log(`  ok    ${rest}`);
      }
      else if (kind === "FAIL") {
        outcome.failed++;
        outcome.cases.push({ name: rest.split(" :: ")[0], passed: false });
        console.log(`  FAIL  ${rest}`);
      }
      else if (kind === "SKIP")
        console.log(`  not run on the simulator: ${rest.replace(" :: ", ": ")}`);
      else
        finish(kind === "DONE" ? "done" : `the app aborted: ${rest}`);
    });
    run.exited.then(() => finish("xsbug-log exited before the app finished"));
    const result = await Promise.race([
      done,
      new Promise<string>((resolve) => setTimeout(() => resolve(`no result within ${options.deadlineMs / 1000} s`), options.deadlineMs).unref()),
    ]);
    if (result !== "done") {
      outcome.failed++;
      outcome.problem = result;
      console.log(`  FAIL  simulator run of ${name}: ${result}`);
    }
  }
  catch (error) {
    outcome.failed++;
    outcome.problem = (error as Error).message;
    console.log(`simulator lane: ${(error as Error).message}`);
  }
  finally {
    run?.stop();
    built?.dispose();
  }
  return outcome;
}
