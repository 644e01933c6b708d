// verify: false (the chapter's CERT_NONE) is allowed, and said: once per host in the trace, not per request.
// Node lane only: the simulator lane cannot read the app's trace from inside the app.
import assert from "node:assert/strict";
import { HttpClient } from "http/client";
import { clearTlsCache } from "http/transport/secure-options";
import { config, traceSink } from "../../host/runtime.js";

describe("encrypt-only HTTPS", () => {
  it("warns once per host, however many requests, and each request connects", async () => {
    const lines: string[] = [];
    const write = traceSink.write;
    traceSink.write = (text: string) => lines.push(text);
    clearTlsCache(); // forget hosts warned about by earlier tests
    const client = new HttpClient();
    try {
      for (const name of ["expired_leaf", "forged_root", "expired_leaf"]) {
        const response = await client.request(`https://127.0.0.1:${String(config[`zoo_${name}`])}/`, { tls: { verify: false }, timeouts: { connect: 10000 } });
        assert.equal(await response.text(), `zoo ${name}`);
      }
    }
    finally {
      traceSink.write = write;
      client.close();
    }
    const warnings = lines.join("").split("\n").filter((line) => line.includes("WARNING 127.0.0.1: tls.verify is false"));
    assert.equal(warnings.length, 1, lines.join(""));
  });
});
