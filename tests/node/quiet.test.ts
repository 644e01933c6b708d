// Quiet, fast commands: the app's trace appears only under a failing test, and build:host compiles only
// what changed and drops the outputs of deleted sources, and the benchmark leaves the committed figures alone
// unless asked.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, statSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { buildRoot, hostRegister, projectRoot } from "../../host/paths.js";

function run(args: string[], cwd = projectRoot): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NETKIT_TRACE;
    delete env.BENCH_UPDATE;
    execFile(process.execPath, args, { cwd, env, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe("quiet, fast commands", function () {
  this.timeout(90000);

  it("mocha shows the app's trace under a failing test only", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "netkit-trace-"));
    try {
      const spec = path.join(dir, "traced.test.mjs");
      writeFileSync(spec, [
        `import assert from "node:assert/strict";`,
        `it("passes", () => { trace("main: trace of the passing test\\n"); });`,
        `it("fails", () => { trace("main: trace of the failing test\\n"); assert.fail("on purpose"); });`,
      ].join("\n"));
      const mocha = createRequire(import.meta.url).resolve("mocha/bin/mocha.js");
      const { code, output } = await run([mocha, "--no-config", "--node-option", `import=${hostRegister}`,
        "--require", path.join(buildRoot, "tests/node/trace-hooks.js"), spec]);
      assert.equal(code, 1, output);
      assert.match(output, /\| main: trace of the failing test/, output);
      assert.doesNotMatch(output, /trace of the passing test/, output);
    }
    finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("build:host with nothing changed rewrites no output, and removes the output of a deleted source", async () => {
    const build = path.join(projectRoot, "tools", "build-host.mjs");
    const mainJs = path.join(buildRoot, "main.js");
    let result = await run([build]);
    assert.equal(result.code, 0, result.output);
    const before = statSync(mainJs).mtimeMs;
    result = await run([build]);
    assert.equal(result.code, 0, result.output);
    assert.equal(statSync(mainJs).mtimeMs, before, "main.js was not compiled again");
    const source = path.join(projectRoot, "tools", `build-check-${process.pid}.ts`);
    const compiled = path.join(buildRoot, "tools", `build-check-${process.pid}.js`);
    try {
      writeFileSync(source, "export const built = true;\n");
      result = await run([build]);
      assert.equal(result.code, 0, result.output);
      assert.ok(existsSync(compiled), "a new source is compiled");
    }
    finally {
      rmSync(source, { force: true });
    }
    result = await run([build]);
    assert.equal(result.code, 0, result.output);
    assert.ok(!existsSync(compiled), "the output of a deleted source is removed");
    assert.ok(!existsSync(compiled + ".map"));
  });

  it("the benchmark's Node lane writes build/bench-results.json and leaves the committed bench/results.json alone", async () => {
    const committed = path.join(projectRoot, "bench", "results.json");
    const before = readFileSync(committed, "utf8");
    const written = path.join(projectRoot, "build", "bench-results.json");
    rmSync(written, { force: true });
    const { code, output } = await run(["--import", hostRegister, path.join(buildRoot, "bench/parser.js")]);
    assert.equal(code, 0, output);
    assert.match(output, /written: build\/bench-results\.json/);
    assert.equal(readFileSync(committed, "utf8"), before);
    assert.ok(Array.isArray((JSON.parse(readFileSync(written, "utf8")) as { parser?: unknown }).parser));
  });
});
