// The kit as an mcpack dependency (mcpack/README.md): each specifier the root package.json exports goes
// through its two one-line files to a module of the kit. tools/check-mcpack.ts builds and runs one of them
// on the simulator; this checks, without the SDK, that every one is wired the same way.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const json = (file: string) => JSON.parse(readFileSync(path.join(root, file), "utf8"));
/** The code of a one-line module, without its comments. */
const code = (file: string) => readFileSync(path.join(root, file), "utf8").split("\n").filter((line) => line && !line.startsWith("//")).join("\n");

describe("the kit as an mcpack package", () => {
  const exported = Object.entries(json("package.json").exports as Record<string, string>);
  const bridges = json("mcpack/manifest.json").modules as Record<string, string>;
  const kitModules = json("modules/manifest.json").modules as Record<string, string>;

  it("exports http/fetch at least", () => {
    assert.ok(exported.some(([key]) => key === "./http/fetch"), JSON.stringify(exported));
  });

  it("each export is mcpack/<specifier>.js, which imports moddable:netkit/<specifier>", () => {
    for (const [key, target] of exported) {
      const specifier = key.slice(2);
      assert.equal(target, `./mcpack/${specifier}.js`);
      assert.equal(code(target), `export * from "moddable:netkit/${specifier}";`, target);
    }
  });

  it("mcpack/manifest.json lists netkit/<specifier> for each export, a .js module re-exporting the kit's", () => {
    assert.deepEqual(Object.keys(bridges).sort(), exported.map(([key]) => `netkit/${key.slice(2)}`).sort());
    for (const [name, source] of Object.entries(bridges)) {
      const specifier = name.slice("netkit/".length);
      assert.equal(source, `./bridge/${specifier}`);
      assert.equal(code(`mcpack/bridge/${specifier}.js`), `export * from "${specifier}";`);
      assert.ok(kitModules[specifier], `${specifier} is a module of modules/manifest.json`);
      assert.ok(existsSync(path.join(root, "modules", `${kitModules[specifier]}.ts`)), `modules/${kitModules[specifier]}.ts`);
    }
  });

  it("mcpack/ is its own package scope, named as the kit, whose manifest includes the kit's modules", () => {
    const scope = json("mcpack/package.json");
    assert.equal(scope.name, json("package.json").name);
    assert.equal(scope.type, "module");
    assert.ok((json("mcpack/manifest.json").include as string[]).includes("../modules/manifest.json"));
  });

  it("the example depends on the kit from this working tree", () => {
    assert.equal(json("examples/fetch/package.json").dependencies["esp32-netkit"], "file:../..");
  });
});
