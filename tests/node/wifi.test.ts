// net/wifi against the host runtime's scripted WiFi driver (Node lane only: the simulator's WiFi cannot
// be scripted to fail).
import assert from "node:assert/strict";
import { Station, WiFiError, type StationEvent } from "net/wifi";
import { wifiDriver } from "../../host/sdk/wifi.js";
import { traceSink } from "../../host/runtime.js";

const fast = { attemptTimeout: 200, backoff: 20, maxBackoff: 50 };

function record(station: Station): StationEvent[] {
  const events: StationEvent[] = [];
  station.on((event) => events.push(event));
  return events;
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end)
      throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("net/wifi Station (scripted host WiFi)", () => {
  beforeEach(() => wifiDriver.reset());

  it("joins on the first attempt and reports connected with ip and rssi", async () => {
    const station = new Station({ ssid: "home", password: "pw", ...fast });
    const events = record(station);
    const address = await station.join();
    station.close();
    assert.equal(address.ip, "127.0.0.1");
    assert.deepEqual(events.map((e) => e.type), ["connected"]);
    assert.deepEqual(wifiDriver.joins, ["home"]);
  });

  it("joins after two failed attempts, waiting 20 then 40 ms between them (exponential backoff)", async () => {
    wifiDriver.script = ["fail", "fail", "ok"];
    const station = new Station({ ssid: "home", password: "pw", ...fast });
    const events = record(station);
    await station.join();
    station.close();
    const retries = events.filter((e) => e.type === "retry");
    assert.deepEqual(retries.map((e) => e.type === "retry" && e.delay), [20, 40]);
    assert.equal(wifiDriver.joins.length, 3);
    const connected = events.find((e) => e.type === "connected");
    assert.equal(connected?.type === "connected" && connected.attempt, 3);
  });

  it("an attempt the access point never answers ends at its deadline and is retried", async () => {
    wifiDriver.script = ["silent", "ok"];
    const station = new Station({ ssid: "home", ...fast });
    const events = record(station);
    await station.join();
    station.close();
    assert.ok(events.some((e) => e.type === "disconnected" && e.reason === "timeout"));
  });

  it("gives up after the last attempt with ERR_WIFI_GAVE_UP", async () => {
    wifiDriver.script = ["fail", "fail", "fail"];
    const station = new Station({ ssid: "home", password: "pw", ...fast, attempts: 3 });
    await assert.rejects(station.join(), (error: unknown) => error instanceof WiFiError && error.code === "ERR_WIFI_GAVE_UP");
    station.close();
    assert.equal(wifiDriver.joins.length, 3);
  });

  it("a rejected password fails at once with ERR_WIFI_AUTH (no retries)", async () => {
    wifiDriver.script = ["auth"];
    const station = new Station({ ssid: "home", password: "wrong", ...fast });
    await assert.rejects(station.join(), (error: unknown) => error instanceof WiFiError && error.code === "ERR_WIFI_AUTH");
    station.close();
    assert.equal(wifiDriver.joins.length, 1);
  });

  it("rejoins by itself after the link drops", async () => {
    const station = new Station({ ssid: "home", password: "pw", ...fast });
    const events = record(station);
    await station.join();
    wifiDriver.drop();
    await until(() => events.filter((e) => e.type === "connected").length === 2);
    station.close();
    assert.deepEqual(events.map((e) => e.type), ["connected", "disconnected", "connected"]);
    assert.ok(events.some((e) => e.type === "disconnected" && e.reason === "dropped"));
  });

  it("never puts the password in trace output, through retries, failure and success", async () => {
    const secret = "s3cret-Pa55word";
    const traced: string[] = [];
    const write = traceSink.write;
    traceSink.write = (text) => void traced.push(text);
    try {
      wifiDriver.script = ["fail", "silent", "ok"];
      const station = new Station({ ssid: "home", password: secret, ...fast });
      await station.join();
      wifiDriver.drop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      station.close();
      wifiDriver.script = ["auth"];
      const rejected = new Station({ ssid: "home", password: secret, ...fast });
      await rejected.join().catch(() => undefined);
      rejected.close();
    }
    finally {
      traceSink.write = write;
    }
    assert.ok(traced.length >= 5, `traced ${traced.length} lines`);
    assert.ok(traced.every((line) => !line.includes(secret)), "password in trace output");
  });
});
