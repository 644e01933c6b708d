// GET /: the temperature as a person meets it in a browser. The first reading is in the HTML (so the page
// works with JavaScript off, and then reloads itself every 30 s); a script then fetches /temperature every
// 3 s, less than the server's 5 s keep-alive idle deadline, so a browser keeps one connection (over HTTPS,
// one handshake). The template is string constants of a preloaded module: they stay in flash, and serving
// the page costs only its text (about 1 KB) and its UTF-8 bytes while the response is written.
import type { TemperatureReading } from "sensors/temperature";

const START = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Temperature</title><noscript><meta http-equiv="refresh" content="30"></noscript>
<style>body{font:1.2em system-ui,sans-serif;text-align:center;margin:3em 1em}#v{font-size:4em;font-weight:bold}p{color:#555}</style>
<h1>Temperature</h1><div id="v">`;
const MIDDLE = `</div><p>read <time id="t" datetime="`;
const END = `</time> · <span id="s"><noscript>reloads every 30 s</noscript></span></p>
<script>const $=(i)=>document.getElementById(i);$("s").textContent="updated every 3 s";setInterval(async()=>{try{const a=await fetch("/temperature",{cache:"no-store"});if(!a.ok)throw Error(a.status);const r=await a.json();$("v").textContent=r.value.toFixed(1)+" \\u00b0"+r.unit;$("t").dateTime=r.time;$("t").textContent=r.time.slice(0,10)+" "+r.time.slice(11,19)+" UTC";$("s").textContent="updated every 3 s"}catch(e){$("s").textContent="no new reading ("+e.message+")"}},3000)</script>
`;

/** Text for HTML content and attribute values. */
function escape(text: string): string {
  if (!(text.includes("&") || text.includes("<") || text.includes(">") || text.includes("\"")))
    return text;
  let result = "";
  for (const c of text)
    result += c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "\"" ? "&quot;" : c;
  return result;
}

/** The page for a reading: its value to 0.1, its unit, and its time (UTC). */
export function temperaturePage(reading: TemperatureReading): string {
  const time = escape(reading.time);
  // one join, one allocation of the page's length (a chain of + would allocate each prefix in turn)
  return [START, reading.value.toFixed(1), " °", escape(reading.unit), MIDDLE, time, `">`,
    time.slice(0, 10), " ", time.slice(11, 19), " UTC", END].join("");
}

/** The Content-Type the page is served with. */
export const PAGE_TYPE = "text/html; charset=utf-8";
