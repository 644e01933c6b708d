// State the host runtime's built-ins share, and the knobs tests and `npm start` turn. Node-only.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { projectRoot } from "./paths.js";

/** Where `trace()` output goes: stdout unless a test or runner captures it. */
export const traceSink = {
  write(text: string): void {
    process.stdout.write(text);
  },
};

/** Counters behind the host `instrumentation` module. */
export const counters = {
  sockets: 0,
  bytesRead: 0,
  bytesWritten: 0,
  timers: 0,
};

interface Manifest {
  config?: Record<string, unknown>;
  resources?: Record<string, string | string[]>;
}

/** The app manifest the host runtime stands in for: $HOST_MANIFEST, else the project's manifest.json. */
export const manifestPath = path.resolve(process.env.HOST_MANIFEST ?? path.join(projectRoot, "manifest.json"));
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;

/** `mc/config`: the manifest's config, then overrides given as JSON in $HOST_CONFIG (like mcconfig's key=value). */
export const config: Record<string, unknown> = {
  ...(manifest.config ?? {}),
  ...(process.env.HOST_CONFIG ? JSON.parse(process.env.HOST_CONFIG) as Record<string, unknown> : {}),
};

/** Folders `Resource` looks in: the manifest's `resources` folders, then $HOST_RESOURCES (path-separated). */
export const resourceDirs: string[] = [];
for (const entries of Object.values(manifest.resources ?? {})) {
  for (const entry of ([] as string[]).concat(entries)) {
    if (entry.includes("$("))
      continue;
    const resolved = path.resolve(path.dirname(manifestPath), entry);
    resourceDirs.push(resolved.endsWith("*") ? path.dirname(resolved) : path.dirname(resolved));
  }
}
for (const dir of (process.env.HOST_RESOURCES ?? "").split(path.delimiter).filter(Boolean))
  resourceDirs.push(path.resolve(dir));

/**
 * Name resolution of the host `Socket`: IP literals as they are, `localhost` to loopback (RFC 6761),
 * everything else through DNS servers: $HOST_DNS ("127.0.0.1:5353", comma-separated) or the system's.
 * Tests point $HOST_DNS at a DNS server of their own on loopback.
 */
export async function resolveHost(name: string): Promise<string> {
  if (isIP(name))
    return name;
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "localhost" || lower.endsWith(".localhost"))
    return "127.0.0.1";
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  if (process.env.HOST_DNS)
    resolver.setServers(process.env.HOST_DNS.split(","));
  const [address] = await resolver.resolve4(name);
  return address;
}
