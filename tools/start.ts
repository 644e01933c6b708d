// `npm start`: runs the firmware app against embedded local demo servers (HTTP, and HTTPS with a demo CA
// made on first run in .demo/, outside the firmware's certs/): on the SDK's simulator when MODDABLE is set
// (and its tools are there), else on the Node host runtime.
// `--without http|https` leaves one demo server out, to see a failure traced with its code.
import http from "node:http";
import https from "node:https";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { X509Certificate } from "node:crypto";
// (typed as net.Server: @moddable/typings also declares a module "http", which merges with Node's)
import type { AddressInfo, Server } from "node:net";
import { issue } from "../tests/support/pki.js";
import { buildForSimulator, runInSimulator, simulatorUnavailable } from "./simulator.js";

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");   // build/node
const projectRoot = path.resolve(out, "..", "..");
const demoDir = path.join(projectRoot, ".demo");

const { values } = parseArgs({ options: { without: { type: "string", multiple: true, default: [] } } });
const without = new Set(values.without);

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
/** The app on the host runtime, with the demo CA among its resources. */
async function onHost(): Promise<number> {
  const app = spawn(process.execPath, ["--import", path.join(out, "tests/host/register.js"), path.join(out, "main.js")], {
    stdio: "inherit",
    env: { ...process.env, HOST_CONFIG: JSON.stringify({ ssid: "netkit-demo", urls }), HOST_RESOURCES: demoDir },
  });
  return new Promise<number>((resolve) => app.on("exit", (c) => resolve(c ?? 1)));
}

/** The app built for the simulator through a wrapper manifest: the project's, plus the demo CA and URLs. */
async function onSimulator(): Promise<number> {
  const wrapper = mkdtempSync(path.join(tmpdir(), "netkit-start-"));
  mkdirSync(path.join(wrapper, "resources"));
  copyFileSync(path.join(demoDir, "demo-ca.pem"), path.join(wrapper, "resources", "demo-ca.pem"));
  writeFileSync(path.join(wrapper, "manifest.json"), JSON.stringify({
    include: [path.join(projectRoot, "manifest.json")],
    resources: { "*": ["./resources/*"] },
    config: { ssid: "netkit-demo", urls },
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

const unavailable = simulatorUnavailable();
let code: number;
if (!unavailable) {
  console.log("netkit: running the app on the SDK's simulator (MODDABLE is set)");
  code = await onSimulator();
}
else {
  console.log(`netkit: running the app on the Node host runtime (${unavailable})`);
  code = await onHost();
}
for (const server of servers)
  server.close();
process.exit(code);
