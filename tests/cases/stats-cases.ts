// http/stats: the client's own counters (connections, reuse, handshakes, bytes), as a trace or xsbug shows them.
import { HttpClient } from "http/client";
import { httpStats, describeHttpStats } from "http/stats";
import { assert, equal, rejects, type TestCase } from "./harness";
import { fixtureHost, fixturePort } from "./fixture";

export const statsCases: TestCase[] = [
  {
    name: "http/stats: three GETs on one kept-alive connection count one connection, two reuses and the bytes both ways",
    async run() {
      const before = { ...httpStats };
      const client = new HttpClient({ idleTimeout: 2000 });
      for (let i = 0; i < 3; i++)
        equal(await (await client.request(`http://${fixtureHost()}:${fixturePort("Http")}/hello`)).text(), "hello world", `response ${i}`);
      equal(httpStats.connections - before.connections, 1, "connections opened");
      equal(httpStats.reused - before.reused, 2, "requests on a reused connection");
      assert(httpStats.bytesWritten - before.bytesWritten >= 3 * "GET /hello HTTP/1.1\r\n".length, "request bytes counted");
      assert(httpStats.bytesRead - before.bytesRead >= 3 * "hello world".length, "response bytes counted");
      // Other cases' idle connections may close at any time, so `open` is compared across one synchronous close.
      const open = httpStats.open;
      client.close();
      equal(open - httpStats.open, 1, "open connections ended by closing the client (its pooled one)");
    },
  },
  {
    name: "http/stats: a verified HTTPS GET counts a handshake, an untrusted server a refused one, and the line says so",
    async run() {
      const before = { ...httpStats };
      const client = new HttpClient();
      await (await client.request(`https://localhost:${fixturePort("Https")}/`, { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 30000 } })).text();
      equal(httpStats.handshakes - before.handshakes, 1, "handshakes");
      await rejects(() => client.request(`https://localhost:${fixturePort("Stranger")}/`, { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 30000 } }), "ERR_TLS_UNTRUSTED");
      client.close();
      equal(httpStats.handshakeFailures - before.handshakeFailures, 1, "refused handshakes");
      const line = describeHttpStats();
      assert(line.includes(`handshakes ${httpStats.handshakes} (${httpStats.handshakeFailures} refused)`), line);
    },
  },
];
