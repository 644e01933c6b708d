// The raw TLS server (tools/raw-tls.ts) against Node's own TLS 1.2 client: its correct
// ServerKeyExchange gets the client to a ClientKeyExchange, and each forgery is refused before one.
import assert from "node:assert/strict";
import tls from "node:tls";
import { createTestPki, type TestPki } from "../../tools/pki.js";
import { startRawTlsServer, type RawTlsServer, type SkeFault } from "../../tools/raw-tls.js";

const WAIT_MS = 5000;

/** A TLS 1.2 handshake trusting the test root; resolves with the client's error, or "connected". */
function handshake(port: number, pki: TestPki): Promise<Error | "connected"> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1", port, ca: pki.root.pem, servername: "localhost", minVersion: "TLSv1.2", maxVersion: "TLSv1.2",
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no handshake outcome within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const settle = (outcome: Error | "connected") => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.once("secureConnect", () => settle("connected"));
    // `on`, not `once`: a second error after the first must not go unhandled.
    socket.on("error", settle);
  });
}

describe("raw TLS server", function () {
  let pki: TestPki;
  let server: RawTlsServer | undefined;

  before(async function () {
    this.timeout(30000);
    pki = await createTestPki();
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(fault: SkeFault): Promise<RawTlsServer> {
    server = await startRawTlsServer({
      chain: [pki.leaf.der, pki.intermediate.der],
      leafKeyPem: pki.leaf.keyPem,
      otherKeyPem: pki.strangerLeaf.keyPem,
      fault,
    });
    return server;
  }

  it("gets a client past a correct ServerKeyExchange", async () => {
    const raw = await start("none");
    const outcome = await handshake(raw.port, pki);
    assert.ok(outcome instanceof Error, "the server never finishes a handshake");
    // The server counts the ClientKeyExchange before it sends the alert this error reports.
    assert.equal(raw.clientKeyExchanges(), 1, `client stopped early: ${outcome.message}`);
    assert.match(String((outcome as NodeJS.ErrnoException).code), /ALERT_HANDSHAKE_FAILURE/);
  });

  for (const fault of ["unsigned", "sigalg-zero", "hash-zero", "other-key"] as const) {
    it(`gets a forged ServerKeyExchange refused: ${fault}`, async () => {
      const raw = await start(fault);
      const outcome = await handshake(raw.port, pki);
      assert.ok(outcome instanceof Error, "the client accepted the handshake");
      assert.equal(raw.clientKeyExchanges(), 0, `client sent a ClientKeyExchange, then: ${outcome.message}`);
    });
  }
});
