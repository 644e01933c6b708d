// Where the project and its Node build are: the one definition every Node-side file (host runtime, tools,
// bench, tests) takes them from. Computed from this module's compiled place, <project>/build/node/host/paths.js.
// (tools/build-host.mjs, which runs before anything is compiled, finds the project from its own source place.)
import path from "node:path";
import { fileURLToPath } from "node:url";

/** <project>/build/node: the compiled tree, mirroring the sources (x.ts → build/node/x.js). */
export const buildRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The project's folder (package.json, manifest.json, modules/, tests/, …). */
export const projectRoot = path.resolve(buildRoot, "..", "..");

/** The host runtime's entry, for `node --import` (module hook and XS globals). */
export const hostRegister = path.join(buildRoot, "host", "register.js");
