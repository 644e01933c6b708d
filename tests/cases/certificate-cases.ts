// tls/certificates: PEM resources decoded to DER on the device, and used as SecureSocket trust anchors.
import Resource from "Resource";
import SecureSocket from "securesocket";
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import { CertificateError, loadPemCertificates, pemToDer } from "tls/certificates";
import { HttpClient } from "http/client";
import { assert, deadline, equal, equalBytes, type TestCase } from "./harness";
import { fixturePort } from "./fixture";

function expectPemError(name: string, fragment: string): void {
  try {
    loadPemCertificates(name);
  }
  catch (error) {
    assert(error instanceof CertificateError, `expected CertificateError, got ${String(error)}`);
    equal(error.code, "ERR_PEM", "code");
    assert(error.message.includes(name) && error.message.includes(fragment), error.message);
    return;
  }
  throw new Error(`${name} loaded without error`);
}

export const certificateCases: TestCase[] = [
  {
    name: "tls/certificates: a bundle with CRLF, blank lines and text between blocks gives each certificate as DER",
    async run() {
      const certificates = loadPemCertificates("fixture-bundle.pem");
      equal(certificates.length, 2, "certificates in the bundle");
      const root = new Uint8Array(new Resource("fixture-ca.der") as unknown as ArrayBuffer);
      equalBytes(new Uint8Array(certificates[1]), Array.from(root), "second certificate = the test root's DER");
    },
  },
  {
    name: "tls/certificates: a PEM body may hold tabs and spaces; \"=\" only at its end, at most two, and a multiple of 4 characters",
    async run() {
      const root = Array.from(new Uint8Array(new Resource("fixture-ca.der") as unknown as ArrayBuffer));
      const base64 = loadPemText("fixture-ca.pem");
      const wrap = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
      equalBytes(new Uint8Array(pemToDer(wrap(base64.replace(/\n/g, "\t \r\n")))[0]), root, "tabs, spaces and CRLF skipped");
      const refused = (body: string, what: string) => {
        try {
          pemToDer(wrap(body));
        }
        catch (error) {
          assert(error instanceof CertificateError && error.message.includes("not valid base64"), `${what}: ${String(error)}`);
          return;
        }
        throw new Error(`${what}: accepted`);
      };
      refused(`${base64.slice(0, 8)}=${base64.slice(9)}`, "an = inside the body");
      refused(`${base64.slice(0, -4)}A===`, "three =");
      refused(base64.slice(0, -1), "a length that is not a multiple of 4");
      refused(`${base64.slice(0, 4)}*${base64.slice(5)}`, "a character outside the alphabet");
    },
  },
  {
    name: "tls/certificates: a PEM root from the resources is SecureSocket's trust anchor for a verified connection",
    async run() {
      const [anchor] = loadPemCertificates("fixture-ca.pem");
      const socket = new SecureSocket({
        sock: new Socket({ host: "127.0.0.1", port: fixturePort("Tls") }),
        host: "localhost",
        secure: { protocolVersion: 0x303, certificate: anchor },
      }) as unknown as StreamSocket;
      const connected = await deadline(new Promise<number>((resolve) => {
        socket.callback = (message: number) => {
          if (message === 1 || message < 0) {
            resolve(message);
            if (message === 1)
              socket.close();
          }
        };
      }), 10000, "TLS connect");
      equal(connected, 1, "socket message (1 = connected)");
    },
  },
  {
    name: "client over TLS: https GETs verified against a PEM root reuse one TLS connection (keep-alive)",
    async run() {
      const client = new HttpClient({ idleTimeout: 2000 });
      const base = `https://localhost:${fixturePort("Https")}`;
      const options = { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 20000 } };
      const before = (await (await client.request(base + "/stats", options)).json() as { connections: number }).connections;
      for (let i = 0; i < 3; i++)
        equal(await (await client.request(base + "/", options)).text(), "hello over TLS", `response ${i}`);
      const after = (await (await client.request(base + "/stats", options)).json() as { connections: number }).connections;
      client.close();
      equal(after, before, "TLS connections made after the first (all requests on one)");
    },
  },
  {
    name: "client over TLS: a connection made with verify false is never reused for a verified request",
    async run() {
      const client = new HttpClient({ idleTimeout: 2000, maxSocketsPerOrigin: 4 });
      const base = `https://localhost:${fixturePort("Https")}`;
      const verified = { tls: { ca: "fixture-ca.pem" }, timeouts: { connect: 20000 } };
      const count = async () => (await (await client.request(base + "/stats", verified)).json() as { connections: number }).connections;
      const before = await count();
      equal(await (await client.request(base + "/", { tls: { verify: false }, timeouts: { connect: 20000 } })).text(), "hello over TLS", "unverified");
      equal(await (await client.request(base + "/", verified)).text(), "hello over TLS", "verified");
      const after = await count();
      client.close();
      equal(after, before + 1, "TLS connections: the unverified one was not reused by the verified requests");
    },
  },
  {
    name: "tls/certificates: a certificate without its END line fails with ERR_PEM naming the resource",
    async run() {
      expectPemError("fixture-no-end.pem", "no END line");
    },
  },
  {
    name: "tls/certificates: invalid base64 fails with ERR_PEM naming the resource",
    async run() {
      expectPemError("fixture-bad-base64.pem", "not valid base64");
    },
  },
  {
    name: "tls/certificates: a file with no certificate, or a missing resource, fails with ERR_PEM naming it",
    async run() {
      expectPemError("fixture-no-cert.pem", "no \"-----BEGIN CERTIFICATE-----\" block");
      expectPemError("no-such-root.pem", "not found");
    },
  },
];

/** The base64 body of a PEM resource's first block, lines joined by LF. */
function loadPemText(name: string): string {
  const bytes = new Uint8Array(new Resource(name) as unknown as ArrayBuffer);
  let text = "";
  for (const byte of bytes)
    text += String.fromCharCode(byte);
  const begin = text.indexOf("-----BEGIN CERTIFICATE-----") + "-----BEGIN CERTIFICATE-----".length;
  return text.slice(begin, text.indexOf("-----END CERTIFICATE-----")).trim();
}
