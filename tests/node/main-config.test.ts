// main.ts reads config.urls (and its ports) at boot, as on a device: each entry it cannot use is traced once
// with ERR_CONFIG and its index, the others are fetched, and the summary is always printed. Node lane: the
// app runs on the host runtime in a child process with $HOST_CONFIG, against a local server that counts
// the requests it gets.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { startRecordingServer, type RecordingServer } from "../support/recording-server.js";
import { buildRoot, hostRegister } from "../../host/paths.js";


function app(config: Record<string, unknown>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", hostRegister, path.join(buildRoot, "main.js")], {
      env: { ...process.env, HOST_CONFIG: JSON.stringify({ ssid: "", ...config }) }, timeout: 30000,
    }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }));
  });
}

describe("main.ts and the shapes of config.urls", function () {
  this.timeout(40000);
  let server: RecordingServer;
  let base = "";
  let requests: string[] = [];

  before(async () => {
    server = await startRecordingServer((path) => `answer to ${path}`);
    ({ base, requests } = server);
  });
  beforeEach(() => void (requests.length = 0));
  after(() => server.close());

  it("a list with bad entries: each traced once with ERR_CONFIG and its index, the good ones fetched, the summary printed", async () => {
    const { code, output } = await app({
      urls: [`${base}/a`, null, 42, { verify: false }, { url: `${base}/b` }, "", { url: `${base}/c`, verfy: false }, ["x"], { url: `${base}/d`, verify: "no" }],
    });
    assert.equal(code, 0, output);
    for (const [index, why] of [[1, "is null"], [2, "is 42"], [3, "has no url"], [5, "is an empty string"], [6, 'has the unknown key "verfy"'], [7, 'is \\["x"\\]'], [8, 'has verify "no"']] as const) {
      assert.match(output, new RegExp(`main: ERR_CONFIG: config\\.urls\\[${index}\\] ${why}`), output);
      assert.equal(output.split(`config.urls[${index}]`).length - 1, 1, `config.urls[${index}] traced once`);
    }
    assert.doesNotMatch(output, /TypeError/);
    assert.deepEqual(requests.sort(), ["/a", "/b"]);
    assert.match(output, /main: done: 2 of 9 fetched, 7 failed \(7 not valid in config.urls\)/);
  });

  it("one string with one URL (as mcconfig passes urls=…) is one fetch, not one per character", async () => {
    const { output } = await app({ urls: `${base}/one` });
    assert.deepEqual(requests, ["/one"], output);
    assert.match(output, /main: done: 1 of 1 fetched, 0 failed/);
  });

  it("one string of URLs separated by commas or spaces fetches each", async () => {
    const { output } = await app({ urls: `${base}/1, ${base}/2 ${base}/3,${base}/4` });
    assert.deepEqual(requests, ["/1", "/2", "/3", "/4"], output);
    assert.match(output, /main: done: 4 of 4 fetched, 0 failed/);
  });

  it("one {url, …} object is fetched; an object with its options is checked like a list entry", async () => {
    const { output } = await app({ urls: { url: `${base}/object` } });
    assert.deepEqual(requests, ["/object"], output);
    assert.match(output, /main: done: 1 of 1 fetched, 0 failed/);
  });

  it("urls that is neither a list nor a string: ERR_CONFIG, nothing fetched, the summary printed", async () => {
    const { code, output } = await app({ urls: 42 });
    assert.equal(code, 0, output);
    assert.match(output, /main: ERR_CONFIG: config\.urls is 42: give a list of URLs/);
    assert.match(output, /main: done: 0 of 1 fetched, 1 failed/);
  });

  it("a port that is not one is traced with ERR_CONFIG, not silently ignored; the memory line says its figures are the host's", async () => {
    const { output } = await app({ urls: [], server: "eighty", secureServer: 70000 });
    assert.match(output, /main: ERR_CONFIG: config\.server is "eighty", not a port/);
    assert.match(output, /main: ERR_CONFIG: config\.secureServer is 70000, not a port/);
    assert.match(output, /main: memory: host figures \(Node, not the device's XS heaps\): V8 heap and buffers used \d+ bytes/);
    assert.doesNotMatch(output, /chunk heap used/);
    assert.match(output, /main: done: 0 of 0 fetched, 0 failed/);
  });
});
