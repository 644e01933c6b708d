// Building an app for the SDK's Linux simulator and running it, for `npm start` and the simulator lane.
// Builds with `mcconfig -d -m -p lin -t build` (never the default target: it kills every mcsim on the
// machine by name), runs mcsim under an Xvfb of its own with the SDK's xsbug-log collecting `trace`, and
// ends only what it started, by process group.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../host/paths.js";
import { freePort } from "./ports.js";

/** Why the simulator cannot run here, or undefined when it can. */
export function simulatorUnavailable(): string | undefined {
  const moddable = process.env.MODDABLE;
  if (!moddable)
    return "MODDABLE is not set: no Moddable SDK on this machine";
  if (!existsSync(sdkTool("mcconfig")) && spawnSync("which", ["mcconfig"]).status !== 0)
    return "mcconfig not found (build the SDK's tools: see the README)";
  if (spawnSync("which", ["Xvfb"]).status !== 0)
    return "Xvfb not found (apt-get install xvfb)";
  if (!existsSync(path.join(moddable, "tools", "xsbug-log", "node_modules")))
    return `${path.join(moddable, "tools", "xsbug-log")} has no node_modules (run npm install there once)`;
  return undefined;
}

function sdkTool(name: string): string {
  const local = path.join(process.env.MODDABLE ?? "", "build", "bin", "lin", "release", name);
  return existsSync(local) ? local : name;
}

/** The environment mcconfig needs: the project's TypeScript 6 first on PATH (mcconfig runs the tsc it finds). */
function buildEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: [path.join(projectRoot, "node_modules", ".bin"), path.dirname(sdkTool("mcconfig")), process.env.PATH].join(path.delimiter),
  };
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === name)
      return full;
    if (statSync(full).isDirectory()) {
      const found = findFile(full, name);
      if (found)
        return found;
    }
  }
  return undefined;
}

export interface BuiltApp {
  /** The mc.so mcsim runs. */
  app: string;
  /** The build folder: remove it with `dispose()`. */
  work: string;
  dispose(): void;
}

/** Builds the app of `manifest` for lin into a temporary folder; `config` becomes mcconfig's key=value arguments. */
export function buildForSimulator(manifest: string, config: Record<string, string> = {}): BuiltApp {
  const work = mkdtempSync(path.join(tmpdir(), "netkit-sim-"));
  const dispose = () => rmSync(work, { recursive: true, force: true });
  const configArgs = Object.entries(config).map(([key, value]) => `${key}=${value}`);
  const build = spawnSync("mcconfig", ["-d", "-m", "-p", "lin", "-t", "build", "-o", work, manifest, ...configArgs], {
    cwd: path.dirname(manifest), env: buildEnv(), encoding: "utf8", timeout: 600_000,
  });
  if (build.status !== 0) {
    dispose();
    throw new Error(`mcconfig failed (exit ${build.status}):\n${(build.stdout ?? "") + (build.stderr ?? "")}`);
  }
  const app = findFile(work, "mc.so");
  if (!app) {
    dispose();
    throw new Error(`no mc.so under ${work}`);
  }
  return { app, work, dispose };
}

/** Spawns in its own process group, so that ending it by PID ends what it started too. */
function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(command, args, { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let pending = "";
  const feed = (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      // xsbug-log prints its prompt and terminal escapes around each trace line
      onLine?.(pending.slice(0, newline).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/^(\(xsdb\) )+/, "").replace(/\r$/, ""));
      pending = pending.slice(newline + 1);
    }
  };
  child.stdout?.on("data", feed);
  child.stderr?.on("data", feed);
  return child;
}

function endGroup(child: ChildProcess): void {
  if (!child.pid || child.exitCode !== null)
    return;
  try {
    process.kill(-child.pid, "SIGTERM");
  }
  catch {
    // already gone
  }
}

export interface SimulatorRun {
  /** Resolves when xsbug-log exits (the app was ended, or failed to start). */
  exited: Promise<void>;
  /** Ends mcsim, xsbug-log and Xvfb. */
  stop(): void;
}

/** Runs `app` in mcsim; each trace line goes to `onLine` without the "[Thread N] " prefix. */
export async function runInSimulator(built: BuiltApp, onLine: (line: string) => void): Promise<SimulatorRun> {
  const xsbugLog = path.join(process.env.MODDABLE!, "tools", "xsbug-log");
  const env = buildEnv();
  const display = `:${100 + Math.floor(Math.random() * 800)}`;
  const xvfb = startGroup("Xvfb", [display, "-nolisten", "tcp", "-screen", "0", "640x480x24"], env);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const port = String(await freePort());
  const log = startGroup("node", [path.join(xsbugLog, "xsbug-log.js"), sdkTool("mcsim"), built.app], {
    ...env, DISPLAY: display, XSBUG_PORT: port, XSBUG_LOG_PORT: port,
    XSBUG_PROJECT: built.work, // where xsbug-log keeps its preferences: never the project
  }, built.work, (line) => onLine(line.replace(/^\[Thread \d+\] /, "")));
  const exited = new Promise<void>((resolve) => log.on("exit", () => resolve()));
  return {
    exited,
    stop() {
      endGroup(log);
      endGroup(xvfb);
    },
  };
}

/** The pid of the mcsim running `app` (its command line names the build's mc.so). */
export function findMcsim(app: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry))
      continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmdline[0].endsWith("mcsim") && cmdline.includes(app)) // not xsbug-log, whose arguments name both
        return Number(entry);
    }
    catch {
      // gone
    }
  }
  return undefined;
}

/** Run time of every thread of `pid` in ms, from /proc/<pid>/task/<tid>/schedstat (ns resolution). */
export function threadsCpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    }
    catch {
      // the thread ended
    }
  }
  return ns / 1e6;
}
