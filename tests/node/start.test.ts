// `npm start` end to end on the host runtime: the app against the embedded demo servers, against URLs given
// on the command line, and every command line it cannot use refused in one line (exit 2, no stack trace).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";
import { buildRoot } from "../../host/paths.js";

const start = path.join(buildRoot, "tools", "start.js");

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string; stderr: string }> {
  return new Promise((resolve) => {
    const environment = { ...process.env, ...env };
    delete environment.MODDABLE;
    if (!env.HOST_CONFIG)
      delete environment.HOST_CONFIG;
    execFile(process.execPath, [start, ...args], { env: environment, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr, stderr });
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

describe("npm start with its own URLs and config", function () {
  this.timeout(60000);
  let server: RecordingServer;
  let base = "";
  let requests: string[] = [];

  before(async () => {
    server = await startRecordingServer(() => "local answer");
    ({ base, requests } = server);
  });
  beforeEach(() => void (requests.length = 0));
  after(() => server.close());

  it("npm start -- URL… fetches those URLs, and no demo server", async () => {
    const { code, output } = await run([`${base}/one`, `${base}/two`]);
    assert.equal(code, 0, output);
    assert.deepEqual(requests, ["/one", "/two"]);
    assert.match(output, /main: done: 2 of 2 fetched, 0 failed/);
    assert.doesNotMatch(output, /netkit demo/);
  });

  it("urls='[…]' (key=value, as on the mcconfig line) takes a JSON list", async () => {
    const { code, output } = await run([`urls=${JSON.stringify([`${base}/json`, { url: `${base}/object` }])}`]);
    assert.equal(code, 0, output);
    assert.deepEqual(requests, ["/json", "/object"]);
    assert.match(output, /main: done: 2 of 2 fetched, 0 failed/);
  });

  it("$HOST_CONFIG is kept, not overwritten", async () => {
    const { code, output } = await run([], { HOST_CONFIG: JSON.stringify({ urls: [`${base}/from-env`] }) });
    assert.equal(code, 0, output);
    assert.deepEqual(requests, ["/from-env"]);
  });

  it("--help prints the usage and exits 0", async () => {
    const { code, output } = await run(["--help"]);
    assert.equal(code, 0, output);
    assert.match(output, /^usage: npm start/);
    assert.match(output, /--without http\|https/);
  });

  for (const [args, message, env] of [
    [["--without"], /--without.*argument missing/],
    [["--without", "ftp"], /--without takes http or https, not "ftp"/],
    [["--verbose"], /Unknown option '--verbose'/],
    [["example.com"], /"example.com" is neither an http:\/\/ or https:\/\/ URL nor key=value/],
    [["ftp://example.com/"], /neither an http:\/\/ or https:\/\/ URL/],
    [["colour=blue"], /unknown config key "colour"/],
    [["urls=[\"http://127.0.0.1:1/\""], /urls=… is not valid JSON/],
    [["--without", "https", "http://127.0.0.1:1/"], /--without leaves out a demo server/],
    [[], /\$HOST_CONFIG is not JSON/, { HOST_CONFIG: "{urls:" }],
  ] as [string[], RegExp, Record<string, string>?][]) {
    it(`refuses ${args.length ? args.join(" ") : "$HOST_CONFIG=" + env?.HOST_CONFIG} in one line, exit 2, no stack trace`, async () => {
      const { code, output, stderr } = await run(args, env);
      assert.equal(code, 2, output);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.doesNotMatch(output, /^\s+at |ERR_PARSE_ARGS/m);
      assert.deepEqual(requests, []);
    });
  }
});
