// The HTTP client against the local fixture server (tools/http-fixture.ts). Both lanes.
import Instrumentation from "instrumentation";
import Debug from "debug";
import Timer from "timer";
import { HttpClient, request, type RequestOptions, type Response } from "http/client";
import { Canceller } from "http/client/canceller";
import { ResponseHeaders } from "http/client/response";
import { httpStats } from "http/stats";
import { HttpError, withContext } from "http/errors";
import { KitError } from "kit/error";
import { TlsError } from "tls/error";
import { WiFiError } from "net/wifi";
import { ClockError } from "net/time";
import { CertificateError } from "tls/certificates";
import { assert, equal, rejects, type TestCase } from "./harness";
import { fixtureHost, fixturePort, lane } from "./fixture";

function base(): string {
  return `http://${fixtureHost()}:${fixturePort("Http")}`;
}

async function get(path: string, options?: RequestOptions, client?: HttpClient): Promise<Response> {
  return (client ?? fresh()).request(base() + path, options);
}

/** A client of its own per case, so pooled connections never leak between cases (idle ones close after 5 s). */
function fresh(): HttpClient {
  return new HttpClient({ idleTimeout: 1000 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => Timer.set(() => resolve(), ms));
}

async function connections(): Promise<number> {
  const stats = await (await fresh().request(base() + "/stats", { headers: { connection: "close" } })).json() as { connections: number };
  return stats.connections;
}

function malformed(kind: string, code = "ERR_INVALID_RESPONSE"): TestCase {
  return {
    name: `client: a ${kind} response fails with ${code}, and the VM carries on`,
    async run() {
      await rejects(async () => (await get(`/malformed/${kind}`)).text(), code);
    },
  };
}

export const clientCases: TestCase[] = [
  {
    name: "errors: every error of the kit is a KitError with its code and reason apart, the message joining them",
    async run() {
      const errors: [KitError, string, string][] = [
        [new HttpError("ERR_TRUNCATED", "the body ended early", { host: "a.test", phase: "body" }), "ERR_TRUNCATED", "a.test (body): the body ended early"],
        [new TlsError("ERR_TLS_EXPIRED", "leaf expired"), "ERR_TLS_EXPIRED", "leaf expired"],
        [new WiFiError("ERR_WIFI_AUTH", "wrong password"), "ERR_WIFI_AUTH", "wrong password"],
        [new ClockError("ERR_SNTP_TIMEOUT", "no answer"), "ERR_SNTP_TIMEOUT", "no answer"],
        [new CertificateError("not PEM"), "ERR_PEM", "not PEM"],
      ];
      for (const [error, code, reason] of errors) {
        assert(error instanceof KitError && error instanceof Error, `${error.name} is a KitError`);
        equal(error.code, code, `${error.name} code`);
        equal(error.reason, reason, `${error.name} reason`);
        equal(error.message, `${code}: ${reason}`, `${error.name} message`);
      }
      const stamped = withContext(new HttpError("ERR_INVALID_RESPONSE", "bad status line"), "b.test", "headers");
      equal(stamped.reason, "b.test (headers): bad status line", "a parser's error stamped with host and phase keeps its reason once");
    },
  },
  {
    name: "client: GET returns status, headers, text, with the URL it answered from",
    async run() {
      const response = await get("/hello");
      equal(response.status, 200, "status");
      equal(response.statusText, "OK", "statusText");
      equal(response.headers.get("CONTENT-TYPE"), "text/plain", "header, any case");
      equal(await response.text(), "hello world", "body");
      const { dns, connect, firstByte, body } = response.timings;
      assert(dns === 0 && connect >= 0 && firstByte >= 0 && body >= 0, `timings ${JSON.stringify(response.timings)}`);
      equal(response.url, base() + "/hello", "url");
      equal(response.redirected, false, "redirected");
    },
  },
  {
    name: "client: response headers are one string: names any case, repeats joined or apart, values with colons or empty, entries in order",
    async run() {
      const headers = new ResponseHeaders([["set-cookie", "a=1"], ["content-type", "text/plain"], ["x-time", "12:30:00"], ["set-cookie", "b=2"], ["x-empty", ""], ["type", "inner"]]);
      equal(headers.get("Set-Cookie"), "a=1, b=2", "repeats joined");
      equal(headers.getAll("set-cookie").join("|"), "a=1|b=2", "repeats apart");
      equal(headers.get("CONTENT-TYPE"), "text/plain", "any case");
      equal(headers.get("type"), "inner", "a name that ends another is not that one");
      equal(headers.get("x-time"), "12:30:00", "a value with colons");
      equal(headers.get("x-empty"), "", "an empty value");
      equal(headers.has("x-empty"), true, "has an empty one");
      equal(headers.get("content"), null, "a name that begins another is not that one");
      equal(headers.has("x-missing"), false, "has not");
      equal(JSON.stringify(Array.from(headers)), JSON.stringify([["set-cookie", "a=1"], ["content-type", "text/plain"], ["x-time", "12:30:00"], ["set-cookie", "b=2"], ["x-empty", ""], ["type", "inner"]]), "entries in order");
      equal(Array.from(new ResponseHeaders([])).length, 0, "none");
    },
  },
  {
    name: "client: the request carries Host with the port, a User-Agent and the caller's headers",
    async run() {
      const echo = await (await get("/echo", { headers: [["X-One", "1"], ["Accept", "application/json"]] })).json() as { headers: Record<string, string> };
      equal(echo.headers.host, `${fixtureHost()}:${fixturePort("Http")}`, "Host");
      assert(echo.headers["user-agent"]?.startsWith("netkit/"), `User-Agent ${echo.headers["user-agent"]}`);
      equal(echo.headers["x-one"], "1", "caller's header");
      equal(echo.headers.accept, "application/json", "caller's Accept");
    },
  },
  {
    name: "client: POST of a JSON object sends it with Content-Length and application/json",
    async run() {
      const echo = await (await get("/echo", { method: "POST", body: { a: 1, b: "two" } })).json() as { method: string; headers: Record<string, string>; body: string };
      equal(echo.method, "POST", "method");
      equal(echo.headers["content-type"], "application/json", "content-type");
      equal(echo.headers["content-length"], String(echo.body.length), "content-length");
      equal(echo.body, '{"a":1,"b":"two"}', "body");
    },
  },
  {
    name: "client: an async iterable body goes out chunked and arrives whole",
    async run() {
      async function* parts() {
        yield "first,";
        yield Uint8Array.of(0x73, 0x65, 0x63, 0x6f, 0x6e, 0x64); // "second"
      }
      const echo = await (await get("/echo", { method: "PUT", body: parts() })).json() as { headers: Record<string, string>; body: string };
      equal(echo.headers["transfer-encoding"], "chunked", "framing");
      equal(echo.body, "first,second", "body");
    },
  },
  {
    name: "client: CR, LF or NUL in a header or the method fails with ERR_INVALID_REQUEST before anything is sent",
    async run() {
      const before = await connections();
      await rejects(() => get("/echo", { headers: { "X-Bad": "a\r\nInjected: yes" } }), "ERR_INVALID_REQUEST");
      await rejects(() => get("/echo", { method: "GET /x HTTP/1.1\r\n" }), "ERR_INVALID_REQUEST");
      equal(await connections(), before + 1, "connections (only the stats request's own)");
    },
  },
  {
    name: "client: json() parses, chunked bodies with extensions and trailers arrive whole",
    async run() {
      const value = await (await get("/json")).json() as { value: number };
      equal(value.value, 42, "json value");
      equal(await (await get("/chunked")).text(), "hello world", "chunked body");
    },
  },
  {
    name: "client: a close-delimited body, a 100 Continue before the answer, 204 and 304 without bodies",
    async run() {
      equal(await (await get("/close-delimited")).text(), "until the end", "close-delimited");
      equal(await (await get("/continue")).text(), "final", "after 100 Continue");
      equal(await (await get("/no-content")).text(), "", "204");
      const notModified = await get("/not-modified");
      equal(notModified.status, 304, "304 status");
      equal(await notModified.text(), "", "304 body (despite Content-Length)");
    },
  },
  {
    name: "client: keep-alive: five sequential requests to one origin use one TCP connection",
    async run() {
      const client = fresh();
      const before = await connections();
      for (let i = 0; i < 5; i++)
        equal(await (await get("/hello", {}, client)).text(), "hello world", `response ${i}`);
      equal(await connections(), before + 1 + 1, "connections (ours, then the stats request's)");
    },
  },
  {
    name: "client: a pooled connection the server closed is replaced, and the GET is retried once",
    async run() {
      const client = fresh();
      equal(await (await get("/close-after", {}, client)).text(), "one", "first");
      await sleep(150); // the server drops the idle connection 20 ms after answering
      equal(await (await get("/hello", {}, client)).text(), "hello world", "second, on a fresh connection");
    },
  },
  {
    name: "client: Connection: close from the caller is honoured (no reuse)",
    async run() {
      const client = fresh();
      const before = await connections();
      await (await get("/hello", { headers: { Connection: "close" } }, client)).text();
      await (await get("/hello", { headers: { Connection: "close" } }, client)).text();
      equal(await connections(), before + 2 + 1, "connections");
    },
  },
  {
    name: "client: redirects: 303 turns POST into GET, 307 keeps POST and body, relative Location resolves",
    async run() {
      const seeOther = await get("/redirect-303", { method: "POST", body: "data" });
      const afterSeeOther = await seeOther.json() as { method: string; body: string };
      equal(afterSeeOther.method, "GET", "method after 303");
      equal(afterSeeOther.body, "", "body after 303");
      equal(seeOther.redirected, true, "redirected");
      equal(seeOther.url, base() + "/echo", "final url");
      const temporary = await (await get("/redirect-307", { method: "POST", body: "data" })).json() as { method: string; body: string };
      equal(temporary.method, "POST", "method after 307");
      equal(temporary.body, "data", "body after 307");
      equal(await (await get("/redirect-relative")).text(), "hello world", "relative Location");
    },
  },
  {
    name: "client: a redirect to another origin drops Authorization and Cookie",
    async run() {
      const echo = await (await get("/redirect-cross", { headers: { Authorization: "Bearer secret", Cookie: "a=b", "X-Keep": "1" } })).json() as { headers: Record<string, string> };
      equal(echo.headers.authorization, undefined, "authorization");
      equal(echo.headers.cookie, undefined, "cookie");
      equal(echo.headers["x-keep"], "1", "other headers kept");
    },
  },
  {
    name: "client: a redirect loop ends with ERR_TOO_MANY_REDIRECTS; redirect \"manual\" returns the 3xx",
    async run() {
      await rejects(() => get("/redirect-loop", { maxRedirects: 3 }), "ERR_TOO_MANY_REDIRECTS");
      const manual = await get("/redirect-loop", { redirect: "manual" });
      equal(manual.status, 302, "status with redirect manual");
      equal(manual.headers.get("location"), "/redirect-loop", "location");
      await manual.discard();
    },
  },
  {
    name: "client: a refused port fails with ERR_CONNECT_REFUSED",
    async run() {
      await rejects(() => fresh().request(`http://${fixtureHost()}:${fixturePort("Refused")}/`), "ERR_CONNECT_REFUSED");
    },
  },
  {
    name: "client: a refused port over https fails with ERR_CONNECT_REFUSED too (not as a TLS failure)",
    async run() {
      await rejects(() => fresh().request(`https://${fixtureHost()}:${fixturePort("Refused")}/`), "ERR_CONNECT_REFUSED");
    },
  },
  {
    name: "client: a host name that does not resolve fails with ERR_DNS",
    skip: { lane: "sim", reason: "the simulator's resolver would ask the machine's DNS server: tests send nothing off loopback" },
    async run() {
      await rejects(() => fresh().request("http://no-such-host.invalid/"), "ERR_DNS");
    },
  },
  {
    name: "client: a TLS handshake the server never answers trips ERR_CONNECT_TIMEOUT (phase tls)",
    async run() {
      const error = await rejects(() => fresh().request(`https://${fixtureHost()}:${fixturePort("Silent")}/`, { timeouts: { connect: 500 } }), "ERR_CONNECT_TIMEOUT");
      equal(error.phase, "tls", "phase the deadline ran out in");
    },
  },
  {
    name: "client: a server that never answers trips ERR_HEADERS_TIMEOUT",
    async run() {
      const error = await rejects(() => get("/no-head", { timeouts: { headers: 300 } }), "ERR_HEADERS_TIMEOUT");
      equal(error.phase, "headers", "phase");
    },
  },
  {
    name: "client: a head that never ends trips ERR_HEADERS_TIMEOUT",
    async run() {
      await rejects(() => get("/stall-head", { timeouts: { headers: 300 } }), "ERR_HEADERS_TIMEOUT");
    },
  },
  {
    name: "client: a body that stalls trips ERR_IDLE_TIMEOUT while reading",
    async run() {
      const response = await get("/stall-body", { timeouts: { idle: 300 } });
      await rejects(() => response.text(), "ERR_IDLE_TIMEOUT");
    },
  },
  {
    name: "client: a body trickling a byte per 200 ms passes the idle deadline but trips the total one (ERR_TIMEOUT)",
    async run() {
      const response = await get("/trickle", { timeouts: { idle: 1000, total: 1200 } });
      await rejects(() => response.text(), "ERR_TIMEOUT");
    },
  },
  {
    name: "client: a body cut short fails with ERR_TRUNCATED, sized or chunked",
    async run() {
      await rejects(async () => (await get("/truncated")).text(), "ERR_TRUNCATED");
      await rejects(async () => (await get("/truncated-chunked")).text(), "ERR_TRUNCATED");
    },
  },
  {
    name: "client: text() beyond maxBodyBytes fails with ERR_BODY_TOO_LARGE",
    async run() {
      const response = await get("/big?n=5000", { maxBodyBytes: 4096 });
      await rejects(() => response.text(), "ERR_BODY_TOO_LARGE");
    },
  },
  {
    name: "client: abort before the head arrives and abort while the body streams both give ERR_ABORTED",
    async run() {
      const early = new Canceller();
      const pending = get("/no-head", { signal: early.signal, timeouts: { headers: 5000 } });
      early.abort();
      await rejects(() => pending, "ERR_ABORTED");
      const late = new Canceller();
      const response = await get("/stall-body", { signal: late.signal, timeouts: { idle: 5000 } });
      const reading = response.text();
      late.abort();
      await rejects(() => reading, "ERR_ABORTED");
    },
  },
  {
    name: "client: stopping a body early releases the connection (closed, since bytes were left)",
    async run() {
      const client = fresh();
      const response = await get("/big?n=200000", {}, client);
      for await (const chunk of response.body) {
        assert(chunk.length > 0, "chunk");
        break;
      }
      equal(await (await get("/hello", {}, client)).text(), "hello world", "the client still works");
    },
  },
  {
    name: "client: consume() hands a sized and a chunked body to its callback chunk by chunk, resolves with the byte count, and the connection is reused",
    async run() {
      const client = fresh();
      const size = 100_000;
      let seen = 0;
      let calls = 0;
      const sized = await (await get(`/big?n=${size}`, {}, client)).consume((chunk) => {
        seen += chunk.length;
        calls++;
      });
      equal(sized, size, "resolved count");
      equal(seen, size, "bytes handed over");
      assert(calls > 1, `chunks ${calls}`);
      const reused = httpStats.reused;
      const expected = await (await get("/chunked", {}, fresh())).text();
      let text = "";
      const chunked = await (await get("/chunked", {}, client)).consume((chunk) => {
        text += String.fromCharCode(...chunk);
      });
      equal(text, expected, "chunked body");
      equal(chunked, expected.length, "chunked count");
      equal(httpStats.reused - reused, 1, "the second request reused the first one's connection");
    },
  },
  {
    name: "client: consume() called after the body arrived gets the queued chunks first, in order",
    async run() {
      const response = await get("/hello");
      await sleep(300); // the body has arrived and waits in the queue
      let text = "";
      equal(await response.consume((chunk) => {
        text += String.fromCharCode(...chunk);
      }), 11, "count");
      equal(text, "hello world", "body");
    },
  },
  {
    name: "client: a consume() callback that throws rejects with what it threw, the connection is closed, the client carries on",
    async run() {
      const client = fresh();
      const response = await get("/big?n=200000", {}, client);
      const stop = new Error("enough");
      let calls = 0;
      let caught: unknown;
      try {
        await response.consume(() => {
          calls++;
          throw stop;
        });
      }
      catch (error) {
        caught = error;
      }
      equal(caught, stop, "rejected with the callback's error");
      equal(calls, 1, "no chunk after the throw");
      const before = httpStats.reused;
      equal(await (await get("/hello", {}, client)).text(), "hello world", "the client still works");
      equal(httpStats.reused, before, "on a new connection, not the abandoned one");
    },
  },
  {
    name: "client: consume() rejects with the body's error (ERR_TRUNCATED), and on a body already read with ERR_INVALID_REQUEST",
    async run() {
      await rejects(async () => (await get("/truncated")).consume(() => undefined), "ERR_TRUNCATED");
      const response = await get("/hello");
      equal(await response.text(), "hello world", "read once");
      await rejects(async () => response.consume(() => undefined), "ERR_INVALID_REQUEST");
    },
  },
  {
    name: "client: onBody takes the final response's body from its first byte (never a followed redirect's); consume() then gives the count, to every caller",
    async run() {
      const size = 50_000;
      let seen = 0;
      let status = 0;
      const response = await get(`/big?n=${size}`, {
        onBody(chunk, from) {
          seen += chunk.length;
          status = from.status;
        },
      });
      const [first, second] = await Promise.all([response.consume(), response.consume()]); // asked twice before the end
      equal(first, size, "count");
      equal(second, size, "count, asked again");
      equal(await response.consume(), size, "count, asked after the end");
      equal(seen, size, "bytes handed to onBody");
      equal(status, 200, "the response, given with each chunk");
      let text = "";
      const redirected = await get("/redirect-303", {
        onBody(chunk) {
          text += String.fromCharCode(...chunk);
        },
      });
      await redirected.consume();
      equal(redirected.redirected, true, "redirected");
      const echo = JSON.parse(text) as { method: string };
      equal(echo.method, "GET", "onBody saw only the final response's body");
      await rejects(async () => redirected.text(), "ERR_INVALID_REQUEST");
    },
  },
  {
    name: "client: consume() without a callback, on a request without onBody, fails with ERR_INVALID_REQUEST",
    async run() {
      const response = await get("/hello");
      await rejects(async () => response.consume(), "ERR_INVALID_REQUEST");
      equal(await response.text(), "hello world", "the body is still readable");
    },
  },
  {
    name: "client: a 1 MB body streams in chunks and retains no body: heap after forced GCs grows < 64 KB on XS (< 512 KB on Node, whose heap is noisier)",
    async run() {
      const size = 1024 * 1024;
      const heap = Instrumentation.map("XS Chunk Heap Used");
      const retained = () => {
        Debug.gc();
        return Instrumentation.get(heap) ?? 0;
      };
      const response = await get(`/big?n=${size}`, { timeouts: { idle: 20000 } });
      const baseline = retained();
      let peak = baseline;
      let total = 0;
      let largest = 0;
      let count = 0;
      for await (const chunk of response.body) {
        total += chunk.length;
        largest = Math.max(largest, chunk.length);
        if (++count % 64 === 0)
          peak = Math.max(peak, retained());
      }
      equal(total, size, "bytes received");
      assert(largest <= 16384, `largest chunk ${largest}`);
      const bound = lane() === "sim" ? 65536 : size / 2;
      assert(peak - baseline < bound, `retained heap grew by ${peak - baseline} bytes while streaming ${size}`);
    },
  },
  {
    name: "client: the default request() works and HTTP errors carry host and phase in their message",
    async run() {
      equal(await (await request(base() + "/hello")).text(), "hello world", "default client");
      const error = await rejects(() => request(base() + "/no-head", { timeouts: { headers: 200 } }), "ERR_HEADERS_TIMEOUT");
      assert(error.message.includes(fixtureHost()) && error.message.includes("headers"), error.message);
    },
  },
  {
    name: "client: a status line without a reason phrase is valid (the SDK's Request aborts the VM on it)",
    async run() {
      const response = await get("/malformed/no-reason");
      equal(response.status, 200, "status");
      equal(response.statusText, "", "statusText");
      equal(await response.text(), "ok", "body");
    },
  },
  malformed("banner"),
  malformed("cl-conflict"),
  malformed("cl-negative"),
  malformed("gzip-chunked"),
  malformed("hex-prefix"),
  malformed("no-colon"),
  malformed("huge-head", "ERR_HEADERS_TOO_LARGE"),
];

