// The HTTP client over our TLS 1.3 client (tls.maxVersion "TLSv1.3", http/transport/tls13), against Node
// HTTPS servers that speak TLS 1.3 only or 1.2 only, and a raw server that forces the fallback to 1.2 and then
// answers with the downgrade sentinel. The host's `socket` is plain TCP: the 1.3 handshake under test is ours;
// the 1.2 fallback is the host's SecureSocket (Node's TLS, our validator and sentinel check).
import assert from "node:assert/strict";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { HttpClient, HttpError } from "http/client";
import { httpStats } from "http/stats";
import { forgetOlderServers } from "http/transport/tls13";
import { createTestPki, issue, type Issued, type TestPki } from "../../tools/pki.js";
import { startDowngrader as downgrader } from "../support/downgrader.js";

interface Server {
  port: number;
  /** TCP connections accepted, and TLS sessions full and resumed. */
  connections: number;
  full: number;
  resumed: number;
  close(): Promise<void>;
}

async function httpsServer(version: "TLSv1.2" | "TLSv1.3", leaf: Issued, intermediate: Issued): Promise<Server> {
  const server = https.createServer({ cert: leaf.pem + intermediate.pem, key: leaf.keyPem, minVersion: version, maxVersion: version }, (request, response) => {
    response.end(`hello over ${(request.socket as import("node:tls").TLSSocket).getProtocol()}`);
  });
  const state: Server = { port: 0, connections: 0, full: 0, resumed: 0, close: () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }) };
  server.on("connection", () => state.connections++);
  server.on("secureConnection", (socket) => socket.isSessionReused() ? state.resumed++ : state.full++);
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

describe("HTTP client over TLS 1.3 (tls.maxVersion)", function () {
  this.timeout(30000);
  let pki: TestPki;
  let other: TestPki;
  let p256: Issued;
  let p384: Issued;
  let server: Server | undefined;
  let client: HttpClient;

  before(async function () {
    this.timeout(60000);
    pki = await createTestPki();
    other = await createTestPki();
    p256 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-256", dnsNames: ["localhost"] });
    p384 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-384", dnsNames: ["localhost"] });
  });

  beforeEach(() => {
    client = new HttpClient();
    forgetOlderServers();
  });

  afterEach(async () => {
    client.close();
    await server?.close();
    server = undefined;
  });

  const get = async (port: number, tls: Record<string, unknown>, headers?: Record<string, string>): Promise<string> => {
    const response = await client.request(`https://localhost:${port}/`, { tls: { ca: pki.root.pem, ...tls }, headers, timeouts: { connect: 8000 } });
    return response.text();
  };
  const failure = async (promise: Promise<unknown>): Promise<HttpError> => {
    try {
      await promise;
    }
    catch (error) {
      assert.ok(error instanceof HttpError, String(error));
      return error;
    }
    assert.fail("the request succeeded");
  };

  it("reaches a TLS 1.3-only server with maxVersion TLSv1.3, verified, for RSA, P-256 and P-384 leaves", async () => {
    for (const leaf of [pki.leaf, p256, p384]) {
      server = await httpsServer("TLSv1.3", leaf, pki.intermediate);
      assert.equal(await get(server.port, { maxVersion: "TLSv1.3" }), "hello over TLSv1.3");
      assert.equal(server.full, 1);
      await server.close();
      server = undefined;
    }
  });

  it("with minVersion TLSv1.3 too (1.3 only)", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    assert.equal(await get(server.port, { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" }), "hello over TLSv1.3");
  });

  it("by default (both versions) reaches a TLS 1.3-only server, and a TLS 1.2-only one by falling back", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    assert.equal(await get(server.port, {}), "hello over TLSv1.3");
    assert.equal(server.full, 1);
    await server.close();
    server = await httpsServer("TLSv1.2", p256, pki.intermediate);
    assert.equal(await get(server.port, {}), "hello over TLSv1.2");
    assert.equal(server.connections, 2, "the 1.3 attempt, then 1.2");
  });

  it("with maxVersion TLSv1.2 (the SDK's TLS alone) fails against a TLS 1.3-only server with ERR_TLS_HANDSHAKE", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    const error = await failure(get(server.port, { maxVersion: "TLSv1.2" }));
    assert.equal(error.code, "ERR_TLS_HANDSHAKE");
    assert.equal(error.phase, "tls");
    assert.equal(server.full, 0);
  });

  it("a client certificate or maxFragmentLength (TLS 1.2 features) keeps the default at TLS 1.2", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    const error = await failure(get(server.port, { maxFragmentLength: 4096 }));
    assert.equal(error.code, "ERR_TLS_HANDSHAKE");
    assert.equal(server.full, 0);
  });

  it("with minVersion TLSv1.3, refuses a TLS 1.2-only server without falling back", async () => {
    server = await httpsServer("TLSv1.2", pki.leaf, pki.intermediate);
    const error = await failure(get(server.port, { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" }));
    assert.equal(error.code, "ERR_TLS_HANDSHAKE");
    assert.match(error.message, /TLS 1\.3|protocol/);
    assert.equal(server.connections, 1);
  });

  it("both versions: a TLS 1.2-only server is reached by falling back, and the next request goes to 1.2 at once", async () => {
    server = await httpsServer("TLSv1.2", pki.leaf, pki.intermediate);
    const both = { maxVersion: "TLSv1.3" };
    assert.equal(await get(server.port, both, { connection: "close" }), "hello over TLSv1.2");
    assert.equal(server.connections, 2, "the 1.3 attempt, then 1.2");
    assert.equal(await get(server.port, both, { connection: "close" }), "hello over TLSv1.2");
    assert.equal(server.connections, 3, "straight to 1.2");
  });

  it("ten sequential requests without keep-alive to a TLS 1.3 server: one full handshake, nine resumed", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    const before = { handshakes: httpStats.handshakes, resumed: httpStats.resumed };
    for (let i = 0; i < 10; i++)
      assert.equal(await get(server.port, { maxVersion: "TLSv1.3" }, { connection: "close" }), "hello over TLSv1.3");
    assert.equal(server.connections, 10);
    assert.deepEqual({ full: server.full, resumed: server.resumed }, { full: 1, resumed: 9 });
    assert.equal(httpStats.handshakes - before.handshakes, 10);
    assert.equal(httpStats.resumed - before.resumed, 9);
  });

  it("does not resume under other trust settings (the pool key is the ticket key)", async () => {
    server = await httpsServer("TLSv1.3", p256, pki.intermediate);
    await get(server.port, { maxVersion: "TLSv1.3" }, { connection: "close" });
    await get(server.port, { maxVersion: "TLSv1.3", ca: [pki.root.pem, other.root.pem] }, { connection: "close" });
    assert.deepEqual({ full: server.full, resumed: server.resumed }, { full: 2, resumed: 0 });
  });

  it("refuses a chain from an untrusted root over TLS 1.3 with ERR_TLS_UNTRUSTED", async () => {
    server = await httpsServer("TLSv1.3", other.leaf, other.intermediate);
    const error = await failure(get(server.port, { maxVersion: "TLSv1.3" }));
    assert.equal(error.code, "ERR_TLS_UNTRUSTED");
    assert.equal(error.phase, "tls");
  });

  it("refuses a fallback whose TLS 1.2 ServerHello carries the downgrade sentinel", async () => {
    const attacker = await downgrader();
    try {
      const response = client.request(`https://localhost:${attacker.port}/`, { tls: { ca: pki.root.pem, maxVersion: "TLSv1.3" }, timeouts: { connect: 8000 } });
      const error = await failure(response);
      assert.equal(error.code, "ERR_TLS_HANDSHAKE");
      assert.match(error.message, /downgrade sentinel/);
      assert.equal(attacker.connections(), 2, "the 1.3 attempt, then the fallback");
    }
    finally {
      await attacker.close();
    }
  });

  it("refuses tls.clientCertificate with maxVersion TLSv1.3 before connecting", async () => {
    const error = await failure(client.request("https://localhost:1/", { tls: { maxVersion: "TLSv1.3", clientCertificate: pki.leaf.pem, clientKey: pki.leaf.keyPem } }));
    assert.equal(error.code, "ERR_INVALID_REQUEST");
  });

  it("refuses minVersion above maxVersion", async () => {
    const error = await failure(client.request("https://localhost:1/", { tls: { minVersion: "TLSv1.3", maxVersion: "TLSv1.2" } }));
    assert.equal(error.code, "ERR_INVALID_REQUEST");
  });
});
