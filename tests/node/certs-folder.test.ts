// certs/ and the manifest's config.certs name the same files, and each is a root our validator can use; the
// same holds after `certs add` put a root of the user's there. The roots shipped with the kit are checked
// in full; a user's root only for what the firmware needs of it, so these tests never depend on which roots
// a user added.
import assert from "node:assert/strict";
import tls from "node:tls";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { pemToDer } from "tls/certificates";
import { parseCertificate, describeName } from "tls/der";
import { createTestPki } from "../../tools/pki.js";
import { buildRoot, projectRoot } from "../../host/paths.js";

const certsJs = path.join(buildRoot, "tools", "certs.js");
/** The roots the kit ships in certs/. */
const SHIPPED = ["digicert-global-root-g2.pem", "digicert-global-root-g3.pem", "isrg-root-x1.pem"];

interface Manifest { config: { certs: string[]; urls: unknown[] } }

const pemFiles = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".pem")).sort();

/** config.certs lists exactly the PEM files of the folder (the device cannot list its resources). */
function assertListed(manifestFile: string, dir: string): void {
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  assert.deepEqual([...manifest.config.certs].sort(), pemFiles(dir));
}

/** Every certificate of a file, parsed as the device parses it (a file that does not parse fails the firmware's HTTPS). */
function certificates(file: string) {
  return pemToDer(readFileSync(file, "latin1"), path.basename(file)).map((der) => parseCertificate(der));
}

describe("certs/ folder", () => {
  const manifestFile = path.join(projectRoot, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  const files = pemFiles(path.join(projectRoot, "certs"));

  it("config.certs lists exactly the PEM files of certs/ (the device's default trust anchors)", () => {
    assertListed(manifestFile, path.join(projectRoot, "certs"));
  });

  it("every file parses as the device parses it; the kit's own roots are self-signed CAs with a supported key, valid for at least a year", () => {
    const inAYear = Date.now() + 365 * 24 * 3600 * 1000;
    for (const file of files) {
      const parsed = certificates(path.join(projectRoot, "certs", file));
      assert.ok(parsed.length > 0, `${file}: a certificate`);
      if (!SHIPPED.includes(file))
        continue; // a root of the user's (npm run certs -- add): `certs check` reports its dates
      for (const certificate of parsed) {
        const name = describeName(certificate.subject);
        assert.deepEqual(certificate.subject, certificate.issuer, `${file}: ${name} is self-signed`);
        assert.equal(certificate.ca, true, `${file}: ${name} is a CA`);
        assert.ok(certificate.key.type === "rsa" ? certificate.key.bits >= 2048 : certificate.key.type === "ec" && ["P-256", "P-384"].includes(certificate.key.curve), `${file}: key`);
        assert.ok(certificate.notAfter > inAYear, `${file}: ${name} expires ${new Date(certificate.notAfter).toISOString()}`);
      }
    }
  });

  it("the default URLs fetch over http, verified https and encrypt-only https", () => {
    assert.deepEqual(manifest.config.urls, ["http://example.com/", "https://example.com/", { url: "https://example.com/", verify: false }]);
  });

  it("after `certs add` into a copy of certs/ and its manifest, the folder and config.certs still agree", async function () {
    this.timeout(60000);
    const work = mkdtempSync(path.join(tmpdir(), "netkit-certs-folder-"));
    const pki = await createTestPki();
    const server = tls.createServer({ key: pki.leaf.keyPem, cert: pki.leaf.pem + pki.intermediate.pem }, (socket) => socket.end());
    server.on("tlsClientError", () => undefined);
    try {
      const dir = path.join(work, "certs");
      mkdirSync(dir);
      for (const file of files)
        copyFileSync(path.join(projectRoot, "certs", file), path.join(dir, file));
      const copy = path.join(work, "manifest.json");
      copyFileSync(manifestFile, copy);
      const store = path.join(work, "store.pem");
      writeFileSync(store, pki.root.pem);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await new Promise<{ code: number; output: string }>((resolve) => execFile(process.execPath,
        [certsJs, "add", target, "--store", store, "--dir", dir, "--manifest", copy], { timeout: 30000 },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr })));
      assert.equal(result.code, 0, result.output);
      assert.deepEqual(pemFiles(dir), [...files, "netkit-test-root.pem"].sort());
      assertListed(copy, dir);
      const kept = JSON.parse(readFileSync(copy, "utf8")) as Manifest & Record<string, unknown>;
      assert.deepEqual({ ...kept, config: { ...kept.config, certs: manifest.config.certs } }, manifest, "nothing else of the manifest changed");
    }
    finally {
      server.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
