// `npm start` end to end on the host runtime: the app against the embedded demo servers.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const start = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "tools", "start.js");

function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.MODDABLE;
    execFile(process.execPath, [start, ...args], { env, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe("npm start (the app against its demo servers, on the host runtime)", function () {
  this.timeout(90000);

  it("fetches over HTTP, verified HTTPS and encrypt-only HTTPS, and closes with the summary", async () => {
    const { code, output } = await run([]);
    assert.equal(code, 0, output);
    assert.equal(output.match(/: 200 OK/g)?.length, 3, output);
    assert.match(output, /hello from the netkit demo HTTP server/);
    assert.match(output, /hello from the netkit demo HTTPS server/);
    assert.match(output, /http: WARNING localhost: tls.verify is false/);
    assert.match(output, /time ms: dns \d+, connect \d+, tls \d+, first byte \d+, body \d+/);
    assert.match(output, /main: http: connections \d+ \(open \d+\), reused \d+, handshakes 2 \(0 refused\)/);
    assert.match(output, /main: memory: host figures \(Node, not the device's XS heaps\): V8 heap and buffers used \d+ bytes, V8 heap used \d+ bytes/);
    assert.match(output, /main: done: 3 of 3 fetched, 0 failed/);
  });

  it("with the HTTPS demo server stopped, the HTTP fetch still succeeds and each failure is traced with its code", async () => {
    const { code, output } = await run(["--without", "https"]);
    assert.equal(code, 0, output);
    assert.equal(output.match(/FAILED ERR_CONNECT_REFUSED/g)?.length, 2, output);
    assert.match(output, /main: done: 1 of 3 fetched, 2 failed/);
  });
});
