// main.ts when the WiFi link drops between fetches: it says so, waits for the station to rejoin, and the
// remaining requests succeed. Node lane only: the host runtime's WiFi driver can drop the link on cue; the
// simulator's cannot. The app runs in this process against a server that drops the link while it answers.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { config, traceSink } from "../../host/runtime.js";
import { wifiDriver } from "../../host/sdk/wifi.js";

describe("main.ts and a lost WiFi link", function () {
  this.timeout(30000);

  it("traces the drop, waits for the rejoin, and fetches the remaining URLs", async () => {
    let served = 0;
    const server = http.createServer((_request, response) => {
      const body = `response ${++served}`;
      if (served > 1)
        return response.end(body);
      wifiDriver.drop(); // the link goes while the first response is on its way, which then arrives
      setTimeout(() => response.end(body), 100); // after the station has heard of it
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const write = traceSink.write;
    const saved = { ssid: config.ssid, password: config.password, urls: config.urls };
    Object.assign(config, { ssid: "netkit-test", password: "never-traced", urls: [`${base}/1`, `${base}/2`, `${base}/3`] });
    wifiDriver.reset();
    // joined at once; after the drop, the first rejoin fails, the second (after the 1 s backoff) succeeds:
    // the outage outlasts the first response, whatever the machine's speed
    wifiDriver.script = ["ok", "fail", "ok"];
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    traceSink.write = (text: string) => {
      lines.push(text);
      if (text.includes("main: done"))
        done();
    };
    try {
      await import("../../main.js");
      await Promise.race([finished, new Promise((_, reject) => setTimeout(() => reject(new Error(`no summary within 20 s:\n${lines.join("")}`)), 20000))]);
    }
    finally {
      traceSink.write = write;
      Object.assign(config, saved);
      server.close();
    }
    const output = lines.join("");
    assert.match(output, /main: WiFi down \(dropped\)/);
    assert.match(output, /main: waiting up to 60 s for WiFi to come back/);
    assert.equal(output.match(/main: WiFi up, ip /g)?.length, 2, output);
    assert.match(output, /main: done: 3 of 3 fetched, 0 failed/);
    assert.ok(output.indexOf("WiFi down") < output.indexOf("/2: 200 OK"), "the second fetch comes after the drop");
    assert.ok(!output.includes("never-traced"), "no password in the trace");
    assert.deepEqual(wifiDriver.joins, ["netkit-test", "netkit-test", "netkit-test"]);
  });
});
