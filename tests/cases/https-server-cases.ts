// Experiment: a TLS server on an accepted Socket with the SDK's SecureSocket (docs/server.md, HTTPS).
import { Listener, Socket } from "socket";
import SecureSocket from "securesocket";
import Resource from "Resource";
import { request } from "http/client";
import { equal, type TestCase } from "./harness";
import { serverPort } from "./fixture";

export const httpsServerCases: TestCase[] = [
  {
    name: "server (https): SecureSocket over an accepted Socket serves TLS with a self-signed certificate",
    skip: { lane: "node", reason: "experiment on the simulator first" },
    async run() {
      const port = serverPort();
      const cert = new Uint8Array(new Resource("device-cert.der").slice(0));
      const key = new Uint8Array(new Resource("device-key.der").slice(0));
      trace(`https experiment: cert ${cert.length} bytes, key ${key.length} bytes\n`);
      const listener = new Listener({ port });
      listener.callback = function () {
        const sock = new Socket({ listener } as never);
        const tls = new SecureSocket({ sock, secure: { protocolVersion: 0x303, serverCertificates: [cert], serverKey: key, cache: false, trace: true } as never }) as never as { callback: (m: number, v?: number) => void; read(t: typeof String): string; write(s: string): void; close(): void };
        let got = "";
        tls.callback = (message: number, value?: number) => {
          trace(`https experiment: server message ${message} ${value ?? ""}\n`);
          if (message === 2) {
            got += tls.read(String);
            if (got.includes("\r\n\r\n"))
              tls.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
          }
        };
      };
      try {
        const response = await request(`https://127.0.0.1:${port}/`, { tls: { verify: false }, timeouts: { connect: 30000 } });
        equal(await response.text(), "hello", "body");
      }
      finally {
        (listener as unknown as { close(): void }).close();
      }
    },
  },
];
