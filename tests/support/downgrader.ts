// A downgrade attacker for the HTTP client's TLS 1.3 fallback (http/transport/tls13), for both lanes: the first
// connection is refused with protocol_version, as if the server spoke TLS 1.2 only; every later one gets a
// TLS 1.2 ServerHello whose random ends with the sentinel a TLS 1.3 server sets when it answers 1.2 (RFC 8446
// 4.1.3), then nothing. A client that checks the sentinel on its fallback refuses it.
import net, { type AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";

/**
 * An attacker between a TLS 1.3 server and the client: the first connection gets protocol_version (as if the
 * server spoke 1.2 only), later ones a TLS 1.2 ServerHello whose random carries the sentinel a 1.3 server sets.
 */
export async function startDowngrader(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const n = ++count;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("data", () => {
      if (n === 1) {
        socket.end(Buffer.from([21, 3, 3, 0, 2, 2, 70]));
        return;
      }
      const random = randomBytes(32);
      Buffer.from("444f574e47524401", "hex").copy(random, 24);
      const body = Buffer.concat([Buffer.from([3, 3]), random, Buffer.from([0, 0xc0, 0x2f, 0, 0, 0])]);
      const hello = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body]);
      socket.write(Buffer.concat([Buffer.from([22, 3, 3, hello.length >> 8, hello.length & 0xff]), hello]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: () => new Promise((resolve) => {
      for (const socket of sockets)
        socket.destroy();
      server.close(() => resolve());
    }),
  };
}
