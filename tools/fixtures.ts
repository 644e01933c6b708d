// The local servers the shared cases run against (127.0.0.1 only), and the config keys that tell the
// cases where they are. Both lanes start these: mocha in-process, the simulator runner beside mcsim.
import net from "node:net";
import tls from "node:tls";
import dgram from "node:dgram";
import https from "node:https";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createPrivateKey } from "node:crypto";
import { createTestPki, issue, type TestPki } from "./pki.js";
import { startHttpFixture } from "./http-fixture.js";
import { startTlsZoo } from "./tls-zoo.js";

/** What a banner server sends on accept before closing: text with a newline, then two raw bytes. */
export const BANNER = Buffer.concat([Buffer.from("alpha beta\ngamma|"), Buffer.of(7, 255)]);

export interface Fixtures {
  pki: TestPki;
  /** Config keys for the cases (see tests/cases/fixture.ts). */
  config: Record<string, string>;
  /** Files the device needs as resources: name → bytes. */
  resources: Record<string, Uint8Array>;
  /** "127.0.0.1:port" of a DNS server that knows no name (for the host runtime's $HOST_DNS). */
  dnsServer: string;
  close(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port on loopback where nothing listens. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `count` ports where nothing listens, for the device's own servers (http/server cases). Below Linux's
 * ephemeral range (32768+), so no client socket of the run takes one first; from a random base, so runs
 * side by side rarely meet.
 */
export async function serverPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  let candidate = 20000 + Math.floor(Math.random() * 10000);
  for (let tries = 0; ports.length < count && tries < 1000; tries++, candidate++) {
    const probe = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once("error", () => resolve(false));
      probe.listen(candidate, LOOPBACK, () => resolve(true));
    });
    if (free) {
      ports.push(candidate);
      await new Promise((resolve) => probe.close(resolve));
    }
  }
  if (ports.length < count)
    throw new Error(`no ${count} free ports from 20000`);
  return ports;
}

/** A DNS server on loopback that answers every query NXDOMAIN: names that do not exist, without the internet. */
export async function startNxDomainServer(): Promise<{ address: string; close(): void }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, peer) => {
    if (query.length < 12)
      return;
    const answer = Buffer.from(query);
    answer.writeUInt16BE(0x8183, 2);           // response, recursion desired+available, NXDOMAIN
    answer.writeUInt16BE(0, 6);                 // no answers
    answer.writeUInt16BE(0, 8);
    answer.writeUInt16BE(0, 10);                // and no additional records (drops EDNS)
    const questionEnd = endOfQuestion(query);
    socket.send(answer.subarray(0, questionEnd), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return { address: `${LOOPBACK}:${socket.address().port}`, close: () => socket.close() };
}

function endOfQuestion(query: Buffer): number {
  let at = 12;
  while (at < query.length && query[at] !== 0)
    at += query[at] + 1;
  return Math.min(query.length, at + 5); // zero label, type, class
}

/** An SNTP server on loopback answering every request with `seconds` (Unix time). */
export async function startSntpServer(seconds: () => number): Promise<{ port: number; close(): void }> {
  const socket = dgram.createSocket("udp4");
  socket.on("message", (request, peer) => {
    if (request.length !== 48)
      return;
    const reply = Buffer.alloc(48);
    reply[0] = (4 << 3) | 4; // version 4, server mode
    reply[1] = 2;            // stratum
    reply.writeUInt32BE(seconds() + 2208988800, 40);
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  return { port: socket.address().port, close: () => socket.close() };
}

export async function startFixtures(): Promise<Fixtures> {
  const pki = await createTestPki();
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  };
  const start = async (server: net.Server) => {
    servers.push(server);
    server.on("connection", track);
    return listen(server);
  };

  const echo = await start(net.createServer((socket) => socket.pipe(socket)));
  const silent = await start(net.createServer(() => undefined)); // accepts, never says a word
  const banner = await start(net.createServer((socket) => socket.end(BANNER)));
  const counter = await start(net.createServer((socket) => {
    let count = 0;
    socket.on("data", (data: Buffer) => {
      const newline = data.indexOf(10);
      if (newline < 0) {
        count += data.length;
        return;
      }
      socket.end(`${count + newline}\n`);
    });
  }));
  const tlsOptions = { key: pki.leaf.keyPem, cert: pki.leaf.pem + pki.intermediate.pem };
  const tlsEcho = await start(tls.createServer(tlsOptions, (socket) => socket.pipe(socket)));
  let httpsConnections = 0;
  let httpsResumed = 0;
  const httpsServer = https.createServer(tlsOptions, (request, response) => {
    if (request.url === "/stats")
      return response.end(JSON.stringify({ connections: httpsConnections, resumed: httpsResumed }));
    if (request.url === "/64k" || request.url === "/64k-close") { // written at once: Node sends it in full 16 KB TLS records
      if (request.url === "/64k-close")
        response.setHeader("connection", "close");
      return response.end(Buffer.alloc(65536, "a"));
    }
    response.setHeader("content-type", "text/plain");
    response.end("hello over TLS");
  });
  httpsServer.on("secureConnection", (socket: tls.TLSSocket) => {
    httpsConnections++;
    if (socket.isSessionReused())
      httpsResumed++;
  });
  httpsServer.on("tlsClientError", () => undefined);
  // TLS 1.2 resumption by session ID (the SDK's client sends no session ticket): Node keeps no session
  // cache of its own, the server needs one.
  const sessionCache = new Map<string, Buffer>();
  httpsServer.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
    sessionCache.set(id.toString("hex"), data);
    done();
  });
  httpsServer.on("resumeSession", (id: Buffer, done: (error: Error | null, data?: Buffer) => void) => done(null, sessionCache.get(id.toString("hex"))));
  const httpsPort = await start(httpsServer);
  const stranger = await start(tls.createServer({ key: pki.strangerLeaf.keyPem, cert: pki.strangerLeaf.pem }, (socket) => socket.pipe(socket)));
  for (const server of servers.slice(-2))
    server.on("tlsClientError", () => undefined);
  const dns = await startNxDomainServer();
  const httpFixture = await startHttpFixture();
  const sntp = await startSntpServer(() => Math.floor(Date.now() / 1000));
  const zoo = await startTlsZoo(pki);
  // the device's own HTTPS server (http/server cases): self-signed, RSA (the SDK's server side has RSA key exchange only)
  const device = await issue({ subject: "CN=netkit device", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
  // GET /?port=N: an OpenSSL client (Node's https, default options) fetches /temperature from the device's
  // HTTPS server on port N, trusting the device's certificate, and reports what it saw
  const probe = await start(http.createServer((request, response) => {
    const port = Number(new URL(request.url ?? "/", "http://x").searchParams.get("port"));
    const answer = (result: object) => response.end(JSON.stringify(result));
    const outgoing = https.get({ host: LOOPBACK, port, path: "/temperature", ca: device.pem, agent: false, timeout: 20000 }, (reply) => {
      const socket = reply.socket as tls.TLSSocket;
      const seen = { status: reply.statusCode, protocol: socket.getProtocol(), cipher: socket.getCipher().name, body: "" };
      reply.setEncoding("utf8");
      reply.on("data", (chunk: string) => (seen.body += chunk));
      reply.on("end", () => answer(seen));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("no answer within 20 s")));
    outgoing.on("error", (error) => answer({ error: error.message }));
  }) as unknown as net.Server);

  return {
    pki,
    config: {
      fixtureHost: LOOPBACK,
      fixtureEchoPort: String(echo),
      fixtureBannerPort: String(banner),
      fixtureCounterPort: String(counter),
      fixtureRefusedPort: String(await refusedPort()),
      fixtureTlsPort: String(tlsEcho),
      fixtureStrangerPort: String(stranger),
      fixtureSntpPort: String(sntp.port),
      fixtureHttpPort: String(httpFixture.port),
      fixtureSilentPort: String(silent),
      fixtureHttpsPort: String(httpsPort),
      fixtureProbePort: String(probe),
      fixtureServerPorts: (await serverPorts(16)).join(","),
      certs: "fixture-ca.pem", // the default trust anchors (an app lists its certs/ files here)
      ...zoo.config,
    },
    resources: {
      "fixture-ca.der": pki.root.der,
      "device-cert.der": device.der,
      "device-key.der": new Uint8Array(createPrivateKey(device.keyPem).export({ format: "der", type: "pkcs8" })),
      "fixture-ca.pem": Buffer.from(pki.root.pem),
      // a bundle as people make them: CRLF line ends, blank lines, text between the blocks
      "fixture-bundle.pem": Buffer.from(`Test roots\r\n\r\n${pki.strangerRoot.pem.replace(/\n/g, "\r\n")}\r\n\r\nsubject=CN=netkit test root\n${pki.root.pem}\n`),
      "fixture-no-end.pem": Buffer.from(pki.root.pem.replace("-----END CERTIFICATE-----", "")),
      "fixture-bad-base64.pem": Buffer.from(pki.root.pem.replace(/\n([A-Za-z0-9+/]{10})/, "\n$$$1")),
      "fixture-no-cert.pem": Buffer.from("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
      ...zoo.resources,
    },
    dnsServer: dns.address,
    async close() {
      dns.close();
      sntp.close();
      await httpFixture.close();
      await zoo.close();
      for (const socket of sockets)
        socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
