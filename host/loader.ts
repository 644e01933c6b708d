// Node module-resolution hook: bare specifiers of the SDK's built-ins resolve to the host runtime, and
// our own module specifiers resolve to the compiled sources named in modules/manifest.json, so device
// modules are imported unchanged.
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { buildRoot, projectRoot } from "./paths.js";

const here = path.dirname(fileURLToPath(import.meta.url)); // <build>/host

const builtins: Record<string, string> = {
  socket: "socket",
  securesocket: "securesocket",
  timer: "timer",
  Resource: "resource",
  "mc/config": "config",
  instrumentation: "instrumentation",
  wifi: "wifi",
  net: "net",
  sntp: "sntp",
  url: "url",
  headers: "headers",
  "text/decoder": "text-decoder",
  "text/encoder": "text-encoder",
  debug: "debug",
  time: "time",
  crypt: "crypt",
  x509: "x509",
  pkcs1: "pkcs1",
  pkcs1_5: "pkcs1_5",
  ecdsa: "ecdsa",
  hmac: "hmac",
  gcm: "gcm",
  curve: "curve",
  rng: "rng",
  preference: "preference",
};

interface Manifest {
  include?: string | string[];
  modules?: Record<string, unknown>;
}

/**
 * Our specifiers from modules/manifest.json and the manifests of ours it includes ("http/client":
 * "./http/client") → compiled file URLs. SDK paths ("$(MODULES)/…") are the device's business.
 */
function manifestModules(): Map<string, string> {
  const map = new Map<string, string>();
  const read = (manifestPath: string): void => {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    const folder = path.relative(path.join(projectRoot, "modules"), path.dirname(manifestPath));
    for (const include of ([] as string[]).concat(manifest.include ?? [])) {
      if (include.startsWith("./"))
        read(path.join(path.dirname(manifestPath), include));
    }
    for (const [specifier, source] of Object.entries(manifest.modules ?? {})) {
      if (specifier === "*" || specifier === "~" || typeof source !== "string" || source.includes("$("))
        continue;
      map.set(specifier, pathToFileURL(path.join(buildRoot, "modules", folder, source) + ".js").href);
    }
  };
  read(path.join(projectRoot, "modules", "manifest.json"));
  return map;
}

const ours = manifestModules();
// $HOST_MODULES: {"specifier": "compiled file"} in place of ours, as a board's manifest maps its own module
// under one of our specifiers (tests use it to give the app a sensor they set).
for (const [specifier, file] of Object.entries(JSON.parse(process.env.HOST_MODULES ?? "{}") as Record<string, string>))
  ours.set(specifier, pathToFileURL(path.resolve(file)).href);

export function moduleURL(specifier: string): string | undefined {
  const builtin = builtins[specifier];
  if (builtin)
    return pathToFileURL(path.join(here, "sdk", builtin + ".js")).href;
  return ours.get(specifier);
}

type Resolve = (specifier: string, context: { parentURL?: string }, next: (s: string, c?: unknown) => unknown) => unknown;
const ourTree = pathToFileURL(buildRoot).href + "/";

export const resolve: Resolve = (specifier, context, next) => {
  // Only our own compiled code sees the SDK's names: packages keep Node's `url`, `net`, `debug`…
  const ours = context.parentURL?.startsWith(ourTree) ?? false;
  if (!ours)
    return next(specifier, context);
  const url = moduleURL(specifier);
  if (url)
    return { url, shortCircuit: true };
  // Device modules import each other as XS does, without an extension ("./harness").
  if (specifier.startsWith(".") && !path.extname(specifier))
    return next(specifier + ".js", context);
  return next(specifier, context);
};
