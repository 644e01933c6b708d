// The device test app runs under the app's own XS creation values, so what passes there fits the app.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const creation = (file: string): unknown => (JSON.parse(readFileSync(path.join(root, file), "utf8")) as { creation?: unknown }).creation;

describe("manifests", () => {
  it("the device test app's creation values are the app's, with the 512-slot stack TLS needs", () => {
    assert.deepEqual(creation("tests/sim/manifest.json"), creation("manifest.json"));
    assert.equal((creation("manifest.json") as { stack: number }).stack, 512);
  });
});
