// The SDK's data and system modules our code uses, as documented. Run in both lanes.
import Timer from "timer";
import Resource from "Resource";
import config from "mc/config";
import Instrumentation from "instrumentation";
import Headers from "headers";
import { URL } from "url";
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";
import { assert, deadline, equal, equalBytes, type TestCase } from "./harness";

export const sdkCases: TestCase[] = [
  {
    name: "timer: set fires once after its interval, repeat fires until cleared, clear cancels",
    async run() {
      const started = Date.now();
      let cancelledFired = false;
      const cancelled = Timer.set(() => (cancelledFired = true), 30);
      Timer.clear(cancelled);
      const once = new Promise<number>((resolve) => Timer.set(() => resolve(Date.now() - started), 40));
      let ticks = 0;
      const repeated = new Promise<void>((resolve) => {
        const timer = Timer.repeat(() => {
          if (++ticks === 3) {
            Timer.clear(timer);
            resolve();
          }
        }, 10);
      });
      const elapsed = await deadline(once, 2000, "Timer.set callback");
      await deadline(repeated, 2000, "three Timer.repeat callbacks");
      assert(elapsed >= 35, `Timer.set(…, 40) fired after ${elapsed} ms`);
      await new Promise<void>((resolve) => Timer.set(() => resolve(), 30));
      equal(ticks, 3, "repeat ticks after clear");
      equal(cancelledFired, false, "a cleared timer fired");
    },
  },
  {
    name: "Resource: an existing resource reads as bytes, a missing one does not exist and throws",
    async run() {
      assert(Resource.exists("fixture-ca.der"), "fixture-ca.der should exist");
      const der = new Uint8Array(new Resource("fixture-ca.der") as unknown as ArrayBuffer);
      equal(der[0], 0x30, "first byte of a DER certificate (SEQUENCE)");
      equal(Resource.exists("no-such-resource.der"), false, "exists() of a missing resource");
      let threw = false;
      try {
        new Resource("no-such-resource.der");
      }
      catch {
        threw = true;
      }
      assert(threw, "a missing resource should throw");
    },
  },
  {
    name: "mc/config: values given to the build are in the config object",
    async run() {
      assert(Number(config.fixtureEchoPort) > 0, `config.fixtureEchoPort = ${config.fixtureEchoPort}`);
    },
  },
  {
    name: "instrumentation: named counters map to indexes and read as numbers",
    async run() {
      const index = Instrumentation.map("XS Chunk Heap Used");
      assert(typeof index === "number", "XS Chunk Heap Used has an index");
      equal(Instrumentation.name(index), "XS Chunk Heap Used", "name of that index");
      const used = Instrumentation.get(index);
      assert(typeof used === "number" && used > 0, `chunk heap used = ${used}`);
    },
  },
  {
    name: "Uint8Array.fromBase64, text/encoder, text/decoder: UTF-8 text round-trips through base64",
    async run() {
      const text = "héllo, wörld ✓";
      const bytes = new TextEncoder().encode(text);
      equalBytes(Uint8Array.fromBase64("aMOpbGxvLCB3w7ZybGQg4pyT"), Array.from(bytes), "decoded bytes of the UTF-8 text");
      equalBytes(Uint8Array.fromBase64("AAEC/w=="), [0, 1, 2, 255], "decoded bytes");
      equal(new TextDecoder().decode(Uint8Array.fromBase64("aMOpbGxvLCB3w7ZybGQg4pyT")), text, "decoded text");
      let threw = false;
      try {
        Uint8Array.fromBase64("not base64!");
      }
      catch {
        threw = true;
      }
      assert(threw, "invalid base64 should throw");
    },
  },
  {
    name: "headers and url: header names are case-insensitive, URLs parse and resolve",
    async run() {
      const headers = new Headers();
      headers.set("Content-Type", "text/plain");
      equal(headers.get("content-TYPE"), "text/plain", "header lookup");
      const url = new URL("../b?q=1#f", "http://example.com:8080/a/c");
      equal(url.href, "http://example.com:8080/b?q=1#f", "resolved href");
      equal(url.port, "8080", "port");
      equal(url.search, "?q=1", "search");
    },
  },
];
