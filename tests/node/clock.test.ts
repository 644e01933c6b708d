// A device whose clock was never set (an ESP32 starts in 1970) must not verify certificates: the HTTPS
// request fails with ERR_CLOCK_NOT_SET, which says what to do. Node lane only: the simulator's clock is
// the machine's and cannot be set back (Time.set does nothing on lin); the validator's own case covers
// the rule in both lanes (tests/cases/validate-cases.ts).
import assert from "node:assert/strict";
import { HttpClient, HttpError } from "http/client";
import { config } from "../../host/runtime.js";

describe("clock not set", () => {
  it("an HTTPS request with verification fails with ERR_CLOCK_NOT_SET; with verify false it still connects", async () => {
    const url = `https://localhost:${String(config.fixtureHttpsPort)}/`;
    const realNow = Date.now;
    Date.now = () => Date.UTC(1970, 0, 1, 0, 0, 42); // as an ESP32 after boot, before SNTP
    const client = new HttpClient();
    try {
      await assert.rejects(client.request(url, { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 10000 } }), (error: unknown) => {
        assert.ok(error instanceof HttpError);
        assert.equal(error.code, "ERR_CLOCK_NOT_SET");
        assert.match(error.message, /set the clock/);
        return true;
      });
      const response = await client.request(url, { tls: { verify: false }, timeouts: { connect: 10000 } });
      assert.equal(await response.text(), "hello over TLS");
    }
    finally {
      Date.now = realNow;
      client.close();
    }
  });
});
