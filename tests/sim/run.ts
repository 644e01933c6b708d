// `npm run test:sim`: the shared cases on the SDK's Linux simulator. Builds tests/sim with mcconfig
// (`-d -m -p lin -t build`: never the default target, which kills every mcsim on the machine), starts the
// fixture servers, runs mcsim under its own Xvfb with the SDK's xsbug-log collecting `trace`, prints one
// line per case and "N passed, N failed". Ends only the processes it started, by PID.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { startFixtures } from "../support/fixtures.js";

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const simDir = path.join(projectRoot, "tests", "sim");
const RUN_DEADLINE_MS = Number(process.env.SIM_DEADLINE_MS ?? 600_000);

const MODDABLE = process.env.MODDABLE;
if (!MODDABLE) {
  console.log("simulator lane: not run (MODDABLE is not set: no Moddable SDK on this machine)");
  process.exit(0);
}

/** Spawns in its own process group, so that ending it by PID ends what it started too. */
function start(command: string, args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void, cwd?: string): ChildProcess {
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

function end(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null)
    return;
  try {
    process.kill(-child.pid, "SIGTERM");
  }
  catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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

function tool(name: string): string {
  const local = path.join(MODDABLE!, "build", "bin", "lin", "release", name);
  return existsSync(local) ? local : name;
}

function requirement(ok: boolean, what: string): void {
  if (!ok) {
    console.log(`simulator lane: cannot run: ${what}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

requirement(existsSync(tool("mcconfig")) || spawnSync("which", ["mcconfig"]).status === 0, "mcconfig not found (build the SDK's tools: see the README)");
requirement(spawnSync("which", ["Xvfb"]).status === 0, "Xvfb not found (apt-get install xvfb)");
const xsbugLog = path.join(MODDABLE, "tools", "xsbug-log");
requirement(existsSync(path.join(xsbugLog, "node_modules")), `${xsbugLog} has no node_modules (run npm install there once)`);

const fixtures = await startFixtures();
const fixtureDir = path.join(simDir, "fixtures");
rmSync(fixtureDir, { recursive: true, force: true });
mkdirSync(fixtureDir, { recursive: true });
for (const [name, bytes] of Object.entries(fixtures.resources))
  writeFileSync(path.join(fixtureDir, name), bytes);

const work = mkdtempSync(path.join(tmpdir(), "netkit-sim-"));
const children: ChildProcess[] = [];
let exitCode = 1;
try {
  // Build. The project's TypeScript 6 goes first on PATH: mcconfig runs the tsc it finds there.
  const env = {
    ...process.env,
    PATH: [path.join(projectRoot, "node_modules", ".bin"), path.dirname(tool("mcconfig")), process.env.PATH].join(path.delimiter),
  };
  const configArgs = Object.entries({ ...fixtures.config, testLane: "sim" }).map(([key, value]) => `${key}=${value}`);
  console.log("simulator lane: building tests/sim for lin (mcconfig -d -m -p lin -t build)");
  const build = spawnSync("mcconfig", ["-d", "-m", "-p", "lin", "-t", "build", "-o", work, path.join(simDir, "manifest.json"), ...configArgs], {
    cwd: simDir, env, encoding: "utf8", timeout: 600_000,
  });
  if (build.status !== 0) {
    console.log((build.stdout ?? "") + (build.stderr ?? ""));
    throw new Error(`mcconfig failed (exit ${build.status})`);
  }
  const app = findFile(work, "mc.so");
  if (!app)
    throw new Error(`no mc.so under ${work}`);

  // Run: a display of our own, xsbug-log on a free port, mcsim connecting to it.
  const display = `:${100 + Math.floor(Math.random() * 800)}`;
  const xvfb = start("Xvfb", [display, "-nolisten", "tcp", "-screen", "0", "640x480x24"], env);
  children.push(xvfb);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const port = String(await freePort());
  let passed = 0;
  let failed = 0;
  const done = new Promise<string>((resolve) => {
    const log = start("node", [path.join(xsbugLog, "xsbug-log.js"), tool("mcsim"), app], {
      ...env, DISPLAY: display, XSBUG_PORT: port, XSBUG_LOG_PORT: port,
      XSBUG_PROJECT: work, // where xsbug-log keeps its preferences: never the project
    }, (line) => {
      if (process.env.SIM_VERBOSE)
        console.log(`  | ${line}`);
      const match = /CASE (PASS|FAIL|SKIP|DONE|ABORT) ?(.*)$/.exec(line);
      if (!match)
        return;
      const [, kind, rest] = match;
      if (kind === "PASS") {
        passed++;
        console.log(`  ok    ${rest}`);
      }
      else if (kind === "FAIL") {
        failed++;
        console.log(`  FAIL  ${rest}`);
      }
      else if (kind === "SKIP")
        console.log(`  not run on the simulator: ${rest.replace(" :: ", ": ")}`);
      else
        resolve(kind === "DONE" ? "done" : `the app aborted: ${rest}`);
    }, work);
    children.push(log);
    log.on("exit", () => resolve("xsbug-log exited before the app finished"));
  });
  const outcome = await Promise.race([
    done,
    new Promise<string>((resolve) => setTimeout(() => resolve(`no result within ${RUN_DEADLINE_MS / 1000} s`), RUN_DEADLINE_MS).unref()),
  ]);
  if (outcome !== "done") {
    failed++;
    console.log(`  FAIL  simulator run: ${outcome}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
catch (error) {
  console.log(`simulator lane: ${(error as Error).message}`);
  console.log("0 passed, 1 failed");
}
finally {
  for (const child of children.reverse())
    end(child);
  await fixtures.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
