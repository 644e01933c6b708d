// `npm run build:host`: compiles the host runtime, tests, tools and device sources into build/node,
// incrementally (tsc --incremental; its build info lives inside build/node, so deleting that folder
// rebuilds everything). Outputs whose source is gone (a file deleted or renamed) are removed, so mocha never
// runs a stale test; an output that went missing makes tsc start over. Plain JavaScript: it runs before the build.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

// The project and build/node, as host/paths.ts has them: this runs before anything is compiled, so it cannot import that.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "build", "node");
const buildInfo = path.join(out, ".tsbuildinfo");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** Every file under `dir`, relative to it. */
function files(dir, prefix = "") {
  if (!existsSync(dir))
    return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
    ? files(path.join(dir, entry.name), path.join(prefix, entry.name))
    : [path.join(prefix, entry.name)]);
}

/** The source an output was compiled from: x.js and x.js.map from x.ts. */
function sourceOf(output) {
  const match = /^(.*)\.js(\.map)?$/.exec(output);
  return match ? path.join(root, `${match[1]}.ts`) : undefined;
}

function compile() {
  const result = spawnSync(process.execPath, [tsc, "-p", path.join(root, "tests", "tsconfig.json"), "--incremental", "--tsBuildInfoFile", buildInfo], { stdio: "inherit" });
  if (result.status !== 0)
    process.exit(result.status ?? 1);
}

// Outputs whose source was deleted or renamed.
for (const output of files(out)) {
  const source = sourceOf(output);
  if (source && !existsSync(source))
    rmSync(path.join(out, output));
}
compile();
// tsc --incremental trusts its build info: if an output was deleted by hand, compile everything again.
const info = JSON.parse(readFileSync(buildInfo, "utf8"));
const missing = info.fileNames.map((name) => path.relative(root, path.resolve(out, name)))
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.startsWith(".."))
  .filter((file) => !existsSync(path.join(out, file.replace(/\.ts$/, ".js"))));
if (missing.length) {
  rmSync(buildInfo, { force: true });
  compile();
}
