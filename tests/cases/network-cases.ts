// The SDK's `wifi`, `net` and `sntp` as the app uses them. Run in both lanes where they can.
import WiFi from "wifi";
import Net from "net";
import SNTP from "sntp";
import { Station } from "net/wifi";
import { BUILD_TIME, ClockError, clockIsSet, setClock } from "net/time";
import { assert, deadline, equal, type TestCase } from "./harness";
import { fixtureHost, fixturePort } from "./fixture";

export const networkCases: TestCase[] = [
  {
    name: "net: the station has an IPv4 address, and Net.resolve answers an IPv4 literal with itself",
    async run() {
      const ip = Net.get("IP");
      assert(typeof ip === "string" && /^\d+\.\d+\.\d+\.\d+$/.test(ip), `Net.get("IP") = ${ip}`);
      // Not "localhost": lin's Net.resolve keeps only the first address and drops it when it is IPv6 (::1).
      const address = await deadline(new Promise<string | undefined>((resolve) => Net.resolve(fixtureHost(), (_name, found) => resolve(found))), 5000, "Net.resolve callback");
      equal(address, fixtureHost(), "resolved address");
    },
  },
  {
    name: "wifi: a station connection reports connect, then gotIP",
    async run() {
      const seen: string[] = [];
      await deadline(new Promise<void>((resolve) => {
        const wifi = new WiFi({ ssid: "test", password: "not-traced" }, (message) => {
          seen.push(message);
          if (message === WiFi.gotIP) {
            wifi.close();
            resolve();
          }
        });
      }), 5000, "gotIP");
      equal(seen.join(","), "connect,gotIP", "messages");
    },
  },
  {
    name: "net/wifi: a Station joins and reports its IPv4 address",
    async run() {
      const station = new Station({ ssid: "netkit-test", password: "not-traced", attemptTimeout: 5000 });
      const { ip } = await deadline(station.join(), 8000, "join");
      station.close();
      assert(/^\d+\.\d+\.\d+\.\d+$/.test(ip), `ip ${ip}`);
    },
  },
  {
    name: "sntp: a server's answer arrives as seconds since 1970",
    skip: { lane: "sim", reason: "the SDK's sntp always asks port 123; the runner binds no privileged port" },
    async run() {
      void fixturePort("Sntp"); // the host runtime is pointed at it by $HOST_SNTP_PORT
      const seconds = await deadline(new Promise<number>((resolve, reject) => {
        new SNTP({ host: fixtureHost() }, (message, value) => {
          if (message === SNTP.time)
            resolve(value as number);
          else if (message === SNTP.error)
            reject(new Error(`SNTP error: ${value}`));
        });
      }), 5000, "SNTP time");
      const now = Date.now() / 1000;
      assert(Math.abs(seconds - now) < 5, `SNTP said ${seconds}, the clock says ${now}`);
    },
  },
  {
    name: "net/time: the firmware's build time is a recent past moment; now counts as set, 1970 does not",
    async run() {
      assert(BUILD_TIME > Date.UTC(2024, 0, 1), `BUILD_TIME ${BUILD_TIME}`);
      assert(BUILD_TIME <= Date.now(), `BUILD_TIME ${BUILD_TIME} is after now ${Date.now()}`);
      equal(clockIsSet(), true, "clockIsSet() now");
      equal(clockIsSet(0), false, "clockIsSet(1970)");
    },
  },
  {
    name: "net/time: setClock sets the clock from the SNTP answer",
    skip: { lane: "sim", reason: "the SDK's sntp always asks port 123; the runner binds no privileged port" },
    async run() {
      void fixturePort("Sntp");
      const date = await setClock({ servers: [fixtureHost()], timeout: 5000 });
      assert(Math.abs(date.getTime() - Date.now()) < 5000, `clock set to ${date.toISOString()}`);
    },
  },
  {
    name: "net/time: SNTP servers that never answer end in ERR_SNTP_TIMEOUT at the deadline",
    async run() {
      const started = Date.now();
      let error: unknown;
      try {
        await setClock({ servers: ["127.0.0.2", "127.0.0.3"], timeout: 1500 });
      }
      catch (e) {
        error = e;
      }
      assert(error instanceof ClockError, `expected ClockError, got ${String(error)}`);
      equal(error.code, "ERR_SNTP_TIMEOUT", "code");
      const elapsed = Date.now() - started;
      assert(elapsed >= 1400 && elapsed < 4000, `failed after ${elapsed} ms`);
    },
  },
];
