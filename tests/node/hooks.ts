// Mocha root hooks: the fixture servers of the shared cases, and the host runtime pointed at them.
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startFixtures, type Fixtures } from "../../tools/fixtures.js";
import { config, resourceDirs } from "../../host/runtime.js";

let fixtures: Fixtures | undefined;
let resourceDir: string | undefined;

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(120000); // the certificates of the fixtures and the TLS zoo are generated here: slow on a loaded machine
    fixtures = await startFixtures();
    Object.assign(config, fixtures.config, { testLane: "node" });
    resourceDir = mkdtempSync(path.join(tmpdir(), "netkit-resources-"));
    for (const [name, bytes] of Object.entries(fixtures.resources))
      writeFileSync(path.join(resourceDir, name), bytes);
    resourceDirs.push(resourceDir);
    process.env.HOST_DNS = fixtures.dnsServer;
    process.env.HOST_SNTP_PORT = fixtures.config.fixtureSntpPort;
  },
  async afterAll() {
    await fixtures?.close();
    if (resourceDir)
      rmSync(resourceDir, { recursive: true, force: true });
  },
};
