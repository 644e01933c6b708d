// `npm start [-- options] [URL…] [key=value…]`: runs the firmware app on the Node host runtime, or on the
// SDK's simulator when MODDABLE is set (and its tools are there). With URLs it fetches those; without, it
// fetches three URLs from embedded local demo servers (HTTP, and HTTPS with a demo CA made on first run in
// .demo/, outside the firmware's certs/). `--without http|https` leaves one demo server out, to see a
// failure traced with its code; `key=value` sets a config value as on the mcconfig line. Anything it
// cannot parse is one line and exit 2, never a stack trace.
import http from "node:http";
import https from "node:https";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { X509Certificate } from "node:crypto";
// (typed as net.Server: @moddable/typings also declares a module "http", which merges with Node's)
import type { AddressInfo, Server } from "node:net";
import { issue } from "./pki.js";
import { buildRoot, hostRegister, projectRoot } from "../host/paths.js";
import { buildForSimulator, runInSimulator, simulatorUnavailable } from "./simulator.js";

const demoDir = path.join(projectRoot, ".demo");

export const usage = `usage: npm start [-- [options] [URL…] [key=value…]]

Runs the firmware app (main.ts) on the Node host runtime, or on the SDK's simulator when MODDABLE is set,
and prints what the device would trace.

  URL…                  fetch these (http:// or https://; https verified against certs/) instead of
                        the demo servers' three URLs
  key=value…            set a value of manifest.json's config, as on the mcconfig line: server=8080,
                        urls=http://a/,http://b/ (a JSON value, such as urls='["http://a/"]', is read as JSON)
  --without http|https  leave that demo server out, to see a failure traced with its code (repeatable)
  -h, --help            this text

$HOST_CONFIG (JSON) sets config values too; the command line wins over it.
exit codes: the app's (0 once it has printed its summary), 2 for a usage error`;

/** A command line `npm start` cannot use: one line, exit 2. */
export class UsageError extends Error {}

export interface StartOptions {
  help: boolean;
  /** Demo servers left out. */
  without: Set<"http" | "https">;
  /** URLs given on the command line (none: the demo servers' URLs). */
  urls: string[];
  /** Config values from $HOST_CONFIG, then key=value arguments. */
  config: Record<string, unknown>;
}

/** The keys of the app's config (manifest.json) a command line may set. */
function configKeys(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(projectRoot, "manifest.json"), "utf8")) as { config?: Record<string, unknown> };
  return [...Object.keys(manifest.config ?? {}), "sntp"];
}

/** A key=value value: JSON when it parses as a list, an object, a number or a boolean, else the string. */
function configValue(key: string, text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value !== "string")
      return value;
  }
  catch (error) {
    if (text.startsWith("[") || text.startsWith("{")) // meant as JSON
      throw new UsageError(`${key}=… is not valid JSON (${(error as Error).message})`);
    // else a plain string, as mcconfig passes it
  }
  return text;
}

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        without: { type: "string", multiple: true, default: [] },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  }
  catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  const { values, positionals } = parsed;
  const without = new Set<"http" | "https">();
  for (const name of values.without) {
    if (name !== "http" && name !== "https")
      throw new UsageError(`--without takes http or https, not "${name}"`);
    without.add(name);
  }
  let config: Record<string, unknown> = {};
  if (env.HOST_CONFIG) {
    try {
      config = JSON.parse(env.HOST_CONFIG) as Record<string, unknown>;
    }
    catch (error) {
      throw new UsageError(`$HOST_CONFIG is not JSON (${(error as Error).message})`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config))
      throw new UsageError("$HOST_CONFIG is not a JSON object of config values");
  }
  const urls: string[] = [];
  const keys = configKeys();
  for (const argument of positionals) {
    const equals = argument.indexOf("=");
    const key = equals > 0 ? argument.slice(0, equals) : "";
    if (key && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      if (!keys.includes(key))
        throw new UsageError(`unknown config key "${key}" (known: ${keys.join(", ")})`);
      config[key] = configValue(key, argument.slice(equals + 1));
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(argument);
    }
    catch {
      // reported below
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new UsageError(`"${argument}" is neither an http:// or https:// URL nor key=value`);
    urls.push(argument);
  }
  if (urls.length && config.urls !== undefined)
    throw new UsageError("give URLs or urls=…, not both");
  if (without.size && (urls.length || config.urls !== undefined))
    throw new UsageError("--without leaves out a demo server: it has no effect on URLs you give");
  return { help: values.help, without, urls, config };
}

/** The demo CA and a localhost server certificate it issued: made once, reused while valid. */
async function demoCredentials(): Promise<{ cert: string; key: string }> {
  const files = { ca: path.join(demoDir, "demo-ca.pem"), cert: path.join(demoDir, "demo-server.pem"), key: path.join(demoDir, "demo-server-key.pem") };
  if (existsSync(files.cert) && existsSync(files.key) && existsSync(files.ca)) {
    const leaf = new X509Certificate(readFileSync(files.cert));
    if (new Date(leaf.validTo).getTime() > Date.now() + 24 * 3600 * 1000)
      return { cert: readFileSync(files.cert, "utf8"), key: readFileSync(files.key, "utf8") };
  }
  mkdirSync(demoDir, { recursive: true });
  const root = await issue({ subject: "CN=netkit demo CA", ca: true });
  const intermediate = await issue({ subject: "CN=netkit demo intermediate", ca: true, pathLength: 0, issuer: root });
  const leaf = await issue({ subject: "CN=localhost", issuer: intermediate, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  writeFileSync(files.ca, root.pem);
  writeFileSync(files.cert, leaf.pem + intermediate.pem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  console.log(`netkit: made a demo CA in ${path.relative(projectRoot, demoDir)}/ (not part of the firmware)`);
  return { cert: leaf.pem + intermediate.pem, key: leaf.keyPem };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const page = (scheme: string) => (_request: unknown, response: { setHeader(name: string, value: string): void; end(text: string): void }) => {
  response.setHeader("content-type", "text/plain");
  response.setHeader("server", "netkit-demo");
  response.end(`hello from the netkit demo ${scheme} server\n`);
};

/** The demo servers (those not left out) and the URLs that fetch from them. */
async function startDemo(without: Set<string>): Promise<{ servers: Server[]; urls: unknown[] }> {
  const servers: Server[] = [];
  const httpServer = http.createServer(page("HTTP"));
  const httpsServer = https.createServer(await demoCredentials(), page("HTTPS"));
  httpsServer.on("tlsClientError", () => undefined);
  // A server left out still gets a port, closed at once: requests to it are refused.
  const httpPort = await listen(httpServer);
  const httpsPort = await listen(httpsServer);
  for (const [name, server] of [["http", httpServer], ["https", httpsServer]] as const) {
    if (without.has(name))
      server.close();
    else
      servers.push(server);
  }
  const urls = [
    `http://127.0.0.1:${httpPort}/`,
    { url: `https://localhost:${httpsPort}/`, ca: "demo-ca.pem" },
    { url: `https://localhost:${httpsPort}/`, verify: false },
  ];
  return { servers, urls };
}

/** The app on the host runtime, with the demo CA among its resources. */
async function onHost(config: Record<string, unknown>): Promise<number> {
  const app = spawn(process.execPath, ["--import", hostRegister, path.join(buildRoot, "main.js")], {
    stdio: "inherit",
    env: { ...process.env, HOST_CONFIG: JSON.stringify(config), HOST_RESOURCES: [demoDir, process.env.HOST_RESOURCES].filter(Boolean).join(path.delimiter) },
  });
  return new Promise<number>((resolve) => app.on("exit", (c) => resolve(c ?? 1)));
}

/** The app built for the simulator through a wrapper manifest: the project's, plus the demo CA and the config. */
async function onSimulator(config: Record<string, unknown>): Promise<number> {
  const wrapper = mkdtempSync(path.join(tmpdir(), "netkit-start-"));
  mkdirSync(path.join(wrapper, "resources"));
  if (existsSync(path.join(demoDir, "demo-ca.pem")))
    copyFileSync(path.join(demoDir, "demo-ca.pem"), path.join(wrapper, "resources", "demo-ca.pem"));
  writeFileSync(path.join(wrapper, "manifest.json"), JSON.stringify({
    include: [path.join(projectRoot, "manifest.json")],
    resources: { "*": ["./resources/*"] },
    config,
  }, null, 2));
  console.log("netkit: building the app for the simulator (mcconfig -d -m -p lin -t build)…");
  const built = buildForSimulator(path.join(wrapper, "manifest.json"));
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const run = await runInSimulator(built, (line) => {
    if (/^(xsdb listening|Connected to|#xsbug-log)/.test(line))
      return;
    console.log(line);
    if (line.startsWith("main: done:"))
      finish(0);
    if (line.startsWith("XS abort"))
      finish(1);
  });
  run.exited.then(() => finish(1));
  const timer = setTimeout(() => {
    console.log("netkit: the app did not finish within 180 s");
    finish(1);
  }, 180_000);
  const code = await finished;
  clearTimeout(timer);
  run.stop();
  built.dispose();
  rmSync(wrapper, { recursive: true, force: true });
  return code;
}

async function main(argv: string[]): Promise<number> {
  let options: StartOptions;
  try {
    options = parseStartArgs(argv);
  }
  catch (error) {
    if (!(error instanceof UsageError))
      throw error;
    process.stderr.write(`npm start: ${error.message} (npm start -- --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(usage + "\n");
    return 0;
  }
  const config: Record<string, unknown> = { ssid: "netkit-demo", ...options.config };
  let servers: Server[] = [];
  if (options.urls.length)
    config.urls = options.urls;
  else if (config.urls === undefined)
    ({ servers, urls: config.urls } = await startDemo(options.without));
  try {
    const unavailable = simulatorUnavailable();
    if (!unavailable) {
      console.log("netkit: running the app on the SDK's simulator (MODDABLE is set)");
      return await onSimulator(config);
    }
    console.log(`netkit: running the app on the Node host runtime (${unavailable})`);
    return await onHost(config);
  }
  finally {
    for (const server of servers)
      server.close();
  }
}

process.exit(await main(process.argv.slice(2)));
