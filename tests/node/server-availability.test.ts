// http/server on the host runtime against clients that Node drives byte by byte: slow clients that
// trickle their heads and reconnect when dropped (slowloris) must not lock an honest client out, and a
// small response leaves in one socket write with noDelay asked for. And the host's Listener binds in its
// constructor, as the SDK's does.
import assert from "node:assert/strict";
import net from "node:net";
import { HttpServer } from "http/server";
import { Listener } from "socket";
import { Socket as HostSocket } from "../../host/sdk/socket.js";
import { serverPorts } from "../../tools/fixtures.js";

const HOST = "127.0.0.1";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request with Connection: close; resolves with the status line's code (0: closed without an answer) within `limit` ms. */
function exchange(port: number, limit: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port }); // no noDelay here: the server's socket is the one observed
    let data = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf("\r\n\r\n") + 4) });
    };
    const timer = setTimeout(done, limit);
    socket.on("connect", () => socket.write("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    socket.on("data", (chunk) => (data += chunk.toString("latin1")));
    socket.on("close", done);
    socket.on("error", () => undefined);
  });
}

interface Attack { stop: boolean; until: number; running: number }

/**
 * A slowloris client until `attack.stop` (or `attack.until`, ms since epoch, a hard bound): sends a request
 * line, then one byte of a header every `gap` ms, never ending its head; reconnects whenever the server
 * drops it. Counts what it was answered.
 */
function slowloris(port: number, gap: number, attack: Attack, answers: Map<number, number>): Promise<void> {
  attack.running++;
  const over = () => attack.stop || Date.now() >= attack.until;
  return new Promise((resolveAll) => {
    const connect = (): void => {
      if (over()) {
        attack.running--;
        resolveAll();
        return;
      }
      const socket = net.connect({ host: HOST, port });
      let timer: NodeJS.Timeout | undefined;
      let data = "";
      const trickle = () => {
        if (over()) {
          socket.destroy();
          return;
        }
        socket.write("a");
        timer = setTimeout(trickle, gap);
      };
      socket.on("connect", () => {
        socket.write("GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
        timer = setTimeout(trickle, gap);
      });
      socket.on("data", (chunk) => (data += chunk.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearTimeout(timer);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
        answers.set(status, (answers.get(status) ?? 0) + 1);
        setTimeout(connect, 20); // reconnect, as an attacker does
      });
    };
    connect();
  });
}

describe("http/server on the host runtime under slow clients and on the wire", () => {
  it("six slowloris clients that trickle a byte every 2 s and reconnect when dropped do not keep an honest client out (default 4 slots + 2 queued)", async function () {
    this.timeout(60000);
    const [port] = await serverPorts(1);
    const errors: unknown[] = [];
    const server = new HttpServer({ port, address: HOST, onError: (error) => errors.push(error) }); // default bounds and deadlines
    server.route("GET", "/", () => ({ body: "home" }));
    server.listen();
    const answers = new Map<number, number>();
    const attack: Attack = { stop: false, until: Date.now() + 40000, running: 0 }; // bounded in time: 40 s at most
    let clients: Promise<void>[] = [];
    try {
      await sleep(100); // the host Listener binds asynchronously
      clients = Array.from({ length: 6 }, () => slowloris(port, 2000, attack, answers));
      for (let i = 0; i < 100 && server.stats.active + server.stats.waiting < 6; i++)
        await sleep(50);
      assert.equal(server.stats.active, 4, "every slot taken by a slow client");
      assert.equal(server.stats.waiting, 2, "the queue full of slow clients");
      await sleep(1200); // the slow heads have held their slots for over a second
      const honest: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { status, body } = await exchange(port, 10000); // a bound on the wait, not a speed: a locked-out client gets 503 at once
        honest.push(status);
        if (status === 200)
          assert.equal(body, "home", "body of a 200");
        await sleep(800);
      }
      assert.equal(attack.running, 6, "all six slow clients still trickling after the honest requests");
      assert.deepEqual(honest, [200, 200, 200, 200, 200], `the honest client's answers while the slow clients trickle (slow clients were answered ${JSON.stringify([...answers])})`);
      assert((answers.get(408) ?? 0) >= 1, `slow heads were closed with 408 to free their slots (${JSON.stringify([...answers])})`);
    }
    finally {
      attack.stop = true;
      server.close();
    }
    await Promise.all(clients);
    assert.deepEqual(errors, [], "no server-side errors");
  });

  it("a small response leaves in one socket write, on a socket that asked for noDelay", async () => {
    const [port] = await serverPorts(1);
    const server = new HttpServer({ port, address: HOST });
    server.route("GET", "/", () => ({ body: "x".repeat(200) }));
    const writes: number[] = [];
    const noDelay: boolean[] = [];
    const write = HostSocket.prototype.write;
    const setNoDelay = net.Socket.prototype.setNoDelay;
    HostSocket.prototype.write = function (this: HostSocket, ...args: Parameters<typeof write>) {
      if (args.length)
        writes.push(args.length);
      return write.apply(this, args);
    };
    net.Socket.prototype.setNoDelay = function (this: net.Socket, value?: boolean) {
      noDelay.push(value === true);
      return setNoDelay.call(this, value);
    };
    try {
      server.listen();
      await sleep(100);
      const { status, body } = await exchange(port, 10000); // a bound on the wait, not a speed: a locked-out client gets 503 at once
      assert.equal(status, 200, "status");
      assert.equal(body.length, 200, "body");
    }
    finally {
      HostSocket.prototype.write = write;
      net.Socket.prototype.setNoDelay = setNoDelay;
      server.close();
    }
    assert.deepEqual(writes, [2], "one write call, of two pieces (head and body)");
    assert(noDelay.includes(true), `noDelay asked for on the accepted socket (${JSON.stringify(noDelay)})`);
  });

  it("a Listener on a port another Listener holds throws from its constructor, as the SDK's does (lin: \"bind socket failed\")", async () => {
    const [port] = await serverPorts(1);
    const holder = new Listener({ port, address: HOST }) as Listener & { close(): void };
    try {
      assert.throws(() => new Listener({ port, address: HOST }), /bind socket failed/);
    }
    finally {
      holder.close();
    }
    (new Listener({ port, address: HOST }) as Listener & { close(): void }).close(); // the port is free again once closed
  });
});
