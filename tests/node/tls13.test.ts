// The kit's own TLS 1.3 client (modules/tls/tls13) on the host's plain TCP socket, against Node TLS servers
// that speak TLS 1.3 only: the handshake, the record layer and the resumption under test are ours, not
// OpenSSL's client.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { issue, createTestPki, type Issued, type TestPki } from "../../tools/pki.js";
import { startTls13Server, type Tls13Server, type Tls13ServerOptions } from "../support/tls13-servers.js";
import Tls13Socket, { type Tls13Options } from "../../modules/tls/tls13/client.js";
import { TicketStore } from "../../modules/tls/tls13/tickets.js";
import { forgetSavedTickets, loadTickets, saveTickets } from "../../modules/tls/tls13/ticket-preference.js";
import { startRawTls13Server, type Tls13Fault } from "../support/raw-tls13.js";
import type { TlsReport } from "../../modules/tls/report.js";

const WAIT_MS = 8000;

interface Outcome {
  /** The server's answer to our line, when the connection got that far. */
  echo?: string;
  /** The socket's message that ended it without an answer (-1, -2). */
  message?: number;
  report: TlsReport;
  socket: Tls13Socket;
}

/** Connects, sends `line`, waits for the echo (or the failure; with no line, the handshake's end), closes. */
function exchange(port: number, secure: Tls13Options, line: string | null = "hello"): Promise<Outcome> {
  const report: TlsReport = {};
  return new Promise((resolve, reject) => {
    const socket = new Tls13Socket({ host: "127.0.0.1", port, secure: { serverName: "localhost", report, ...secure } });
    let got = "";
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no outcome within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const settle = (outcome: Omit<Outcome, "report" | "socket">) => {
      clearTimeout(timer);
      socket.close();
      resolve({ ...outcome, report, socket });
    };
    socket.callback = (message: number) => {
      if (message === 1 && line === null)
        settle({ echo: "" });
      else if (message === 1)
        socket.write(line + "\n");
      else if (message === 2) {
        got += socket.read(String) as string;
        if (got.endsWith("\n"))
          settle({ echo: got });
      }
      else if (message < 0)
        settle({ message });
    };
  });
}

function spkiPin(issued: Issued): string {
  return createHash("sha256").update(Buffer.from(issued.certificate.publicKey.rawData)).digest("base64");
}

describe("TLS 1.3 client (ours) against Node TLS 1.3-only servers", function () {
  this.timeout(20000);
  let pki: TestPki;
  let p256: Issued;
  let p384: Issued;
  let otherP256: Issued;
  let server: Tls13Server | undefined;
  const trust = (): Tls13Options => ({ certificates: [pki.root.der], tickets: false });

  before(async function () {
    this.timeout(60000);
    pki = await createTestPki();
    p256 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-256", dnsNames: ["localhost"] });
    p384 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-384", dnsNames: ["localhost"] });
    otherP256 = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", curve: "P-256", dnsNames: ["localhost"] });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(leaf: Issued, options: Partial<Tls13ServerOptions> = {}): Promise<Tls13Server> {
    server = await startTls13Server({ chain: leaf.pem + pki.intermediate.pem, keyPem: leaf.keyPem, ...options });
    return server;
  }

  describe("certificate types", () => {
    it("verifies an RSA leaf (CertificateVerify by RSA-PSS) and exchanges data", async () => {
      const { port } = await start(pki.leaf, { sigalgs: "rsa_pss_rsae_sha256" });
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
      assert.equal(outcome.socket.resumed, false);
    });

    it("verifies an RSA leaf signing with RSA-PSS SHA-384 and SHA-512", async () => {
      for (const sigalgs of ["rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"]) {
        const { port } = await start(pki.leaf, { sigalgs });
        const outcome = await exchange(port, trust());
        assert.equal(outcome.echo, "echo: hello\n", `${sigalgs}: ${JSON.stringify(outcome.report)}`);
        await server!.close();
        server = undefined;
      }
    });

    it("verifies a P-256 leaf (ECDSA SHA-256)", async () => {
      const { port } = await start(p256);
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
    });

    it("verifies a P-384 leaf (ECDSA SHA-384), which the SDK's TLS 1.2 cannot reach", async () => {
      const { port } = await start(p384);
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
    });
  });

  describe("cipher suites and groups", () => {
    it("speaks TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384, each when it is the server's only one", async () => {
      for (const [name, id] of [["TLS_AES_128_GCM_SHA256", 0x1301], ["TLS_AES_256_GCM_SHA384", 0x1302]] as const) {
        const { port } = await start(p256, { ciphersuites: name });
        const outcome = await exchange(port, trust());
        assert.equal(outcome.echo, "echo: hello\n", `${name}: ${JSON.stringify(outcome.report)}`);
        assert.equal(outcome.socket.suite, id);
        await server!.close();
        server = undefined;
      }
    });

    it("answers a HelloRetryRequest: a server that takes only P-384 gets a second ClientHello with a P-384 share", async () => {
      const { port } = await start(p256, { ecdhCurve: "P-384" });
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
      assert.equal(outcome.socket.retried, true);
    });

    it("sends no retry when the server takes its first share", async () => {
      const { port } = await start(p256, { ecdhCurve: "P-256:P-384" });
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n");
      assert.equal(outcome.socket.retried, false);
    });

    it("fails with the server's alert when no offered group is acceptable", async () => {
      const { port } = await start(p256, { ecdhCurve: "P-384" });
      const outcome = await exchange(port, { ...trust(), groups: ["secp256r1"] });
      assert.equal(outcome.echo, undefined);
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /alert 40 \(handshake_failure\)/);
      assert.equal(outcome.socket.olderServer, false);
    });
  });

  describe("handshake messages of any size", () => {
    it("reassembles a Certificate message over 16 KB, sent in 512-byte records", async () => {
      const dnsNames = ["localhost", ...Array.from({ length: 700 }, (_, i) => `name-${String(i).padStart(4, "0")}.padding.netkit.test`)];
      const big = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", dnsNames });
      assert.ok(big.der.length + pki.intermediate.der.length > 16384, `chain of ${big.der.length + pki.intermediate.der.length} bytes`);
      const { port } = await start(big, { maxSendFragment: 512 });
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
    });

    it("refuses a Certificate message larger than maxHandshakeMessage", async () => {
      const dnsNames = ["localhost", ...Array.from({ length: 700 }, (_, i) => `name-${String(i).padStart(4, "0")}.padding.netkit.test`)];
      const big = await issue({ subject: "CN=localhost", issuer: pki.intermediate, key: "ec", dnsNames });
      const { port } = await start(big);
      const outcome = await exchange(port, { ...trust(), maxHandshakeMessage: 8192 });
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /exceeds the limit of 8192/);
    });

    it("carries application data larger than one record both ways", async () => {
      const { port } = await start(p256);
      const line = "x".repeat(40000);
      const outcome = await exchange(port, trust(), line);
      assert.equal(outcome.echo, `echo: ${line}\n`);
    });
  });

  describe("refusals, typed", () => {
    it("refuses a leaf from an untrusted root with ERR_TLS_UNTRUSTED from our validator", async () => {
      const { port } = await start(pki.strangerLeaf);
      const outcome = await exchange(port, trust());
      assert.equal(outcome.echo, undefined);
      assert.equal(outcome.message, -2);
      assert.equal(outcome.report.code, "ERR_TLS_UNTRUSTED");
      assert.equal(outcome.socket.error?.code, "ERR_TLS_UNTRUSTED");
    });

    it("refuses a certificate for another name with ERR_TLS_HOSTNAME", async () => {
      const { port } = await start(p256);
      const outcome = await exchange(port, { ...trust(), serverName: "other.example" });
      assert.equal(outcome.report.code, "ERR_TLS_HOSTNAME");
    });

    it("checks pins: the leaf's key passes, another key fails with ERR_TLS_PIN", async () => {
      const { port } = await start(p256);
      const good = await exchange(port, { ...trust(), pins: [spkiPin(p256)] });
      assert.equal(good.echo, "echo: hello\n", JSON.stringify(good.report));
      const bad = await exchange(port, { ...trust(), pins: [spkiPin(p384)] });
      assert.equal(bad.report.code, "ERR_TLS_PIN");
    });

    it("gives up a handshake the server never answers after handshakeTimeout, and closes the connection", async () => {
      const net = await import("node:net");
      let closed = false;
      const silent = net.createServer((socket) => {
        socket.on("close", () => (closed = true));
        socket.on("error", () => {});
        socket.resume(); // read (and drop) what comes, the FIN included
      });
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const started = Date.now();
        const outcome = await exchange((silent.address() as { port: number }).port, { ...trust(), handshakeTimeout: 300 });
        assert.equal(outcome.message, -2);
        assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
        assert.match(outcome.report.message ?? "", /no TLS 1\.3 handshake within 300 ms/);
        assert.ok(Date.now() - started < 3000);
        for (let i = 0; i < 50 && !closed; i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        assert.ok(closed, "the TCP connection is closed");
      }
      finally {
        silent.close();
      }
    });

    it("refuses a TLS 1.2-only server with ERR_TLS_HANDSHAKE naming the version", async () => {
      const tls = await import("node:tls");
      const old = tls.createServer({ cert: p256.pem + pki.intermediate.pem, key: p256.keyPem, maxVersion: "TLSv1.2" });
      old.on("tlsClientError", () => {});
      await new Promise<void>((resolve) => old.listen(0, "127.0.0.1", resolve));
      try {
        const outcome = await exchange((old.address() as { port: number }).port, trust());
        assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
        assert.match(outcome.report.message ?? "", /alert 70 \(protocol_version\)|not TLS 1\.3/);
        assert.equal(outcome.socket.olderServer, true, "the one failure that allows a TLS 1.2 attempt");
      }
      finally {
        old.close();
      }
    });
  });

  describe("session tickets and PSK resumption", () => {
    it("ten sequential connections: one full handshake, nine resumed by ticket", async () => {
      const { port } = await start(p256);
      const tickets = new TicketStore();
      const resumed: boolean[] = [];
      for (let i = 0; i < 10; i++) {
        const outcome = await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "test" });
        assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
        resumed.push(outcome.socket.resumed);
      }
      assert.deepEqual(server!.handshakes(), { full: 1, resumed: 9 });
      assert.deepEqual(resumed, [false, true, true, true, true, true, true, true, true, true]);
    });

    it("resumes a ticket issued under TLS_AES_256_GCM_SHA384 (SHA-384 binder)", async () => {
      const { port } = await start(p256, { ciphersuites: "TLS_AES_256_GCM_SHA384" });
      const tickets = new TicketStore();
      for (let i = 0; i < 3; i++)
        assert.equal((await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "test" })).echo, "echo: hello\n");
      assert.deepEqual(server!.handshakes(), { full: 1, resumed: 2 });
    });

    it("resumes after a HelloRetryRequest (binder over the retried transcript)", async () => {
      const { port } = await start(p256, { ecdhCurve: "P-384" });
      const tickets = new TicketStore();
      for (let i = 0; i < 3; i++) {
        const outcome = await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "test" });
        assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
        assert.equal(outcome.socket.retried, true);
      }
      assert.deepEqual(server!.handshakes(), { full: 1, resumed: 2 });
    });

    it("makes a full handshake when the server declines the ticket", async () => {
      // SSL_OP_NO_TICKET: in TLS 1.3 OpenSSL then issues session-id tickets, which without a session cache it
      // cannot resume: every offer is declined.
      const { port } = await start(p256, { tickets: false });
      const tickets = new TicketStore();
      for (let i = 0; i < 3; i++) {
        const outcome = await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "test" });
        assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
        assert.equal(outcome.socket.resumed, false);
      }
      assert.deepEqual(server!.handshakes(), { full: 3, resumed: 0 });
    });

    it("uses each ticket once with maxUses 1: a full handshake every third connection against OpenSSL 3.0", async () => {
      const { port } = await start(p256);
      const tickets = new TicketStore({ maxUses: 1 });
      for (let i = 0; i < 6; i++)
        assert.equal((await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "test" })).echo, "echo: hello\n");
      assert.deepEqual(server!.handshakes(), { full: 2, resumed: 4 });
    });

    it("does not resume across trust settings: another ticketKey makes a full handshake", async () => {
      const { port } = await start(p256);
      const tickets = new TicketStore();
      await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "a" });
      await exchange(port, { certificates: [pki.root.der], tickets, ticketKey: "b" });
      assert.deepEqual(server!.handshakes(), { full: 2, resumed: 0 });
    });

    it("keeps no ticket from a connection that did not verify the server", async () => {
      const { port } = await start(p256);
      const tickets = new TicketStore();
      const outcome = await exchange(port, { verify: false, tickets, ticketKey: "test" });
      assert.equal(outcome.echo, "echo: hello\n");
      assert.equal(tickets.size, 0);
    });

    it("saved to Preference and loaded into a new store (a reboot), a ticket resumes the next connection", async () => {
      const { port } = await start(p256);
      const before = new TicketStore();
      assert.equal((await exchange(port, { certificates: [pki.root.der], tickets: before, ticketKey: "test" })).echo, "echo: hello\n");
      const written = saveTickets({ store: before, domain: "t13test" });
      assert.ok(written > 2 && written <= 2048, `bytes written: ${written}`);
      const after = new TicketStore(); // what the next boot starts with
      assert.equal(loadTickets({ store: after, domain: "t13test" }), before.size);
      const outcome = await exchange(port, { certificates: [pki.root.der], tickets: after, ticketKey: "test" });
      assert.equal(outcome.echo, "echo: hello\n", JSON.stringify(outcome.report));
      assert.equal(outcome.socket.resumed, true);
      assert.deepEqual(server!.handshakes(), { full: 1, resumed: 1 });
      forgetSavedTickets("t13test");
      assert.equal(loadTickets({ store: new TicketStore(), domain: "t13test" }), 0, "forgotten");
    });

    it("serializes within its byte bound, most recent origin first, and restores only live tickets", () => {
      const now = Date.now();
      const ticket = (n: number, size: number, received = now, lifetime = 60) => ({ ticket: new Uint8Array(size).fill(n), psk: new Uint8Array(32).fill(n), hash: (n % 2 ? "SHA384" : "SHA256") as "SHA256" | "SHA384", ageAdd: 0xfffffff0 + n, received, lifetime });
      const store = new TicketStore({ origins: 4, perOrigin: 2 });
      store.add("old:443|k", ticket(1, 200));
      store.add("new:443|k", ticket(2, 200));
      store.add("new:443|k", ticket(3, 200));
      store.add("gone:443|k", ticket(4, 10, now - 120000)); // expired
      const all = store.serialize(4000, now);
      const copy = new TicketStore();
      assert.equal(copy.restore(all, now), 3);
      const taken = copy.take("new:443|k", now)!;
      assert.deepEqual([taken.ticket[0], taken.hash, taken.ageAdd, taken.received, taken.lifetime], [3, "SHA384", 0xfffffff3, now, 60]);
      assert.equal(copy.take("old:443|k", now)?.ticket[0], 1);
      assert.equal(copy.take("gone:443|k", now), undefined);
      // bounded: room for one ticket of the most recent origin only
      const small = store.serialize(2 + 1 + 9 + 1 + 21 + 200 + 32, now);
      assert.ok(small.length <= 266, `${small.length} bytes`);
      const one = new TicketStore();
      assert.equal(one.restore(small, now), 1);
      assert.equal(one.take("new:443|k", now)?.ticket[0], 3, "the newest ticket of the most recent origin");
      // a clock not yet set (before the receipt), a later expiry, and malformed bytes add nothing
      assert.equal(new TicketStore().restore(all, 0), 0);
      assert.equal(new TicketStore().restore(all, now + 61000), 0);
      assert.equal(new TicketStore().restore(all.subarray(0, all.length - 5), now), 0);
      assert.equal(new TicketStore().restore(Uint8Array.of(9, 1), now), 0);
    });

    it("bounds the store: origins and tickets per origin", () => {
      const store = new TicketStore({ origins: 2, perOrigin: 1, maxUses: 3 });
      const ticket = (n: number) => ({ ticket: Uint8Array.of(n), psk: new Uint8Array(32), hash: "SHA256" as const, ageAdd: 0, received: Date.now(), lifetime: 60 });
      store.add("a", ticket(1));
      store.add("a", ticket(2));
      store.add("b", ticket(3));
      store.add("c", ticket(4));
      assert.equal(store.size, 2);
      assert.equal(store.take("a"), undefined, "the least recently used origin is dropped");
      assert.equal(store.take("b")?.ticket[0], 3);
      assert.equal(store.take("b")?.ticket[0], 3, "used again while no fresh one is left");
      store.add("b", ticket(6));
      assert.equal(store.take("b")?.ticket[0], 6, "a fresh ticket first");
      store.add("d", { ...ticket(5), received: Date.now() - 61000 });
      assert.equal(store.take("d"), undefined, "an expired ticket is not used");
    });
  });

  describe("attacks by a hand-written TLS 1.3 server (tests/support/raw-tls13.ts)", () => {
    async function attack(fault: Tls13Fault): Promise<{ outcome: Outcome; server: string[] }> {
      const raw = await startRawTls13Server({ chain: [p256.der, pki.intermediate.der], leafKeyPem: p256.keyPem, otherKeyPem: otherP256.keyPem, fault });
      try {
        const outcome = await exchange(raw.port, trust(), null);
        await new Promise((resolve) => setTimeout(resolve, 50)); // the client's Finished or alert reaches the server
        return { outcome, server: raw.outcomes() };
      }
      finally {
        await raw.close();
      }
    }

    it("completes the handshake with the faultless server (the attacks below differ from it in one thing)", async () => {
      const { outcome, server } = await attack("none");
      assert.equal(outcome.report.code, undefined, outcome.report.message);
      assert.equal(outcome.echo, "", "the handshake completed");
      assert.deepEqual(server, ["finished"], "the server verified the client's Finished");
    });

    it("refuses a Finished that does not match, with decrypt_error", async () => {
      const { outcome, server } = await attack("bad-finished");
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /Finished does not match/);
      assert.deepEqual(server, ["alert 51"]);
    });

    it("refuses a CertificateVerify signed by another key", async () => {
      const { outcome, server } = await attack("other-key");
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /CertificateVerify signature does not verify/);
      assert.deepEqual(server, ["alert 51"]);
    });

    it("refuses a key share that is not on the curve (invalid-curve attack)", async () => {
      const { outcome, server } = await attack("off-curve");
      assert.match(outcome.report.message ?? "", /not a point on the curve/);
      assert.deepEqual(server, ["alert 47"]);
    });

    it("refuses a TLS 1.2 answer carrying the downgrade sentinel, naming it", async () => {
      const { outcome, server } = await attack("downgrade");
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /downgrade sentinel/);
      assert.deepEqual(server, ["alert 47"]);
      assert.equal(outcome.socket.olderServer, false, "no retry with TLS 1.2 after a downgrade");
    });

    it("knows a TLS 1.2-only server by its 1.2 ServerHello (1.2 suites offered, 1.2 extensions answered): olderServer, for the fallback", async () => {
      const { outcome, server } = await attack("tls12-server");
      assert.equal(outcome.report.code, "ERR_TLS_HANDSHAKE");
      assert.match(outcome.report.message ?? "", /chose protocol 0x303, not TLS 1\.3/);
      assert.equal(outcome.socket.olderServer, true, "a TLS 1.2 attempt may follow");
      assert.deepEqual(server, ["alert 70"]);
    });

    it("refuses a pre_shared_key the client never offered", async () => {
      const { outcome, server } = await attack("unoffered-psk");
      assert.match(outcome.report.message ?? "", /pre-shared key the client did not offer/);
      assert.deepEqual(server, ["alert 47"]);
    });
  });
});
