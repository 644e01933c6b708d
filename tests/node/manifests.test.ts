// The memory-budget app runs under the app's own XS creation values, so what passes there fits the firmware;
// the device test app (every case loaded at once) keeps the app's stack but lets its heaps grow.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../../host/paths.js";

interface Creation {
  static?: number;
  chunk?: { initial: number; incremental: number };
  heap?: { initial: number; incremental: number };
  stack?: number;
}
const creation = (file: string): Creation => (JSON.parse(readFileSync(path.join(projectRoot, file), "utf8")) as { creation: Creation }).creation;

describe("manifests", () => {
  it("the memory-budget app's creation values are exactly the app's", () => {
    assert.deepEqual(creation("tests/budget/manifest.json"), creation("manifest.json"));
  });

  it("the app's heaps are fixed (static 0, no growth), so a budget that passes on the simulator is the one on the board", () => {
    const app = creation("manifest.json");
    assert.equal(app.static, 0);
    assert.equal(app.chunk?.incremental, 0);
    assert.equal(app.heap?.incremental, 0);
  });

  it("the device test app runs with the app's XS stack", () => {
    assert.equal(creation("tests/sim/manifest.json").stack, creation("manifest.json").stack);
  });
});
