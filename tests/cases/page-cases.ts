// The page main.ts serves on GET / (sensors/temperature-page), rendered on the lane's engine: the first
// reading is in the HTML, so it shows with JavaScript off. The browser test (tests/node/browser.test.ts)
// loads it in Chromium; here it is the page's text, so the simulator lane checks the module under XS.
import { temperaturePage } from "sensors/temperature-page";
import { readTemperature } from "sensors/temperature";
import { assert, equal, type TestCase } from "./harness";

function between(text: string, start: string, end: string): string {
  const at = text.indexOf(start);
  assert(at >= 0, `the page has no ${start}`);
  const from = at + start.length;
  return text.slice(from, text.indexOf(end, from));
}

export const pageCases: TestCase[] = [
  {
    name: "page: the reading, its unit and its time are in the HTML, the value to 0.1",
    async run() {
      const page = temperaturePage({ value: 24, unit: "C", time: "2026-12-01T13:20:05.123Z", source: "stand-in" });
      assert(page.startsWith("<!doctype html>"), "a HTML document");
      equal(between(page, `<div id="v">`, "</div>"), "24.0 °C", "the value shown");
      equal(between(page, `<time id="t" datetime="`, `"`), "2026-12-01T13:20:05.123Z", "the time's datetime");
      equal(between(page, `datetime="2026-12-01T13:20:05.123Z">`, "</time>"), "2026-12-01 13:20:05 UTC", "the time shown");
      assert(page.includes(`fetch("/temperature"`), "the script refreshes from /temperature");
      assert(page.includes(`<noscript><meta http-equiv="refresh" content="30">`), "without JavaScript it reloads itself");
      assert(page.includes(`<noscript>reloads every 30 s</noscript>`), "and says so");
    },
  },
  {
    name: "page: text from the sensor is escaped, and the stand-in's reading renders",
    async run() {
      const page = temperaturePage({ value: 21.26, unit: "<b>&\"" as "C", time: "2026-12-01T13:20:05.123Z", source: "stand-in" });
      equal(between(page, `<div id="v">`, "</div>"), "21.3 °&lt;b&gt;&amp;&quot;", "the unit escaped");
      const reading = readTemperature();
      const shown = between(temperaturePage(reading), `<div id="v">`, "</div>");
      equal(shown, `${reading.value.toFixed(1)} °C`, "the stand-in's value");
    },
  },
];
