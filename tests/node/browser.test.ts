// The app's page as a person meets it: Debian's Chromium, headless, driven by playwright-core, loads GET /
// from main.ts on the host runtime over HTTP and over HTTPS. The device certificate is made by the `certs`
// command and its CA is trusted the way a person trusts it, in the browser's certificate store (an NSS
// database in a HOME of the test's own), never by ignoring certificate errors: a certificate from another
// CA is refused. The sensor is one the test sets ($HOST_MODULES). Screenshots go to
// build/test-output/browser/. Without Chromium or certutil, one line says the test did not run and why.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { accepts, freePort } from "../../tools/ports.js";
import { buildRoot, hostRegister } from "../../host/paths.js";

const shots = path.resolve(buildRoot, "..", "test-output", "browser");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** Headless as root on a closed network: no sandbox (root), nothing that calls out. */
const chromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

function whyNot(): string | undefined {
  if (!existsSync(executablePath))
    return `no Chromium at ${executablePath} (apt-get install chromium libnss3-tools, as .ci/run does)`;
  if (spawnSync("certutil", ["-H"], { stdio: "ignore" }).error)
    return "no certutil to trust the test CA in the browser (apt-get install libnss3-tools, as .ci/run does)";
  return undefined;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `certs device <names> --out <out> --ca-dir <caDir>`, as a person runs it. */
function certsDevice(names: string[], outDir: string, caDir: string): void {
  execFileSync(process.execPath, [path.join(buildRoot, "tools", "certs.js"), "device", ...names, "--out", outDir, "--ca-dir", caDir, "--json"],
    { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * `page` as shown, into the screenshots folder. Chromium sometimes cannot capture a page it is still
 * drawing ("Unable to capture screenshot", seen on a loaded machine): 5 tries at most. The last error, or
 * undefined.
 */
async function screenshot(page: Page, file: string): Promise<Error | undefined> {
  let failure: Error | undefined;
  for (let i = 0; i < 5; i++) {
    try {
      await page.waitForLoadState("load", { timeout: 2000 });
      await page.screenshot({ path: path.join(shots, file), timeout: 5000 });
      return undefined;
    }
    catch (error) {
      failure = error as Error;
      await pause(200);
    }
  }
  return failure;
}

interface App { process: ChildProcess; output: () => string }

/** main.ts on the host runtime, serving with the scripted sensor and the certificate of `identity`. */
async function startApp(config: Record<string, unknown>, identity: string, sensorFile: string): Promise<App> {
  let output = "";
  const app = spawn(process.execPath, ["--import", hostRegister, path.join(buildRoot, "main.js")], {
    env: {
      ...process.env,
      HOST_CONFIG: JSON.stringify({ ssid: "", urls: [], serverAddress: "127.0.0.1", ...config }),
      HOST_RESOURCES: identity,
      HOST_MODULES: JSON.stringify({ "sensors/temperature": path.join(buildRoot, "tests/support/scripted-temperature.js") }),
      SCRIPTED_TEMPERATURE: sensorFile,
    },
  });
  app.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  app.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ports = [config.server, config.secureServer].filter((port): port is number => typeof port === "number" && port > 0);
  for (let i = 0; i < 100 && ports.some((port) => !output.includes(`on port ${port}: GET /`)); i++)
    await pause(50);
  for (const port of ports) { // the host Listener binds a moment after the trace: at most 2 s
    for (let i = 0; i < 40 && !(await accepts(port)); i++)
      await pause(50);
  }
  return { process: app, output: () => output };
}

const why = whyNot();
if (why)
  console.log(`browser test did not run: ${why}`);
else {
  describe("the temperature page in a real browser (headless Chromium)", function () {
    this.timeout(60000);
    let work: string;
    let sensorFile: string;
    let httpPort: number;
    let httpsPort: number;
    let strangerPort: number;
    const apps: App[] = [];
    let browser: Browser | undefined;
    let context: BrowserContext;

    before(async function () {
      this.timeout(120000);
      work = mkdtempSync(path.join(tmpdir(), "netkit-browser-"));
      mkdirSync(shots, { recursive: true });
      sensorFile = path.join(work, "temperature");
      writeFileSync(sensorFile, "21.5");
      // the device's certificate from the CA the person trusts, and one from a CA nobody here trusts
      certsDevice(["127.0.0.1", "localhost"], path.join(work, "identity"), path.join(work, "ca"));
      certsDevice(["127.0.0.1", "localhost"], path.join(work, "stranger-identity"), path.join(work, "stranger-ca"));
      // trusting the CA once, in the browser's own store (Chromium on Linux reads $HOME/.pki/nssdb)
      const home = path.join(work, "home");
      const nssdb = `sql:${path.join(home, ".pki", "nssdb")}`;
      mkdirSync(path.join(home, ".pki", "nssdb"), { recursive: true });
      execFileSync("certutil", ["-N", "-d", nssdb, "--empty-password"], { stdio: "ignore" });
      execFileSync("certutil", ["-A", "-d", nssdb, "-t", "C,,", "-n", "netkit device CA (test)", "-i", path.join(work, "ca", "netkit-ca.pem")], { stdio: "ignore" });
      [httpPort, httpsPort, strangerPort] = [await freePort(), await freePort(), await freePort()];
      apps.push(await startApp({ server: httpPort, secureServer: httpsPort }, path.join(work, "identity"), sensorFile));
      apps.push(await startApp({ secureServer: strangerPort }, path.join(work, "stranger-identity"), sensorFile));
      for (const app of apps)
        assert.match(app.output(), /main: serving https on port \d+: GET \/ and \/temperature/, app.output());
      browser = await chromium.launch({ executablePath, args: chromiumFlags, env: { ...process.env, HOME: home }, timeout: 30000 });
      context = await browser.newContext({ viewport: { width: 480, height: 320 } });
    });

    after(async () => {
      await browser?.close();
      for (const app of apps)
        app.process.kill();
      if (work)
        rmSync(work, { recursive: true, force: true });
    });

    it("over HTTP, the page shows the sensor's reading with its unit and the time it was read", async () => {
      const page = await context.newPage();
      const response = await page.goto(`http://127.0.0.1:${httpPort}/`);
      assert.equal(response?.status(), 200);
      assert.equal(response?.headers()["content-type"], "text/html; charset=utf-8");
      assert.equal(await page.title(), "Temperature");
      assert.equal(await page.locator("#v").innerText(), "21.5 °C");
      assert.match(await page.locator("#t").innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.ok(!Number.isNaN(Date.parse(await page.locator("#t").getAttribute("datetime") ?? "")));
      assert.equal(await page.locator("#s").innerText(), "updated every 3 s");
      assert.equal(await screenshot(page, "http.png"), undefined, "screenshot");
      await page.close();
    });

    it("the number on the page changes when the sensor's reading changes, without reloading", async () => {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${httpPort}/`);
      const shown = await page.locator("#v").innerText();
      const loads: string[] = [];
      page.on("framenavigated", (frame) => loads.push(frame.url()));
      const next = shown === "23.7 °C" ? "22.4" : "23.7";
      writeFileSync(sensorFile, next);
      // the page fetches /temperature every 3 s: wait for the new number (bounded), then look
      await page.waitForFunction((text) => document.getElementById("v")?.textContent === text, `${next} °C`, { timeout: 20000 });
      assert.equal(await page.locator("#v").innerText(), `${next} °C`);
      assert.equal(await page.locator("#s").innerText(), "updated every 3 s");
      assert.deepEqual(loads, [], "the page was not reloaded");
      assert.equal(await screenshot(page, "http-updated.png"), undefined, "screenshot");
      await page.close();
    });

    it("with JavaScript off, the page still shows the reading (it is in the HTML)", async () => {
      writeFileSync(sensorFile, "19.8");
      const noScript = await browser!.newContext({ javaScriptEnabled: false, viewport: { width: 480, height: 320 } });
      try {
        const page = await noScript.newPage();
        await page.goto(`http://127.0.0.1:${httpPort}/`);
        assert.equal(await page.locator("#v").innerText(), "19.8 °C");
        assert.match(await page.locator("#t").innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
        assert.equal(await page.locator("#s").innerText(), "reloads every 30 s");
        assert.equal(await screenshot(page, "http-no-javascript.png"), undefined, "screenshot");
      }
      finally {
        await noScript.close();
      }
    });

    it("over HTTPS, with the device's CA trusted in the browser, the page loads and shows the reading", async () => {
      writeFileSync(sensorFile, "24.1");
      const page = await context.newPage();
      const response = await page.goto(`https://127.0.0.1:${httpsPort}/`);
      assert.equal(response?.status(), 200);
      const security = await response!.securityDetails();
      assert.equal(security?.protocol, "TLS 1.2");
      assert.equal(security?.issuer, "netkit device CA");
      assert.equal(security?.subjectName, "localhost");
      assert.equal(await page.locator("#v").innerText(), "24.1 °C");
      writeFileSync(sensorFile, "25.3"); // and the script's fetches go over HTTPS too
      await page.waitForFunction((text) => document.getElementById("v")?.textContent === text, "25.3 °C", { timeout: 20000 });
      assert.equal(await screenshot(page, "https.png"), undefined, "screenshot");
      await page.close();
    });

    it("over HTTPS, a device certificate from a CA the browser does not trust is refused", async () => {
      const page = await context.newPage();
      await assert.rejects(page.goto(`https://127.0.0.1:${strangerPort}/`), /net::ERR_CERT_AUTHORITY_INVALID/);
      const failed = await screenshot(page, "https-untrusted.png"); // Chromium's warning page
      if (failed) // the refusal is what is tested; the picture of the warning is a courtesy
        console.log(`    (no screenshot of the warning page: ${failed.message.split("\n")[0]})`);
      await page.close();
    });
  });
}
