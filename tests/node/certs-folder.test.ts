// certs/ and the manifest's config.certs name the same files, and each is a root our validator can use.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pemToDer } from "tls/certificates";
import { parseCertificate, describeName } from "tls/der";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

describe("certs/ folder", () => {
  const manifest = JSON.parse(readFileSync(path.join(root, "manifest.json"), "utf8")) as { config: { certs: string[]; urls: unknown[] } };
  const files = readdirSync(path.join(root, "certs")).filter((name) => name.endsWith(".pem")).sort();

  it("config.certs lists exactly the PEM files of certs/ (the device's default trust anchors)", () => {
    assert.deepEqual([...manifest.config.certs].sort(), files);
  });

  it("every file is a self-signed CA certificate with a supported key, valid for at least a year", () => {
    const inAYear = Date.now() + 365 * 24 * 3600 * 1000;
    for (const file of files) {
      for (const der of pemToDer(readFileSync(path.join(root, "certs", file), "latin1"), file)) {
        const certificate = parseCertificate(der);
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
});
