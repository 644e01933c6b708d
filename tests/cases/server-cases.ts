// The HTTP server (http/server) on the SDK's Listener, with its clients in the same VM: raw SDK Sockets
// (for bytes no proper client sends) and our own http/client. Both lanes; 127.0.0.1 only. Bounds are small:
// the simulator reads 1 KB per socket per tick and services 10 sockets per tick.
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import Timer from "timer";
import { HttpServer, type ServerOptions, type ServerRequest } from "http/server";
import { HttpClient, type Response } from "http/client";
import { HttpError } from "http/errors";
import { ResponseParser, type ResponseHead } from "http/protocol/response-parser";
import { RequestParser, isHost } from "http/protocol/request-parser";
import { readTemperature } from "sensors/temperature";
import { assert, deadline, equal, type TestCase } from "./harness";
import { fixtureHost, fixturePort, serverPort } from "./fixture";

const HOST = "127.0.0.1";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => Timer.set(() => resolve(), ms));
}

/** A server on a free port of loopback with the cases' routes, passed to `work`, closed after it. */
async function withServer(options: ServerOptions, work: (server: HttpServer, base: string) => Promise<void>, setup?: (server: HttpServer) => void): Promise<void> {
  const port = serverPort();
  const errors: HttpError[] = [];
  const server = new HttpServer({ port, address: HOST, onError: (error) => errors.push(error), ...options });
  server.route("GET", "/", () => ({ body: "home" }));
  server.route("GET", "/temperature", () => ({ json: readTemperature() }));
  server.route("*", "/echo", (request: ServerRequest) => ({
    json: { method: request.method, query: request.query, body: request.text(), connection: request.connection, length: request.body.length },
  }));
  setup?.(server);
  server.listen();
  try {
    await work(server, `http://${HOST}:${port}`);
  }
  finally {
    server.close();
  }
}

interface RawResponse {
  head: ResponseHead;
  body: string;
}

interface RawResult {
  responses: RawResponse[];
  /** The server closed the connection (disconnect or error message). */
  closed: boolean;
}

/**
 * A raw SDK Socket to `port` that sends `parts` (each after `gap` ms, if given), reads responses with our
 * response parser, and ends when `until` responses arrived (closing its side) or the server closed.
 */
function raw(port: number, parts: string[], until: number, options: { gap?: number; methods?: string[] } = {}): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const responses: RawResponse[] = [];
    const methods = options.methods ?? [];
    let head: ResponseHead | undefined;
    let body = "";
    const parser = new ResponseParser({
      onHead: (h) => {
        head = h;
        body = "";
      },
      onData: (chunk) => {
        for (const byte of chunk)
          body += String.fromCharCode(byte);
      },
      onComplete: () => {
        responses.push({ head: head!, body });
        parser.expect(methods[responses.length] ?? "GET");
      },
    });
    parser.expect(methods[0] ?? "GET");
    const socket = new Socket({ host: HOST, port }) as unknown as StreamSocket;
    const queue: string[] = [];
    let finished = false;
    let timer: ReturnType<typeof Timer.set> | undefined;
    const finish = (closed: boolean, error?: unknown) => {
      if (finished)
        return;
      finished = true;
      if (timer !== undefined)
        Timer.clear(timer);
      try {
        socket.close();
      }
      catch {
        // closed by the SDK already
      }
      if (error)
        reject(error);
      else
        resolve({ responses, closed });
    };
    const flush = () => {
      while (queue.length && !finished) {
        const free = socket.write();
        if (free <= 0)
          return;
        const text = queue[0];
        if (text.length > free) {
          socket.write(text.slice(0, free));
          queue[0] = text.slice(free);
        }
        else {
          socket.write(text);
          queue.shift();
        }
      }
    };
    const sendNext = (index: number) => {
      if (finished || index >= parts.length)
        return;
      queue.push(parts[index]);
      try {
        flush();
      }
      catch {
        return; // the server closed first: what it answered is what counts
      }
      if (options.gap)
        timer = Timer.set(() => sendNext(index + 1), options.gap);
      else
        sendNext(index + 1);
    };
    socket.callback = (message: number) => {
      try {
        if (message === 1)
          sendNext(0);
        else if (message === 2) {
          const buffer = socket.read(ArrayBuffer);
          let bytes = new Uint8Array(buffer);
          while (bytes.length && !finished) {
            const used = parser.push(bytes);
            bytes = bytes.subarray(used);
            if (responses.length >= until)
              finish(false);
            if (used === 0)
              break;
          }
        }
        else if (message === 3)
          flush();
        else if (message < 0)
          finish(true);
      }
      catch (error) {
        finish(true, error);
      }
    };
  });
}

function request(method: string, target: string, extra = "", body = ""): string {
  const length = body || method === "POST" ? `Content-Length: ${body.length}\r\n` : "";
  return `${method} ${target} HTTP/1.1\r\nHost: ${HOST}\r\n${extra}${length}\r\n${body}`;
}

function portOf(base: string): number {
  return Number(base.slice(base.lastIndexOf(":") + 1));
}

async function status(base: string, parts: string[], expected: number, what: string, methods?: string[]): Promise<RawResult> {
  const result = await deadline(raw(portOf(base), parts, 1, { methods }), 10000, `answer to ${what}`);
  equal(result.responses.length, 1, `responses to ${what}`);
  equal(result.responses[0].head.status, expected, `status for ${what} (${result.responses[0].body.trim()})`);
  return result;
}

function client(): HttpClient {
  return new HttpClient({ idleTimeout: 500, maxSocketsPerOrigin: 4 });
}

function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** What the request parser makes of `input` pushed in the given pieces: one line per event, or the status it refused with. */
function parseRequests(pieces: Uint8Array[]): string {
  let out = "";
  let inData = false; // consecutive data events are one line: chunk boundaries are the split's, not the parser's
  const parser = new RequestParser({
    onHead: (h) => (inData = false, out += `head ${h.method} ${h.path} ?${h.query} ${h.version} ${h.bodyKind} ${h.contentLength} keep=${h.keepAlive} [${h.headers.map(([n, v]) => `${n}=${v}`).join(";")}]\n`),
    onData: (chunk) => {
      out = inData ? out.slice(0, -1) + `${String.fromCharCode(...chunk)}\n` : out + `data ${String.fromCharCode(...chunk)}\n`;
      inData = true;
    },
    onComplete: (trailers) => (inData = false, out += `done [${trailers.map(([n, v]) => `${n}=${v}`).join(";")}]\n`),
  }, { maxHeaderBytes: 256, maxBodyBytes: 64 });
  try {
    for (let piece of pieces) {
      while (piece.length) {
        const used = parser.push(piece);
        piece = piece.subarray(used);
        if (parser.complete)
          parser.reset();
        else if (used === 0)
          break;
      }
    }
  }
  catch (error) {
    out += `refused ${(error as HttpError).status} ${(error as HttpError).code}\n`;
  }
  return out;
}

export const serverCases: TestCase[] = [
  {
    name: "server: a Host value is uri-host [\":\" port] or empty (RFC 9112 §3.2); anything else is refused",
    async run() {
      for (const value of ["h", "example.com:8080", "192.168.1.42", "[::1]:80", "[fe80::1%25eth0]", "", "h:", "xn--bcher-kva.example", "a_b.local"])
        assert(isHost(value), `valid Host ${JSON.stringify(value)}`);
      for (const value of ["a b", "h/x", "h:8x", "h:80:80", "[::1", "[]", "user@h", "h?q", "h#f", "\u00e9.example", "[::1]x"])
        assert(!isHost(value), `invalid Host ${JSON.stringify(value)}`);
    },
  },
  {
    name: "server: the request parser gives the same requests, bodies and refusals for every split of the input",
    async run() {
      const inputs = [
        "\r\nGET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Two: 2 \r\n\r\nPOST /b HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabcPUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\ndef\r\n2\r\ngh\r\n0\r\nT: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nbad line\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + "x".repeat(64) + "\r\n1\r\ny\r\n0\r\n\r\n",
        "GET /" + "a".repeat(300) + " HTTP/1.1\r\n\r\n",
        "G\x01T /" + "a".repeat(300) + " HTTP/1.1", // a fuzzing find: 414 whole, 400 split after 3 bytes
        "GE\rT /" + "a".repeat(300) + " HTTP/1.1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", // bare LF in a chunk line
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", // bare LF after chunk data
      ];
      const expected = [
        "head GET /a ?x=1 1.1 none -1 keep=true [host=h;x-two=2]\ndone []\nhead POST /b ? 1.0 length 3 keep=true [content-length=3;connection=keep-alive]\ndata abc\ndone []\nhead PUT /c ? 1.1 chunked -1 keep=true [host=h;transfer-encoding=chunked]\ndata defgh\ndone [t=1]\n",
        "refused 400 ERR_INVALID_REQUEST\n",
        "head POST / ? 1.1 chunked -1 keep=true [host=h;transfer-encoding=chunked]\ndata " + "x".repeat(64) + "\nrefused 413 ERR_BODY_TOO_LARGE\n",
        "refused 414 ERR_HEADERS_TOO_LARGE\n",
        "refused 400 ERR_INVALID_REQUEST\n",
        "refused 400 ERR_INVALID_REQUEST\n",
        "head POST / ? 1.1 chunked -1 keep=true [host=h;transfer-encoding=chunked]\nrefused 400 ERR_INVALID_REQUEST\n",
        "head POST / ? 1.1 chunked -1 keep=true [host=h;transfer-encoding=chunked]\ndata abc\nrefused 400 ERR_INVALID_REQUEST\n",
      ];
      inputs.forEach((input, n) => {
        const bytes = ascii(input);
        equal(parseRequests([bytes]), expected[n], `input ${n} in one piece`);
        for (let at = 1; at < bytes.length; at++) {
          const result = parseRequests([bytes.subarray(0, at), bytes.subarray(at)]);
          if (result !== expected[n])
            equal(result, expected[n], `input ${n} split at ${at}`);
        }
      });
    },
  },
  {
    name: "server: routes by method and path: 200 with the handler's body, HEAD without it, 404, 405 with Allow",
    async run() {
      await withServer({}, async (_server, base) => {
        const http = client();
        const home = await http.request(base + "/");
        equal(home.status, 200, "GET / status");
        equal(home.headers.get("content-type"), "text/plain; charset=utf-8", "content-type of a string body");
        equal(await home.text(), "home", "GET / body");
        const head = await http.request(base + "/", { method: "HEAD" });
        equal(head.headers.get("content-length"), "4", "HEAD keeps GET's Content-Length");
        equal(await head.text(), "", "HEAD body");
        const missing = await http.request(base + "/nowhere");
        equal(missing.status, 404, "unknown path");
        await missing.text();
        const wrong = await http.request(base + "/temperature", { method: "DELETE" });
        equal(wrong.status, 405, "wrong method");
        equal(wrong.headers.get("allow"), "GET, HEAD", "Allow");
        await wrong.text();
        http.close();
      });
    },
  },
  {
    name: "server: /temperature answers JSON {value, unit, time} from the documented stand-in source",
    async run() {
      await withServer({}, async (_server, base) => {
        const http = client();
        const response = await http.request(base + "/temperature");
        equal(response.status, 200, "status");
        equal(response.headers.get("content-type"), "application/json", "content-type");
        const reading = await response.json() as { value: unknown; unit: unknown; time: unknown; source: unknown };
        assert(typeof reading.value === "number" && reading.value >= 22.5 && reading.value <= 25.5, `value ${String(reading.value)}`);
        equal(reading.unit, "C", "unit");
        assert(typeof reading.time === "string" && !Number.isNaN(Date.parse(reading.time)), `time ${String(reading.time)}`);
        equal(reading.source, "stand-in", "source");
        http.close();
      });
    },
  },
  {
    name: "server: keep-alive: three requests of a pooled client share one connection",
    async run() {
      await withServer({}, async (server, base) => {
        const http = new HttpClient({ idleTimeout: 500, maxSocketsPerOrigin: 1 });
        const seen: number[] = [];
        for (let i = 0; i < 3; i++) {
          const echo = await (await http.request(`${base}/echo?${i}`)).json() as { connection: number; query: string };
          equal(echo.query, String(i), `query ${i}`);
          seen.push(echo.connection);
        }
        equal(seen[1], seen[0], "second request's connection");
        equal(seen[2], seen[0], "third request's connection");
        equal(server.stats.accepted, 1, "connections accepted");
        http.close();
      });
    },
  },
  {
    name: "server: pipelined requests (GET, POST with a body, HEAD, GET) in one write are answered in order",
    async run() {
      await withServer({}, async (_server, base) => {
        const parts = [request("GET", "/echo?1") + request("POST", "/echo?2", "", "two") + request("HEAD", "/echo?3") + request("GET", "/slow?4")];
        const result = await deadline(raw(portOf(base), parts, 4, { methods: ["GET", "POST", "HEAD", "GET"] }), 10000, "four responses");
        equal(result.responses.length, 4, "responses");
        const first = JSON.parse(result.responses[0].body) as { query: string };
        const second = JSON.parse(result.responses[1].body) as { query: string; body: string };
        equal(first.query, "1", "first answer");
        equal(second.query, "2", "second answer");
        equal(second.body, "two", "second answer's request body");
        equal(result.responses[2].body, "", "HEAD answer has no body");
        equal(result.responses[3].body, "slow 4", "fourth answer, after a handler that waited");
      }, (server) => server.route("GET", "/slow", async (r) => {
        await sleep(100);
        return { body: `slow ${r.query}` };
      }));
    },
  },
  {
    name: "server: request bodies sized and chunked reach the handler whole, Expect: 100-continue is answered",
    async run() {
      await withServer({ maxBodyBytes: 4096 }, async (_server, base) => {
        const http = client();
        const text = "x".repeat(3000);
        const sized = await (await http.request(base + "/echo", { method: "POST", body: text })).json() as { length: number; body: string };
        equal(sized.length, 3000, "sized body length");
        equal(sized.body, text, "sized body");
        async function* parts() {
          yield "first,";
          yield "second";
        }
        const chunked = await (await http.request(base + "/echo", { method: "PUT", body: parts() })).json() as { method: string; body: string };
        equal(chunked.method, "PUT", "method");
        equal(chunked.body, "first,second", "chunked body");
        const continued = await deadline(raw(portOf(base), [request("POST", "/echo", "Expect: 100-continue\r\n", "abc")], 1), 10000, "answer after 100-continue");
        equal(continued.responses[0].head.status, 200, "status after the interim 100 (skipped by the parser)");
        equal((JSON.parse(continued.responses[0].body) as { body: string }).body, "abc", "body after 100-continue");
        http.close();
      });
    },
  },
  {
    name: "server: a body over maxBodyBytes gets 413 (sized at once, chunked at the byte that crosses), and the server goes on",
    async run() {
      await withServer({ maxBodyBytes: 1024, timeouts: { linger: 300 } }, async (server, base) => {
        await status(base, ["POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n"], 413, "Content-Length 5000");
        const chunk = "258\r\n" + "z".repeat(600) + "\r\n";
        await status(base, ["POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", chunk, chunk, "0\r\n\r\n"], 413, "a chunked body of 1200 bytes");
        const http = client();
        equal((await http.request(base + "/echo", { method: "POST", body: "fits" })).status, 200, "a body that fits, afterwards");
        equal(server.stats.badRequests, 2, "bad requests counted");
        http.close();
      });
    },
  },
  {
    name: "server: a head over maxHeaderBytes gets 431, a request line over it 414, and the server goes on",
    async run() {
      await withServer({ maxHeaderBytes: 1024, timeouts: { linger: 300 } }, async (_server, base) => {
        const big = "X-Filler: " + "f".repeat(400) + "\r\n";
        await status(base, [request("GET", "/", big + big + big)], 431, "1.2 KB of header fields");
        await status(base, ["GET /" + "a".repeat(1100) + " HTTP/1.1\r\nHost: h\r\n\r\n"], 414, "a 1.1 KB request line");
        const http = client();
        equal(await (await http.request(base + "/", { headers: { "X-Filler": "f".repeat(400) } })).text(), "home", "a head that fits, afterwards");
        http.close();
      });
    },
  },
  {
    name: "server: malformed request lines and heads get 400 (505 for HTTP/2.0), each closes only its connection",
    async run() {
      await withServer({ timeouts: { linger: 300 } }, async (server, base) => {
        const bad: [string, string][] = [
          ["no target", "GET\r\nHost: h\r\n\r\n"],
          ["an extra word", "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"],
          ["a method that is not a token", "G@T / HTTP/1.1\r\nHost: h\r\n\r\n"],
          ["a space in the target", "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"],
          ["a target that is not a path", "GET a HTTP/1.1\r\nHost: h\r\n\r\n"],
          ["a bad version", "GET / HTTX/1.1\r\nHost: h\r\n\r\n"],
          ["binary bytes (a TLS ClientHello)", "\x16\x03\x01\x00\xa5\x01"],
          ["a header line without a colon", "GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n"],
          ["no Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"],
          ["Content-Length and Transfer-Encoding", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
          ["a non-numeric Content-Length", "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3x\r\n\r\nabc"],
          ["a final transfer coding other than chunked (RFC 9112 §6.3)", "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"],
          ["an invalid Host (RFC 9112 §3.2)", "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n"],
          ["a Host with a port that is not a number", "GET / HTTP/1.1\r\nHost: h:8x\r\n\r\n"],
          ["a bare LF ending a line of the head", "GET / HTTP/1.1\nHost: h\r\n\r\n"],
        ];
        for (const [what, bytes] of bad)
          await status(base, [bytes], 400, what);
        await status(base, ["GET / HTTP/2.0\r\nHost: h\r\n\r\n"], 505, "HTTP/2.0");
        await status(base, ["POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"], 501, "Transfer-Encoding gzip, chunked");
        equal(server.stats.badRequests, bad.length + 2, "bad requests counted");
        const after = await status(base, [request("GET", "/")], 200, "a good request afterwards");
        equal(after.responses[0].body, "home", "body afterwards");
      });
    },
  },
  {
    name: "server: a client trickling its head gets 408 at the headers deadline and is closed; a silent one is closed",
    async run() {
      await withServer({ timeouts: { headers: 800, linger: 300 } }, async (server, base) => {
        const trickle = ["GET / HTTP/1.1\r\n", "Host: h\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n", "X-D: 4\r\n", "X-E: 5\r\n", "X-F: 6\r\n", "X-G: 7\r\n", "X-H: 8\r\n"];
        const slow = await deadline(raw(portOf(base), trickle, 1, { gap: 250 }), 10000, "408 to a slow client");
        equal(slow.responses.length, 1, "responses to the slow client");
        equal(slow.responses[0].head.status, 408, "status");
        const closed = await deadline(raw(portOf(base), trickle, 2, { gap: 250 }), 10000, "the slow client's connection closing");
        equal(closed.closed, true, "the server closed the slow client's connection");
        const silent = await deadline(raw(portOf(base), [], 1), 10000, "the silent connection closing");
        equal(silent.responses.length, 0, "no response to a connection that sent nothing");
        equal(silent.closed, true, "the silent connection closed");
        equal(server.stats.badRequests, 2, "slow requests counted");
        equal(await (await client().request(base + "/")).text(), "home", "served afterwards");
      });
    },
  },
  {
    name: "server: with 4 concurrent clients, maxConnections 1 and queue 1, 2 get 503 and the rest complete",
    async run() {
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (open = resolve));
      await withServer({ maxConnections: 1, queue: 1, timeouts: { linger: 300, queue: 20000 } }, async (server, base) => {
        const statuses: number[] = [];
        let rejected = 0;
        let bothRejected: () => void = () => undefined;
        const twoRejected = new Promise<void>((resolve) => (bothRejected = resolve));
        const one = async (i: number): Promise<number> => {
          const response: Response = await new HttpClient({ idleTimeout: 200 }).request(`${base}/gate?${i}`, { timeouts: { headers: 20000 } });
          await response.text();
          if (response.status === 503 && ++rejected === 2)
            bothRejected();
          statuses.push(response.status);
          return response.status;
        };
        const all = Promise.all([one(1), one(2), one(3), one(4)]);
        await deadline(twoRejected, 10000, "two 503 answers while the gate is shut");
        equal(server.stats.active, 1, "connections served while the gate is shut");
        equal(server.stats.waiting, 1, "connections waiting");
        open();
        await deadline(all, 15000, "all four answers");
        equal(statuses.filter((s) => s === 200).length, 2, `200s in ${statuses.join(",")}`);
        equal(statuses.filter((s) => s === 503).length, 2, `503s in ${statuses.join(",")}`);
        equal(server.stats.rejected, 2, "stats.rejected");
      }, (server) => server.route("GET", "/gate", async () => {
        await gate;
        return { body: "through" };
      }));
    },
  },
  {
    name: "server: while slow clients fill every slot and the queue, the http client's own requests go on, and a complete request takes a slow head's slot",
    async run() {
      await withServer({ maxConnections: 2, queue: 1, timeouts: { headers: 3000, queue: 3000, linger: 300 } }, async (server, base) => {
        const trickle = ["GET / HTTP/1.1\r\n", "Host: h\r\n", "X-A: 1\r\n", "X-B: 2\r\n", "X-C: 3\r\n", "X-D: 4\r\n", "X-E: 5\r\n", "X-F: 6\r\n", "X-G: 7\r\n", "X-H: 8\r\n", "X-I: 9\r\n", "X-J: 10\r\n", "X-K: 11\r\n", "X-L: 12\r\n", "X-M: 13\r\n"];
        const load = [0, 1, 2].map(() => raw(portOf(base), trickle, 1, { gap: 250 }));
        for (let i = 0; i < 20 && server.stats.active + server.stats.waiting < 3; i++)
          await sleep(100);
        equal(server.stats.active + server.stats.waiting, 3, "slots and queue taken by slow clients");
        const loaded = Date.now();
        const http = client();
        const fixture = `http://${fixtureHost()}:${fixturePort("Http")}/hello`;
        for (let i = 0; i < 3; i++)
          equal(await (await http.request(fixture)).text(), "hello world", `a fetch from the fixture server while loaded (${i})`);
        await sleep(Math.max(0, 1200 - (Date.now() - loaded))); // the slow heads have held their slots over 1 s
        const own = await http.request(base + "/");
        equal(own.status, 200, "our own server, full of slow heads, serves a complete request");
        equal(await own.text(), "home", "its body");
        const slow = await deadline(Promise.all(load), 10000, "the slow clients' answers");
        for (const result of slow)
          assert(result.responses.length === 1 && (result.responses[0].head.status === 408 || result.responses[0].head.status === 503), `slow client answered ${result.responses[0]?.head.status}`);
        equal(await (await http.request(base + "/")).text(), "home", "served again once the slow clients are gone");
        http.close();
      });
    },
  },
  {
    name: "server: misuse is a typed HttpError: ERR_SERVER_USAGE for options, routes, responses; ERR_SERVER_LISTEN for a taken port",
    async run() {
      const usage = (work: () => unknown, what: string) => {
        try {
          work();
        }
        catch (error) {
          assert(error instanceof HttpError && error.code === "ERR_SERVER_USAGE", `${what}: ${String(error)}`);
          return;
        }
        throw new Error(`${what}: no ERR_SERVER_USAGE`);
      };
      usage(() => new HttpServer({ port: 70000 }), "port beyond 65535");
      usage(() => new HttpServer({ maxConnections: 0 }), "maxConnections 0");
      usage(() => new HttpServer({ timeouts: { headers: -1 } }), "a negative deadline");
      const errors: HttpError[] = [];
      await withServer({ onError: (error) => errors.push(error), timeouts: { handler: 300 } }, async (server, base) => {
        usage(() => server.route("GET", "/", () => ({})), "a route given twice");
        usage(() => server.route("GET", "no-slash", () => ({})), "a path without /");
        usage(() => server.route("G T", "/x", () => ({})), "a method that is not a token");
        usage(() => server.listen(), "listen() twice");
        const http = client();
        const injected = await http.request(base + "/inject");
        equal(injected.status, 500, "a handler's header with CRLF is answered 500");
        await injected.text();
        const thrown = await http.request(base + "/throw");
        equal(thrown.status, 500, "a handler that throws is answered 500");
        await thrown.text();
        const late = await http.request(base + "/never");
        equal(late.status, 500, "a handler that never answers is answered 500 at timeouts.handler");
        await late.text();
        equal(errors.map((e) => e.code).join(","), "ERR_SERVER_USAGE,ERR_SERVER_USAGE,ERR_TIMEOUT", "errors reported to onError");
        // a second server on the port the first holds
        const port = portOf(base);
        let failure: HttpError | undefined;
        const second = new HttpServer({ port, address: HOST, onError: (error) => (failure = error) });
        try {
          second.listen(); // lin throws here; the host runtime's Node bind fails a moment later (onError)
          for (let i = 0; i < 20 && !failure; i++)
            await sleep(50);
        }
        catch (error) {
          failure = error as HttpError;
        }
        finally {
          second.close();
        }
        assert(failure instanceof HttpError && failure.code === "ERR_SERVER_LISTEN", `a taken port: ${String(failure)}`);
        http.close();
      }, (server) => {
        server.route("GET", "/inject", () => ({ headers: { "X-Bad": "a\r\nInjected: yes" }, body: "no" }));
        server.route("GET", "/throw", () => {
          throw new Error("handler bug");
        });
        server.route("GET", "/never", () => new Promise(() => undefined));
      });
      const closed = new HttpServer({ port: serverPort() });
      closed.close();
      usage(() => closed.listen(), "listen() after close()");
    },
  },
  {
    name: "server (https): with tls, /temperature is served over TLS 1.2 with a self-signed certificate the client verifies",
    async run() {
      await withServer({ tls: { certificate: "device-cert.der", key: "device-key.der" } }, async (server, base) => {
        const https = client();
        const url = base.replace("http:", "https:");
        const verified = await https.request(url + "/temperature", { tls: { ca: "device-cert.der" }, timeouts: { connect: 30000 } });
        equal(verified.status, 200, "status, verified against the device's own certificate");
        const reading = await verified.json() as { unit: string };
        equal(reading.unit, "C", "unit");
        // the client offers TLS 1.3 first; this server (the SDK's TLS) speaks 1.2, so the client's first connection was
        // that attempt, and the 1.2 one that served /temperature is the last accepted
        const servedBy = server.stats.accepted;
        equal(servedBy, 2, "connections: the client's TLS 1.3 attempt, then TLS 1.2");
        const again = await (await https.request(url + "/echo?2", { tls: { ca: "device-cert.der" } })).json() as { connection: number };
        equal(again.connection, servedBy, "the second request on the same TLS connection (keep-alive)");
        https.close();
        // an OpenSSL client (Node's https with its defaults, in the runner) against the same server
        const port = portOf(base);
        const probe = await (await client().request(`http://${fixtureHost()}:${fixturePort("Probe")}/?port=${port}`, { timeouts: { headers: 30000 } })).json() as { status?: number; protocol?: string; cipher?: string; body?: string; error?: string };
        assert(!probe.error, `OpenSSL client: ${probe.error}`);
        equal(probe.status, 200, "status seen by the OpenSSL client");
        equal(probe.protocol, "TLSv1.2", "protocol seen by the OpenSSL client");
        equal(probe.cipher, "AES128-SHA", "suite (static RSA: the SDK's server side has no ECDHE)");
        assert(probe.body?.includes('"unit":"C"'), `body ${probe.body}`);
        const untrusted = client();
        let refused: unknown;
        try {
          await untrusted.request(url + "/", { timeouts: { connect: 30000 } }); // default trust: the fixture CA only
        }
        catch (error) {
          refused = error;
        }
        assert(refused instanceof HttpError && refused.code === "ERR_TLS_UNTRUSTED", `with the default roots: ${String(refused)}`);
        untrusted.close();
        equal(server.stats.accepted, 4, "connections (the untrusted client goes straight to 1.2: the origin is remembered as 1.2 only)");
      });
      let misuse: unknown;
      try {
        new HttpServer({ tls: { certificate: "no-such.pem", key: "device-key.der" } });
      }
      catch (error) {
        misuse = error;
      }
      assert(misuse instanceof HttpError && misuse.code === "ERR_SERVER_USAGE", `a missing certificate resource: ${String(misuse)}`);
    },
  },
];
