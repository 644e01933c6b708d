// `npm start`: runs the firmware app against an embedded local demo server, on the Node host runtime.
import http from "node:http";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const server = http.createServer((_request, response) => {
  response.setHeader("content-type", "text/plain");
  response.end("hello from the netkit demo server\n");
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;

console.log(process.env.MODDABLE
  ? "netkit: running the app on the Node host runtime (the simulator flow is in the README)"
  : "netkit: running the app on the Node host runtime (MODDABLE is not set)");
const app = spawn(process.execPath, ["--import", path.join(out, "tests/host/register.js"), path.join(out, "main.js")], {
  stdio: "inherit",
  env: { ...process.env, HOST_CONFIG: JSON.stringify({ urls: [`http://127.0.0.1:${port}/`] }) },
});
const code = await new Promise<number>((resolve) => app.on("exit", (c) => resolve(c ?? 1)));
server.close();
process.exit(code);
