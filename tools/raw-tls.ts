// A deliberately misbehaving TLS 1.2 server, for testing that a client refuses a forged
// ServerKeyExchange. Node's tls server cannot be made to send a bad one, so this answers the
// ClientHello with a hand-written first flight over raw `net`. It never finishes a handshake: a
// ClientKeyExchange is only counted (the client accepted our ServerKeyExchange) and answered with an alert.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createECDH, randomBytes, sign } from "node:crypto";
import { HandshakeReader, type Next } from "../host/tls-records.js";

export type SkeFault = "none" | "unsigned" | "sigalg-zero" | "hash-zero" | "other-key";

export interface RawTlsServer {
  port: number;
  /** How many connections sent a ClientKeyExchange (i.e. the client accepted our ServerKeyExchange). */
  clientKeyExchanges(): number;
  close(): Promise<void>;
}

export interface RawTlsOptions {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  /** PKCS#8 PEM of the leaf's RSA key. */
  leafKeyPem: string;
  /** PKCS#8 PEM of another RSA key, which signs for the "other-key" fault. */
  otherKeyPem: string;
  fault: SkeFault;
}

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const CERTIFICATE = 11;
const SERVER_KEY_EXCHANGE = 12;
const SERVER_HELLO_DONE = 14;
const CLIENT_KEY_EXCHANGE = 16;
// ECDHE_RSA_WITH_AES_128_GCM_SHA256, then ECDHE_RSA_WITH_AES_128_CBC_SHA256: both need an RSA-signed ServerKeyExchange.
const SUITES = [0xc02f, 0xc027];
const EC_POINT_FORMATS = 0x000b;
const MAX_FRAGMENT = 16384;
// A ClientHello is far smaller; anything bigger is not a client worth waiting for.
const MAX_BUFFERED = 64 * 1024;
const HANDSHAKE_FAILURE = Buffer.from([21, 3, 3, 0, 2, 2, 40]);

function u8(value: number): Buffer {
  return Buffer.from([value]);
}

function u16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

function u24(value: number): Buffer {
  const bytes = Buffer.alloc(3);
  bytes.writeUIntBE(value, 0, 3);
  return bytes;
}

function message(type: number, body: Buffer): Buffer {
  return Buffer.concat([u8(type), u24(body.length), body]);
}

/** Handshake bytes cut into TLS 1.2 handshake records. */
function records(handshake: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let offset = 0; offset < handshake.length; offset += MAX_FRAGMENT) {
    const fragment = handshake.subarray(offset, offset + MAX_FRAGMENT);
    out.push(u8(HANDSHAKE), u16(0x0303), u16(fragment.length), fragment);
  }
  return Buffer.concat(out);
}

/** Bounds-checked reads; a truncated ClientHello throws. */
class Reader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}
  get done(): boolean {
    return this.offset >= this.data.length;
  }
  bytes(length: number): Buffer {
    if (this.offset + length > this.data.length)
      throw new RangeError("truncated");
    const bytes = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }
  u8(): number {
    return this.bytes(1).readUInt8(0);
  }
  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }
  vector8(): Buffer {
    return this.bytes(this.u8());
  }
  vector16(): Buffer {
    return this.bytes(this.u16());
  }
}

interface ClientHello {
  random: Buffer;
  suites: number[];
  ecPointFormats: boolean;
}

function parseClientHello(body: Buffer): ClientHello {
  const reader = new Reader(body);
  reader.bytes(2); // client_version
  const random = Buffer.from(reader.bytes(32));
  reader.vector8(); // session_id
  const suiteList = new Reader(reader.vector16());
  const suites: number[] = [];
  while (!suiteList.done)
    suites.push(suiteList.u16());
  reader.vector8(); // compression_methods
  let ecPointFormats = false;
  if (!reader.done) {
    const extensions = new Reader(reader.vector16());
    while (!extensions.done) {
      if (extensions.u16() === EC_POINT_FORMATS)
        ecPointFormats = true;
      extensions.vector16();
    }
  }
  return { random, suites, ecPointFormats };
}

function serverKeyExchange(options: RawTlsOptions, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  const point = createECDH("prime256v1").generateKeys(); // uncompressed
  const params = Buffer.concat([u8(3), u16(23), u8(point.length), point]); // named_curve secp256r1
  const signature = (keyPem: string) => sign("sha256", Buffer.concat([clientRandom, serverRandom, params]), keyPem);
  const vector16 = (bytes: Buffer) => Buffer.concat([u16(bytes.length), bytes]);
  const empty = Buffer.alloc(0);
  switch (options.fault) {
    case "none": return Buffer.concat([params, u8(4), u8(1), vector16(signature(options.leafKeyPem))]);
    case "unsigned": return Buffer.concat([params, u8(4), u8(1), vector16(empty)]);
    case "sigalg-zero": return Buffer.concat([params, u8(4), u8(0), vector16(empty)]);
    case "hash-zero": return Buffer.concat([params, u8(0), u8(1), vector16(signature(options.leafKeyPem))]);
    case "other-key": return Buffer.concat([params, u8(4), u8(1), vector16(signature(options.otherKeyPem))]);
  }
}

function firstFlight(options: RawTlsOptions, hello: ClientHello, suite: number): Buffer {
  const serverRandom = randomBytes(32);
  const extensions = [Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00])]; // empty renegotiation_info
  if (hello.ecPointFormats)
    extensions.push(Buffer.from([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00])); // uncompressed only
  const extensionBytes = Buffer.concat(extensions);
  const serverHello = Buffer.concat([u16(0x0303), serverRandom, u8(0), u16(suite), u8(0), u16(extensionBytes.length), extensionBytes]);
  const certificates = Buffer.concat(options.chain.map((der) => Buffer.concat([u24(der.length), der])));
  return records(Buffer.concat([
    message(SERVER_HELLO, serverHello),
    message(CERTIFICATE, Buffer.concat([u24(certificates.length), certificates])),
    message(SERVER_KEY_EXCHANGE, serverKeyExchange(options, hello.random, serverRandom)),
    message(SERVER_HELLO_DONE, Buffer.alloc(0)),
  ]));
}

function serve(socket: net.Socket, options: RawTlsOptions, onClientKeyExchange: () => void): void {
  const fail = (): Next => {
    socket.end(HANDSHAKE_FAILURE);
    return "stop";
  };
  const drop = (): Next => {
    socket.destroy();
    return "stop";
  };
  let state: "hello" | "key-exchange" = "hello";
  // After a ClientKeyExchange come ChangeCipherSpec and an encrypted Finished: not ours to parse.
  const reader = new HandshakeReader((type, body) => {
    if (state === "hello" && type === CLIENT_HELLO) {
      const hello = parseClientHello(body);
      const suite = SUITES.find((candidate) => hello.suites.includes(candidate));
      if (suite === undefined)
        return fail();
      socket.write(firstFlight(options, hello, suite));
      state = "key-exchange";
      return "more";
    }
    if (state === "key-exchange" && type === CLIENT_KEY_EXCHANGE) {
      onClientKeyExchange();
      return fail();
    }
    return drop();
  }, drop, MAX_BUFFERED); // alerts, or anything but handshake records, end the conversation
  socket.on("data", (chunk: Buffer) => {
    try {
      reader.push(chunk);
    }
    catch {
      drop(); // a malformed ClientHello, or too much buffered
    }
  });
}

export async function startRawTlsServer(options: RawTlsOptions): Promise<RawTlsServer> {
  let clientKeyExchanges = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {}); // clients hang up mid-handshake by design
    serve(socket, options, () => clientKeyExchanges++);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    clientKeyExchanges: () => clientKeyExchanges,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets)
        socket.destroy();
      server.close(() => resolve());
    }),
  };
}
