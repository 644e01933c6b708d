// A raw HTTP/1.1 server on 127.0.0.1 for the client cases: well-behaved routes, and routes built to
// trip each deadline and each parser rule. Raw `net`, so responses can be exactly as bad as needed.
// It counts TCP connections (GET /stats) so cases can observe keep-alive from the server side.
import net from "node:net";
import type { AddressInfo } from "node:net";

interface Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  connection: number;
}

type Route = (request: Request, socket: net.Socket, port: number) => void;

function respond(socket: net.Socket, status: string, headers: Record<string, string | number>, body: string | Buffer = ""): void {
  const data = typeof body === "string" ? Buffer.from(body) : body;
  let head = `HTTP/1.1 ${status}\r\n`;
  for (const [name, value] of Object.entries({ "Content-Length": data.length, ...headers }))
    head += `${name}: ${value}\r\n`;
  socket.write(Buffer.concat([Buffer.from(head + "\r\n"), data]));
}

const malformed: Record<string, string> = {
  "no-reason": "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
  "banner": "SSH-2.0-OpenSSH_9.2\r\n",
  "cl-conflict": "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
  "cl-negative": "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
  "gzip-chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
  "hex-prefix": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
  "no-colon": "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nthis line has no colon\r\n\r\n",
  "huge-head": "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(9000) + "\r\nContent-Length: 0\r\n\r\n",
};

export const routes: Record<string, Route> = {
  "/hello": (_request, socket) => respond(socket, "200 OK", { "Content-Type": "text/plain" }, "hello world"),
  "/echo": (request, socket) => respond(socket, "200 OK", { "Content-Type": "application/json" },
    JSON.stringify({ method: request.method, path: request.path, headers: request.headers, body: request.body.toString("latin1") })),
  "/json": (_request, socket) => respond(socket, "200 OK", { "Content-Type": "application/json" }, '{"value":42,"unit":"C"}'),
  "/chunked": (_request, socket) => socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
    "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n"),
  "/close-delimited": (_request, socket) => socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"),
  "/continue": (_request, socket) => socket.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"),
  "/not-modified": (_request, socket) => socket.write("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"x\"\r\n\r\n"),
  "/no-content": (_request, socket) => socket.write("HTTP/1.1 204 No Content\r\n\r\n"),
  "/close-after": (_request, socket) => {
    respond(socket, "200 OK", {}, "one");
    setTimeout(() => socket.end(), 20); // a server that drops idle keep-alive connections quickly
  },
  "/truncated": (_request, socket) => socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"),
  "/truncated-chunked": (_request, socket) => socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
  "/no-head": () => undefined, // accepts, reads, never answers
  "/stall-head": (_request, socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"), // head never ends
  "/stall-body": (_request, socket) => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nten bytes."),
  "/trickle": (_request, socket) => {
    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n");
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || ++sent > 40)
        return clearInterval(timer);
      socket.write("x");
    }, 200);
    socket.on("close", () => clearInterval(timer));
  },
  "/big": (request, socket) => {
    const size = Number(new URL(request.path, "http://x").searchParams.get("n") ?? 1024);
    const chunk = Buffer.alloc(16384, "abcdefghijklmnop");
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    let left = size;
    const pump = () => {
      while (left > 0) {
        const piece = chunk.subarray(0, Math.min(left, chunk.length));
        left -= piece.length;
        if (!socket.write(piece))
          return socket.once("drain", pump);
      }
    };
    pump();
  },
  "/redirect-loop": (_request, socket) => respond(socket, "302 Found", { Location: "/redirect-loop" }),
  "/redirect-303": (_request, socket) => respond(socket, "303 See Other", { Location: "/echo" }),
  "/redirect-307": (_request, socket) => respond(socket, "307 Temporary Redirect", { Location: "/echo" }),
  "/redirect-cross": (_request, socket, port) => respond(socket, "302 Found", { Location: `http://localhost:${port}/echo` }),
  "/redirect-relative": (_request, socket) => respond(socket, "301 Moved Permanently", { Location: "../hello" }),
};

export interface HttpFixture {
  port: number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function startHttpFixture(): Promise<HttpFixture> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  let port = 0;
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on("data", (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
          return;
        const lines = buffer.subarray(0, end).toString("latin1").split("\r\n");
        const [method, path] = lines[0].split(" ");
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        let rest = buffer.subarray(end + 4);
        let body: Buffer;
        if (headers["transfer-encoding"] === "chunked") {
          const parts: Buffer[] = [];
          let at = 0;
          for (;;) {
            const lineEnd = rest.indexOf("\r\n", at);
            if (lineEnd < 0)
              return; // wait for more
            const size = parseInt(rest.subarray(at, lineEnd).toString(), 16);
            if (rest.length < lineEnd + 2 + size + 2)
              return;
            if (size === 0) {
              at = lineEnd + 4;
              break;
            }
            parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
            at = lineEnd + 2 + size + 2;
          }
          body = Buffer.concat(parts);
          rest = rest.subarray(at);
        }
        else {
          const length = Number(headers["content-length"] ?? 0);
          if (rest.length < length)
            return;
          body = rest.subarray(0, length);
          rest = rest.subarray(length);
        }
        buffer = rest;
        const request: Request = { method, path, headers, body, connection };
        const base = path.split("?")[0];
        if (base === "/stats")
          respond(socket, "200 OK", { "Content-Type": "application/json" }, JSON.stringify({ connections: accepted }));
        else if (base.startsWith("/malformed/"))
          socket.end(malformed[base.slice(11)] ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        else if (routes[base])
          routes[base](request, socket, port);
        else
          respond(socket, "404 Not Found", {});
        if (headers.connection === "close")
          socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    connections: () => accepted,
    async close() {
      for (const socket of sockets)
        socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
