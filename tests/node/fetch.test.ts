// http/fetch against real local servers (Node http and https on 127.0.0.1, port 0): the WHATWG shape of
// its Response and Headers, redirects, bodies, abort, deadlines, and a forged chain refused with a
// TypeError caused by the kit's ERR_TLS_* error. Node lane (the host runtime); the simulator runs
// http/fetch in the mcpack example (tools/check-mcpack.ts).
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { webcrypto } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import { fetch, Headers, type FetchSignal } from "http/fetch";
import { Canceller } from "http/client/canceller";
import { HttpError } from "http/errors";
import { KitError } from "kit/error";
import { issue, type Issued } from "../../tools/pki.js";

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: Buffer) => void;

const routes: Record<string, Handler> = {
  "/hello": (_request, response) => {
    response.setHeader("Content-Type", "text/plain");
    response.setHeader("X-Multi", ["a", "b"]);
    response.setHeader("Set-Cookie", ["one=1", "two=2"]);
    response.end("hello fetch");
  },
  "/json": (_request, response) => {
    response.setHeader("Content-Type", "application/json");
    response.end('{"value":42,"unit":"C"}');
  },
  "/not-json": (_request, response) => response.end("<html>not json</html>"),
  "/bytes": (_request, response) => response.end(Buffer.from([0, 1, 2, 254, 255])),
  "/missing": (_request, response) => {
    response.statusCode = 404;
    response.end("nothing here");
  },
  "/no-content": (_request, response) => {
    response.statusCode = 204;
    response.end();
  },
  "/stream": (_request, response) => { // chunked, in three writes apart in time
    response.write("one ");
    setTimeout(() => response.write("two "), 50);
    setTimeout(() => response.end("three"), 100);
  },
  "/echo": (request, response, body) => {
    response.setHeader("Content-Type", "application/json");
    response.end(JSON.stringify({ method: request.method, headers: request.headers, body: body.toString("latin1") }));
  },
  "/redirect": (_request, response) => {
    response.statusCode = 302;
    response.setHeader("Location", "/hello");
    response.end();
  },
  "/stall": () => undefined, // reads the request, never answers
  "/stall-body": (_request, response) => {
    response.setHeader("Content-Length", "100");
    response.write("ten bytes.");
  },
};

interface Local {
  port: number;
  /** Requests that reached a route. */
  seen: string[];
  close(): Promise<void>;
}

/** Answers a request from `routes`, once its body has arrived. */
function answer(seen: string[]) {
  return (request: http.IncomingMessage, response: http.ServerResponse) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      seen.push(`${request.method} ${request.url}`);
      const route = routes[request.url ?? ""];
      if (route)
        route(request, response, Buffer.concat(parts));
      else {
        response.statusCode = 500;
        response.end("no such route");
      }
    });
  };
}

async function listen(server: net.Server, seen: string[]): Promise<Local> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    async close() {
      for (const socket of sockets)
        socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Awaits `work`, which must reject with a TypeError whose cause is a KitError; returns that cause. */
async function rejectsCaused(work: () => Promise<unknown>): Promise<HttpError> {
  try {
    await work();
  }
  catch (error) {
    assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
    const cause = (error as TypeError & { cause?: unknown }).cause;
    assert.ok(cause instanceof KitError && cause instanceof HttpError, `cause: expected an HttpError, got ${String(cause)}`);
    assert.ok(error.message.includes(cause.code), `the message names the code: ${error.message}`);
    return cause;
  }
  assert.fail("expected a rejection, but it resolved");
}

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  }
  catch (error) {
    return error;
  }
  assert.fail("expected a rejection, but it resolved");
}

describe("http/fetch", function () {
  this.timeout(20000);
  let plain: Local;
  let secure: Local;
  let forged: Local;
  let root: Issued;
  let base: string;

  before(async function () {
    this.timeout(60000);
    const localhost = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
    root = await issue({ subject: "CN=netkit fetch test root", ca: true });
    const leaf = await issue({ subject: "CN=localhost", issuer: root, ...localhost });
    const attacker = await webcrypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }, true, ["sign", "verify"]) as CryptoKeyPair;
    const forgery = await issue({ subject: "CN=localhost", issuer: root, forgeWith: attacker, ...localhost });
    const serve = (server: (seen: string[]) => unknown) => {
      const seen: string[] = [];
      return listen(server(seen) as net.Server, seen);
    };
    plain = await serve((seen) => http.createServer(answer(seen)));
    secure = await serve((seen) => https.createServer({ key: leaf.keyPem, cert: leaf.pem }, answer(seen)));
    forged = await serve((seen) => https.createServer({ key: forgery.keyPem, cert: forgery.pem + root.pem }, answer(seen)));
    base = `http://127.0.0.1:${plain.port}`;
  });

  after(async () => {
    await Promise.all([plain?.close(), secure?.close(), forged?.close()]);
  });

  describe("Response", () => {
    it("a 200 is ok, with status, statusText, url and its text", async () => {
      const response = await fetch(`${base}/hello`);
      assert.equal(response.ok, true);
      assert.equal(response.status, 200);
      assert.equal(response.statusText, "OK");
      assert.equal(response.url, `${base}/hello`);
      assert.equal(response.redirected, false);
      assert.equal(await response.text(), "hello fetch");
    });

    it("a 404 resolves (not ok) with its body, as fetch does", async () => {
      const response = await fetch(`${base}/missing`);
      assert.equal(response.ok, false);
      assert.equal(response.status, 404);
      assert.equal(response.statusText, "Not Found");
      assert.equal(await response.text(), "nothing here");
    });

    it("headers: any case, repeats joined with \", \", sorted entries, forEach, Set-Cookie kept apart", async () => {
      const response = await fetch(`${base}/hello`);
      await response.text();
      const { headers } = response;
      assert.equal(headers.get("CONTENT-TYPE"), "text/plain");
      assert.equal(headers.get("x-multi"), "a, b");
      assert.equal(headers.has("X-Multi"), true);
      assert.equal(headers.has("x-absent"), false);
      assert.equal(headers.get("x-absent"), null);
      const names = Array.from(headers, ([name]) => name);
      assert.deepEqual(names, names.slice().sort(), "entries sorted by name");
      assert.deepEqual(Array.from(headers.entries()).filter(([name]) => name === "set-cookie"), [["set-cookie", "one=1"], ["set-cookie", "two=2"]]);
      const seen: string[] = [];
      headers.forEach((value, name, owner) => {
        assert.equal(owner, headers);
        if (name.startsWith("x-"))
          seen.push(`${name}=${value}`);
      });
      assert.deepEqual(seen, ["x-multi=a, b"]);
    });

    it("json() parses; a body that is not JSON rejects with a SyntaxError", async () => {
      assert.deepEqual(await (await fetch(`${base}/json`)).json(), { value: 42, unit: "C" });
      const error = await rejection(async () => (await fetch(`${base}/not-json`)).json());
      assert.ok(error instanceof SyntaxError, String(error));
    });

    it("arrayBuffer() gives the bytes as sent", async () => {
      const buffer = await (await fetch(`${base}/bytes`)).arrayBuffer();
      assert.ok(buffer instanceof ArrayBuffer);
      assert.deepEqual(Array.from(new Uint8Array(buffer)), [0, 1, 2, 254, 255]);
    });

    it("body is an async iterable of Uint8Array chunks as they arrive; bodyUsed turns true; a second read rejects", async () => {
      const response = await fetch(`${base}/stream`);
      assert.equal(response.bodyUsed, false);
      assert.ok(response.body);
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body) {
        assert.ok(chunk instanceof Uint8Array);
        chunks.push(chunk);
      }
      assert.ok(chunks.length >= 2, `the body came in ${chunks.length} chunk(s)`);
      assert.equal(Buffer.concat(chunks).toString(), "one two three");
      assert.equal(response.bodyUsed, true);
      const cause = await rejectsCaused(() => response.text());
      assert.equal(cause.code, "ERR_INVALID_REQUEST");
    });

    it("text() marks the body used", async () => {
      const response = await fetch(`${base}/hello`);
      await response.text();
      assert.equal(response.bodyUsed, true);
    });

    it("a 204 and a HEAD have a null body and text() is empty", async () => {
      const empty = await fetch(`${base}/no-content`);
      assert.equal(empty.status, 204);
      assert.equal(empty.body, null);
      assert.equal(await empty.text(), "");
      const head = await fetch(`${base}/hello`, { method: "head" });
      assert.equal(head.status, 200);
      assert.equal(head.body, null);
      assert.equal(head.headers.get("content-type"), "text/plain");
    });

    it("takes a URL object as input", async () => {
      const response = await fetch(new URL(`${base}/hello`));
      assert.equal(await response.text(), "hello fetch");
    });
  });

  describe("redirects", () => {
    it("follow (the default): the final response, redirected, with its URL", async () => {
      const response = await fetch(`${base}/redirect`);
      assert.equal(response.status, 200);
      assert.equal(response.redirected, true);
      assert.equal(response.url, `${base}/hello`);
      assert.equal(await response.text(), "hello fetch");
    });

    it("error: a redirect rejects, caused by ERR_TOO_MANY_REDIRECTS", async () => {
      const cause = await rejectsCaused(() => fetch(`${base}/redirect`, { redirect: "error" }));
      assert.equal(cause.code, "ERR_TOO_MANY_REDIRECTS");
    });

    it("manual: the 3xx itself, not redirected, with its Location", async () => {
      const response = await fetch(`${base}/redirect`, { redirect: "manual" });
      assert.equal(response.status, 302);
      assert.equal(response.ok, false);
      assert.equal(response.redirected, false);
      assert.equal(response.headers.get("location"), "/hello");
      assert.equal(response.url, `${base}/redirect`);
    });
  });

  describe("requests", () => {
    it("POST sends a string body as text/plain, with the method upper-cased", async () => {
      const echo = await (await fetch(`${base}/echo`, { method: "post", body: "temperature=21.5" })).json() as { method: string; headers: Record<string, string>; body: string };
      assert.equal(echo.method, "POST");
      assert.equal(echo.body, "temperature=21.5");
      assert.equal(echo.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(echo.headers["content-length"], "16");
    });

    it("sends bytes (Uint8Array and ArrayBuffer) as they are, with the given Content-Type", async () => {
      const bytes = Uint8Array.from([104, 105, 0, 255]);
      for (const body of [bytes, bytes.buffer]) {
        const echo = await (await fetch(`${base}/echo`, { method: "PUT", body, headers: { "Content-Type": "application/octet-stream" } })).json() as { method: string; headers: Record<string, string>; body: string };
        assert.equal(echo.method, "PUT");
        assert.equal(echo.headers["content-type"], "application/octet-stream");
        assert.deepEqual(Array.from(Buffer.from(echo.body, "latin1")), [104, 105, 0, 255]);
      }
    });

    it("headers from a record, [name, value] pairs or a Headers reach the server", async () => {
      const inits = [{ "X-Probe": "record" }, [["X-Probe", "pairs"]] as [string, string][], new Headers([["x-probe", "headers"]])];
      const seen: string[] = [];
      for (const headers of inits) {
        const echo = await (await fetch(`${base}/echo`, { headers })).json() as { headers: Record<string, string> };
        seen.push(echo.headers["x-probe"]);
      }
      assert.deepEqual(seen, ["record", "pairs", "headers"]);
    });

    it("a GET with a body rejects with a TypeError and sends nothing", async () => {
      const before = plain.seen.length;
      const error = await rejection(() => fetch(`${base}/echo`, { body: "x" }));
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(plain.seen.length, before);
    });

    it("a URL that is not http(s) rejects with a TypeError caused by ERR_INVALID_REQUEST", async () => {
      const cause = await rejectsCaused(() => fetch("ftp://127.0.0.1/"));
      assert.equal(cause.code, "ERR_INVALID_REQUEST");
    });
  });

  describe("Headers", () => {
    it("append joins, set replaces, delete removes, names in any case", () => {
      const headers = new Headers({ Accept: "text/plain" });
      headers.append("ACCEPT", "application/json");
      assert.equal(headers.get("accept"), "text/plain, application/json");
      headers.set("Accept", "*/*");
      assert.equal(headers.get("accept"), "*/*");
      headers.delete("aCCept");
      assert.equal(headers.has("accept"), false);
      assert.throws(() => new Headers([["only-a-name"]] as unknown as [string, string][]), TypeError);
    });
  });

  describe("abort", () => {
    it("an abort while waiting for the head rejects with the signal's reason", async () => {
      const canceller = new Canceller();
      const pending = fetch(`${base}/stall`, { signal: canceller.signal });
      setTimeout(() => canceller.abort("user left"), 100);
      assert.equal(await rejection(() => pending), "user left");
    });

    it("a standard AbortController's abort() rejects with its AbortError", async () => {
      const controller = new AbortController();
      const pending = fetch(`${base}/stall`, { signal: controller.signal as unknown as FetchSignal });
      setTimeout(() => controller.abort(), 100);
      const error = await rejection(() => pending) as Error;
      assert.equal(error.name, "AbortError");
      assert.equal(error, controller.signal.reason);
    });

    it("a signal without a reason rejects with an Error named AbortError, caused by ERR_ABORTED", async () => {
      const signal = { aborted: false, listeners: [] as (() => void)[], addEventListener(_type: "abort", listener: () => void) {
        this.listeners.push(listener);
      } };
      const pending = fetch(`${base}/stall`, { signal });
      setTimeout(() => {
        signal.aborted = true;
        signal.listeners.forEach((listener) => listener());
      }, 100);
      const error = await rejection(() => pending) as Error & { cause?: unknown };
      assert.ok(error instanceof Error);
      assert.equal(error.name, "AbortError");
      assert.ok(error.cause instanceof HttpError && error.cause.code === "ERR_ABORTED", String(error.cause));
    });

    it("an abort while the body arrives rejects the read with the reason", async () => {
      const canceller = new Canceller();
      const response = await fetch(`${base}/stall-body`, { signal: canceller.signal });
      const reading = response.text();
      setTimeout(() => canceller.abort("enough"), 100);
      assert.equal(await rejection(() => reading), "enough");
    });

    it("an already aborted signal rejects at once and sends nothing", async () => {
      const canceller = new Canceller();
      canceller.abort("before");
      const before = plain.seen.length;
      assert.equal(await rejection(() => fetch(`${base}/hello`, { signal: canceller.signal })), "before");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(plain.seen.length, before);
    });
  });

  describe("deadlines", () => {
    it("timeouts.headers: a server that never answers rejects, caused by ERR_HEADERS_TIMEOUT", async () => {
      const started = Date.now();
      const cause = await rejectsCaused(() => fetch(`${base}/stall`, { timeouts: { headers: 300 } }));
      assert.equal(cause.code, "ERR_HEADERS_TIMEOUT");
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    });

    it("timeouts.idle: a body that stalls rejects the read, caused by ERR_IDLE_TIMEOUT", async () => {
      const response = await fetch(`${base}/stall-body`, { timeouts: { idle: 300 } });
      const cause = await rejectsCaused(() => response.text());
      assert.equal(cause.code, "ERR_IDLE_TIMEOUT");
    });

    it("maxBodyBytes: a larger body rejects text(), caused by ERR_BODY_TOO_LARGE", async () => {
      const cause = await rejectsCaused(async () => (await fetch(`${base}/hello`, { maxBodyBytes: 4 })).text());
      assert.equal(cause.code, "ERR_BODY_TOO_LARGE");
    });
  });

  describe("HTTPS", () => {
    it("a chain to the trusted root is fetched", async () => {
      const response = await fetch(`https://127.0.0.1:${secure.port}/hello`, { tls: { ca: root.pem } });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "hello fetch");
    });

    it("a forged chain (the trusted root's name, an attacker's signature) rejects, caused by ERR_TLS_UNTRUSTED", async () => {
      const before = forged.seen.length;
      const cause = await rejectsCaused(() => fetch(`https://127.0.0.1:${forged.port}/hello`, { tls: { ca: root.pem } }));
      assert.match(cause.code, /^ERR_TLS_/);
      assert.equal(cause.code, "ERR_TLS_UNTRUSTED");
      assert.equal(forged.seen.length, before, "no request was sent to the forger");
    });

    it("the same forged chain with tls.verify false is fetched (encrypt only): the refusal was the verification's", async () => {
      const response = await fetch(`https://127.0.0.1:${forged.port}/hello`, { tls: { verify: false } });
      assert.equal(await response.text(), "hello fetch");
    });
  });
});
