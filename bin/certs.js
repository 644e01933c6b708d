#!/usr/bin/env node
// `npx certs …` from the repo: runs the compiled tools/certs.ts (docs/certs.md). Build it first with
// `npm run build:host` (or use `npm run certs -- …`, which builds and runs it).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../build/node/tools/certs.js", import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  process.stderr.write("certs: build/node/tools/certs.js is missing: run `npm run build:host` first (or `npm run certs -- …`)\n");
  process.exit(2);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
