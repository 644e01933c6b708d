// The `certs` command (tools/certs.ts) run as a child process against local TLS servers whose chains
// the tests generate, with a --store holding the test root and a temporary --dir as certs/.
import assert from "node:assert/strict";
import tls from "node:tls";
import { execFile } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createTestPki, issue, type TestPki, type Issued } from "../../tools/pki.js";
import { freePort } from "../../tools/ports.js";
import { buildRoot } from "../../host/paths.js";

const certsJs = path.join(buildRoot, "tools", "certs.js");
const DAY = 24 * 60 * 60 * 1000;

interface Run { code: number; stdout: string; stderr: string }

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [certsJs, ...args], { timeout: 20000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function json(result: Run): any {
  try {
    return JSON.parse(result.stdout);
  } catch {
    assert.fail(`not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}

/** A TLS server on 127.0.0.1 presenting `chain` (leaf first). */
async function serve(key: string, chain: Issued[]): Promise<{ target: string; close(): Promise<void> }> {
  const server = tls.createServer({ key, cert: chain.map((c) => c.pem).join("") }, (socket) => socket.end());
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function fingerprint(issued: Issued): string {
  return new X509Certificate(issued.pem).fingerprint256;
}

/** SPKI SHA-256 computed here from @peculiar/x509's view of the key, independently of the command. */
function spkiPin(issued: Issued): string {
  return createHash("sha256").update(Buffer.from(issued.certificate.publicKey.rawData)).digest("base64");
}

describe("certs command", function () {
  this.timeout(30000);

  let pki: TestPki;
  let work: string;
  let store: string;
  let decoyStore: string;
  let complete: Awaited<ReturnType<typeof serve>>;
  let leafOnly: Awaited<ReturnType<typeof serve>>;
  let stranger: Awaited<ReturnType<typeof serve>>;
  let dir: string;

  before(async function () {
    this.timeout(60000);
    pki = await createTestPki();
    work = mkdtempSync(path.join(tmpdir(), "netkit-certs-"));
    store = path.join(work, "store.pem");
    // The stranger root is not in the store; another unrelated root is, so the choice is a real one.
    const decoy = await issue({ subject: "CN=netkit decoy root", ca: true });
    writeFileSync(store, decoy.pem + pki.root.pem);
    decoyStore = path.join(work, "decoy.pem");
    writeFileSync(decoyStore, decoy.pem);
    complete = await serve(pki.leaf.keyPem, [pki.leaf, pki.intermediate]);
    leafOnly = await serve(pki.leaf.keyPem, [pki.leaf]);
    stranger = await serve(pki.strangerLeaf.keyPem, [pki.strangerLeaf, pki.strangerRoot]);
  });

  after(async () => {
    await Promise.all([complete?.close(), leafOnly?.close(), stranger?.close()]);
    if (work)
      rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(work, "certs-"));
  });

  describe("add", () => {
    it("writes the root that anchors the server's chain as valid PEM named after its CN", async () => {
      const result = await run(["add", complete.target, "--store", store, "--dir", dir, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const report = json(result);
      assert.equal(report.ok, true);
      assert.equal(report.results[0].status, "added");
      assert.deepEqual(report.results[0].chain.map((c: any) => c.subject), ["CN=localhost", "CN=netkit test intermediate"]);
      assert.equal(report.results[0].root.subject, "CN=netkit test root");
      assert.deepEqual(readdirSync(dir), ["netkit-test-root.pem"]);
      const written = readFileSync(path.join(dir, "netkit-test-root.pem"), "utf8");
      assert.match(written, /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
      assert.equal(new X509Certificate(written).fingerprint256, fingerprint(pki.root));
    });

    it("prints the chain it saw (subject, issuer, expiry) and the root it chose", async () => {
      const result = await run(["add", complete.target, "--store", store, "--dir", dir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /sent 2 certificates/);
      assert.match(result.stdout, /0\. CN=localhost\s+\[leaf\]\n\s+issuer: CN=netkit test intermediate\n\s+expires \d{4}-\d\d-\d\d \(\d+ days left\)/);
      assert.match(result.stdout, /1\. CN=netkit test intermediate\s+\[intermediate\]\n\s+issuer: CN=netkit test root/);
      assert.match(result.stdout, /root: CN=netkit test root/);
      assert.match(result.stdout, /wrote .*netkit-test-root\.pem/);
    });

    it("does not duplicate a root already in the folder, whatever its file name", async () => {
      const first = await run(["add", complete.target, "--store", store, "--dir", dir, "--json"]);
      assert.equal(first.code, 0, first.stderr);
      renameSync(path.join(dir, "netkit-test-root.pem"), path.join(dir, "mine.pem"));
      const second = await run(["add", complete.target, "--store", store, "--dir", dir, "--json"]);
      assert.equal(second.code, 0, second.stderr);
      const report = json(second);
      assert.equal(report.results[0].status, "present");
      assert.equal(report.results[0].file, path.join(dir, "mine.pem"));
      assert.deepEqual(readdirSync(dir), ["mine.pem"]);
      const text = await run(["add", complete.target, "--store", store, "--dir", dir]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /already present in .*mine\.pem/);
    });

    it("lists the new root in the manifest's config.certs (--manifest), keeping the rest of the manifest", async () => {
      const manifestFile = path.join(dir, "manifest.json");
      const manifest = { include: ["./modules/manifest.json"], config: { ssid: "", certs: ["isrg-root-x1.pem"] }, creation: { stack: 768 } };
      writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
      const result = await run(["add", complete.target, "--store", store, "--dir", dir, "--manifest", manifestFile, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(json(result).manifest.updated, true);
      assert.deepEqual(JSON.parse(readFileSync(manifestFile, "utf8")), { ...manifest, config: { ssid: "", certs: ["isrg-root-x1.pem", "netkit-test-root.pem"] } });
      const again = await run(["add", complete.target, "--store", store, "--dir", dir, "--manifest", manifestFile]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(readFileSync(manifestFile, "utf8")).config.certs.length, 2, "listed once");
    });

    it("prints the exact config.certs line when it may not write the manifest (formatted by hand, or none named)", async () => {
      const manifestFile = path.join(dir, "manifest.json");
      const byHand = `{ "config": { "certs": ["isrg-root-x1.pem"] } }\n`;
      writeFileSync(manifestFile, byHand);
      const result = await run(["add", complete.target, "--store", store, "--dir", dir, "--manifest", manifestFile]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(readFileSync(manifestFile, "utf8"), byHand, "a hand-formatted manifest is left as it is");
      assert.match(result.stdout, /formatted by hand: list it in your manifest's config yourself:\n  "certs": \["isrg-root-x1.pem","netkit-test-root.pem"\]/);
      const other = mkdtempSync(path.join(work, "certs-"));
      const none = await run(["add", complete.target, "--store", store, "--dir", other]);
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stdout, /no manifest given \(--manifest\): list it in your manifest's config yourself:\n  "certs": \["netkit-test-root.pem"\]/);
    });

    it("reports an incomplete chain (intermediate not sent), exits 1 and writes nothing", async () => {
      const result = await run(["add", leafOnly.target, "--store", store, "--dir", dir, "--json"]);
      assert.equal(result.code, 1);
      const report = json(result);
      assert.equal(report.ok, false);
      assert.equal(report.results[0].status, "incomplete");
      assert.match(report.results[0].message, /chain incomplete.*netkit test intermediate/);
      assert.equal(report.results[0].root, null);
      assert.deepEqual(readdirSync(dir), []);
      const text = await run(["add", leafOnly.target, "--store", store, "--dir", dir]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /✗ .*chain incomplete/);
    });

    it("reports a root the store does not hold, exits 1 and writes nothing", async () => {
      const result = await run(["add", stranger.target, "--store", store, "--dir", dir, "--json"]);
      assert.equal(result.code, 1);
      const report = json(result);
      assert.equal(report.results[0].status, "no-root");
      assert.match(report.results[0].message, /no root found.*netkit stranger root/);
      assert.deepEqual(readdirSync(dir), []);
    });

    it("reports no root when the chain ends in an intermediate whose root the store lacks, exit 1", async () => {
      const result = await run(["add", complete.target, "--store", decoyStore, "--dir", dir]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /✗ .*no root found: the chain ends in the CA "CN=netkit test intermediate", issued by "CN=netkit test root"/);
      assert.deepEqual(readdirSync(dir), []);
    });

    it("reports an unreachable host and exits 1", async () => {
      const port = await freePort();
      const result = await run(["add", `127.0.0.1:${port}`, "--store", store, "--dir", dir, "--json", "--timeout", "5000"]);
      assert.equal(result.code, 1);
      const report = json(result);
      assert.equal(report.results[0].status, "unreachable");
      assert.match(report.results[0].message, /unreachable: connection refused/);
      const text = await run(["add", `127.0.0.1:${port}`, "--store", store, "--dir", dir]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /✗ 127\.0\.0\.1:\d+: unreachable/);
    });

    it("adds the roots it can and still exits 1 when one of several hosts fails", async () => {
      const port = await freePort();
      const result = await run(["add", complete.target, `127.0.0.1:${port}`, "--store", store, "--dir", dir, "--json"]);
      assert.equal(result.code, 1);
      assert.deepEqual(json(result).results.map((r: any) => r.status), ["added", "unreachable"]);
      assert.deepEqual(readdirSync(dir), ["netkit-test-root.pem"]);
    });
  });

  describe("check", () => {
    it("lists subject, issuer, validity, days left and SPKI SHA-256 of a good root, exit 0", async () => {
      copyFileSync(store, path.join(dir, "store.pem"));
      const result = await run(["check", "--dir", dir, "--json"]);
      assert.equal(result.code, 0, result.stdout);
      const report = json(result);
      const root = report.files[0].certificates.find((c: any) => c.subject === "CN=netkit test root");
      assert.equal(root.status, "ok");
      assert.equal(root.issuer, "CN=netkit test root");
      assert.ok(root.daysLeft >= 363 && root.daysLeft <= 365, String(root.daysLeft));
      assert.equal(root.spkiSha256, spkiPin(pki.root));
      const text = await run(["check", "--dir", dir]);
      assert.equal(text.code, 0);
      assert.ok(text.stdout.includes(`SPKI SHA-256: ${spkiPin(pki.root)}`), text.stdout);
    });

    it("warns about a certificate expiring within 90 days but exits 0", async () => {
      const expiring = await issue({ subject: "CN=netkit expiring root", ca: true, notBefore: new Date(Date.now() - 300 * DAY), notAfter: new Date(Date.now() + 30 * DAY + 3600_000) });
      writeFileSync(path.join(dir, "expiring.pem"), expiring.pem);
      writeFileSync(path.join(dir, "good.pem"), pki.root.pem);
      const result = await run(["check", "--dir", dir, "--json"]);
      assert.equal(result.code, 0, result.stdout);
      const report = json(result);
      assert.deepEqual(report.files.map((f: any) => [path.basename(f.file), f.status]), [["expiring.pem", "warn"], ["good.pem", "ok"]]);
      assert.equal(report.files[0].certificates[0].daysLeft, 30);
      assert.deepEqual(report.summary, { files: 2, certificates: 2, warnings: 1, errors: 0 });
      const text = await run(["check", "--dir", dir]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /WARNING: expires in 30 days/);
    });

    it("fails (exit 1) on an expired certificate", async () => {
      const expired = await issue({ subject: "CN=netkit expired root", ca: true, notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 2 * DAY) });
      writeFileSync(path.join(dir, "expired.pem"), expired.pem);
      writeFileSync(path.join(dir, "good.pem"), pki.root.pem);
      const result = await run(["check", "--dir", dir, "--json"]);
      assert.equal(result.code, 1);
      const report = json(result);
      assert.equal(report.ok, false);
      assert.equal(report.files[0].status, "error");
      assert.equal(report.files[0].certificates[0].problem, "expired");
      assert.ok(report.files[0].certificates[0].daysLeft < 0);
      const text = await run(["check", "--dir", dir]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /ERROR: expired/);
    });

    it("fails (exit 1) on a malformed PEM file", async () => {
      writeFileSync(path.join(dir, "broken.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
      writeFileSync(path.join(dir, "garbage.pem"), "hello\n");
      writeFileSync(path.join(dir, "good.pem"), pki.root.pem);
      const result = await run(["check", "--dir", dir, "--json"]);
      assert.equal(result.code, 1);
      const report = json(result);
      assert.deepEqual(report.files.map((f: any) => [path.basename(f.file), f.status]), [["broken.pem", "error"], ["garbage.pem", "error"], ["good.pem", "ok"]]);
      assert.match(report.files[0].error, /^malformed: certificate 1 does not parse/);
      assert.match(report.files[1].error, /^malformed: not PEM/);
      const text = await run(["check", "--dir", dir]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /✗ .*broken\.pem: malformed/);
    });

    it("says there is nothing to check in a folder without PEM files, exit 0", async () => {
      const result = await run(["check", "--dir", dir]);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /no PEM files in .*nothing to check/);
    });
  });

  describe("pin", () => {
    it("prints each presented certificate's SPKI SHA-256, leaf first, matching a hash computed independently", async () => {
      const result = await run(["pin", complete.target, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const report = json(result);
      assert.deepEqual(report.pins, [spkiPin(pki.leaf), spkiPin(pki.intermediate)]);
      assert.deepEqual(report.suggested, [spkiPin(pki.leaf), spkiPin(pki.intermediate)]);
      const text = await run(["pin", complete.target]);
      assert.equal(text.code, 0);
      const lines = text.stdout.split("\n");
      assert.ok(lines[1].includes(spkiPin(pki.leaf)) && lines[1].includes("CN=localhost [leaf]"), text.stdout);
      assert.ok(lines[2].includes(spkiPin(pki.intermediate)), text.stdout);
      assert.match(text.stdout, /suggested: pins: \[".+", ".+"\]/);
    });

    it("reports an unreachable host and exits 1", async () => {
      const port = await freePort();
      const result = await run(["pin", `127.0.0.1:${port}`]);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /unreachable/);
    });
  });

  describe("device", () => {
    it("makes a CA on first use and issues an RSA server certificate for the device's addresses, which the CA verifies", async () => {
      const out = path.join(dir, "identity");
      const caDir = path.join(dir, "ca");
      const result = await run(["device", "192.168.1.42", "Sensor.local", "--out", out, "--ca-dir", caDir, "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const report = json(result);
      assert.equal(report.ca.created, true);
      assert.equal(report.ca.subject, "CN=netkit device CA");
      const ca = new X509Certificate(readFileSync(path.join(caDir, "netkit-ca.pem")));
      const device = new X509Certificate(readFileSync(path.join(out, "device.pem")));
      assert.ok(ca.ca && !device.ca);
      assert.ok(device.checkIssued(ca) && device.verify(ca.publicKey), "issued and signed by the CA");
      assert.equal(device.publicKey.asymmetricKeyType, "rsa", "the SDK's TLS server needs RSA");
      assert.equal(device.subjectAltName, "DNS:sensor.local, IP Address:192.168.1.42");
      assert.ok(device.checkIP("192.168.1.42") && device.checkHost("sensor.local"));
      assert.ok(report.device.bytes < 1000, `${report.device.bytes} bytes: the simulator sends the certificate in one write of at most 1 KB`);
      assert.ok(new Date(device.validTo).getTime() - Date.now() <= 398 * DAY);
      for (const key of [path.join(caDir, "netkit-ca-key.pem"), path.join(out, "device-key.pem")])
        assert.equal(statSync(key).mode & 0o077, 0, `${key} is readable by its owner only`);
    });

    it("issues every later certificate from the same CA, with a new serial number and key", async () => {
      const caDir = path.join(dir, "ca");
      const first = json(await run(["device", "10.0.0.5", "--out", path.join(dir, "a"), "--ca-dir", caDir, "--json"]));
      const second = json(await run(["device", "10.0.0.6", "--out", path.join(dir, "b"), "--ca-dir", caDir, "--json"]));
      assert.equal(second.ca.created, false);
      assert.equal(second.ca.sha256, first.ca.sha256);
      const a = new X509Certificate(readFileSync(path.join(dir, "a", "device.pem")));
      const b = new X509Certificate(readFileSync(path.join(dir, "b", "device.pem")));
      assert.notEqual(a.serialNumber, b.serialNumber);
      const spki = (cert: X509Certificate) => cert.publicKey.export({ type: "spki", format: "der" }).toString("hex");
      assert.notEqual(spki(a), spki(b));
    });

    it("prints no private key, and refuses what is neither an IP address nor a host name (exit 2)", async () => {
      const result = await run(["device", "127.0.0.1", "--out", path.join(dir, "identity"), "--ca-dir", path.join(dir, "ca")]);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /PRIVATE KEY/);
      assert.match(result.stdout, /wrote .*device\.pem \(\d+ bytes\) and its key .*device-key\.pem/);
      for (const args of [["device"], ["device", "not a name"], ["device", "bad_name.local"]]) {
        const refused = await run([...args, "--out", path.join(dir, "x"), "--ca-dir", path.join(dir, "ca")]);
        assert.equal(refused.code, 2, `${args.join(" ")}: ${refused.stderr}`);
      }
    });
  });

  it("exits 2 with the usage on an unknown command, a missing host or a bad option", async () => {
    for (const args of [[], ["frobnicate"], ["add"], ["pin", "a", "b"], ["check", "--bogus"], ["add", "host:99999"]]) {
      const result = await run(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /usage: certs/);
    }
  });
});
