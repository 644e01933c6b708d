// The SDK's `wifi`, `net` and `sntp` as the app uses them. Run in both lanes where they can.
import WiFi from "wifi";
import Net from "net";
import SNTP from "sntp";
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
];
