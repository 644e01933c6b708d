// main.ts with config.server: it serves /temperature while its own fetches are under way, and a slow
// fetch neither delays the answers nor is delayed by them. Node lane: the app runs on the host runtime in a
// child process (it keeps serving, so the test ends it), queried from here over loopback.
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { accepts, freePort } from "../../tools/ports.js";
import { buildRoot, hostRegister } from "../../host/paths.js";


function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

describe("main.ts serving beside its fetches (config.server)", function () {
  this.timeout(30000);
  let app: ChildProcess | undefined;
  let slow: net.Server | undefined; // (net.Server: @moddable/typings also declares a module "http")

  after(() => {
    app?.kill();
    slow?.close();
  });

  it("answers /temperature while a slow fetch is pending, and the fetch completes", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server: net.Server = http.createServer((_request, response) => {
      void held.then(() => response.end("slow answer"));
    });
    slow = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const slowUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const port = await freePort();
    let output = "";
    app = spawn(process.execPath, ["--import", hostRegister, path.join(buildRoot, "main.js")], {
      env: { ...process.env, HOST_CONFIG: JSON.stringify({ ssid: "", server: port, urls: [slowUrl] }) },
    });
    app.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    app.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 100 && !output.includes("main: serving http"); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(output, new RegExp(`main: serving http on port ${port}`), output);
    // The host Listener binds through Node, a moment after the trace (the SDK's binds in its constructor):
    // wait for the port to accept, at most 2 s.
    for (let i = 0; i < 40 && !(await accepts(port)); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    // the app's fetch is waiting on the slow server: the app answers anyway
    for (let i = 0; i < 3; i++) {
      const { status, body } = await get(`http://127.0.0.1:${port}/temperature`);
      assert.equal(status, 200, body);
      const reading = JSON.parse(body) as { value: number; unit: string; time: string };
      assert.equal(typeof reading.value, "number");
      assert.equal(reading.unit, "C");
      assert.ok(!Number.isNaN(Date.parse(reading.time)));
    }
    assert.ok(!output.includes("main: done"), `the fetch was still pending:\n${output}`);
    release();
    for (let i = 0; i < 100 && !output.includes("main: done"); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(output, /main: done: 1 of 1 fetched, 0 failed/, output);
    const page = await get(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200, "still serving after the fetches");
    assert.match(page.body, /<div id="v">\d+\.\d °C<\/div>/, "the page of GET / shows the reading (tests/node/browser.test.ts loads it in Chromium)");
  });
});
