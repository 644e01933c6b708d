// A hand-written TLS 1.3 server (RFC 8446) over raw `net`, for the attacks Node's own server cannot be made to
// mount: a Finished that does not match, a CertificateVerify by another key, a key share off the curve, an
// answer in TLS 1.2 carrying the downgrade sentinel, a pre_shared_key the client never offered; and, not an
// attack, an honest TLS 1.2-only server's answer ("tls12-server": a 1.2 suite, 1.2 extensions). With fault
// "none" it completes a correct handshake (P-256 ECDHE, TLS_AES_128_GCM_SHA256, an ECDSA P-256 leaf), so the
// faults are the only difference. It reads the ClientHello and counts what came after its flight: a client
// Finished (the client accepted everything) or an alert (with its description).
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createCipheriv, createDecipheriv, createECDH, createHash, createHmac, randomBytes, sign } from "node:crypto";
import { HandshakeReader } from "../../host/tls-records.js";

export type Tls13Fault = "none" | "bad-finished" | "other-key" | "off-curve" | "downgrade" | "unoffered-psk" | "tls12-server";

export interface RawTls13Options {
  /** DER certificates, leaf first; the leaf's key is ECDSA P-256. */
  chain: Uint8Array[];
  /** PKCS#8 PEM of the leaf's key. */
  leafKeyPem: string;
  /** PKCS#8 PEM of another P-256 key, which signs for the "other-key" fault. */
  otherKeyPem: string;
  fault: Tls13Fault;
}

export interface RawTls13Server {
  port: number;
  /** What clients did after the server's flight: "finished" (a client Finished that verified), or "alert <n>". */
  outcomes(): string[];
  close(): Promise<void>;
}

const u8 = (v: number) => Buffer.from([v]);
const u16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
const u24 = (v: number) => Buffer.from([v >> 16, (v >> 8) & 0xff, v & 0xff]);
const vec8 = (b: Buffer) => Buffer.concat([u8(b.length), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const vec24 = (b: Buffer) => Buffer.concat([u24(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);
const handshake = (type: number, body: Buffer) => Buffer.concat([u8(type), u24(body.length), body]);
const sha256 = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const hmac = (key: Buffer, ...parts: Buffer[]) => createHmac("sha256", key).update(Buffer.concat(parts)).digest();

function expandLabel(secret: Buffer, label: string, context: Buffer, length: number): Buffer {
  const info = Buffer.concat([u16(length), vec8(Buffer.from("tls13 " + label)), vec8(context)]);
  const out: Buffer[] = [];
  let block = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    block = hmac(secret, block, info, u8(i));
    out.push(block);
  }
  return Buffer.concat(out).subarray(0, length);
}

class Protection {
  #key: Buffer;
  #iv: Buffer;
  #sequence = 0n;
  constructor(secret: Buffer) {
    this.#key = expandLabel(secret, "key", Buffer.alloc(0), 16);
    this.#iv = expandLabel(secret, "iv", Buffer.alloc(0), 12);
  }
  #nonce(): Buffer {
    const nonce = Buffer.from(this.#iv);
    const sequence = Buffer.alloc(8);
    sequence.writeBigUInt64BE(this.#sequence++);
    for (let i = 0; i < 8; i++)
      nonce[4 + i] ^= sequence[i];
    return nonce;
  }
  seal(type: number, content: Buffer): Buffer {
    const inner = Buffer.concat([content, u8(type)]);
    const header = Buffer.concat([u8(23), u16(0x0303), u16(inner.length + 16)]);
    const cipher = createCipheriv("aes-128-gcm", this.#key, this.#nonce());
    cipher.setAAD(header);
    return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
  }
  open(header: Buffer, body: Buffer): { type: number; content: Buffer } | undefined {
    const decipher = createDecipheriv("aes-128-gcm", this.#key, this.#nonce());
    decipher.setAAD(header);
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      const inner = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
      let end = inner.length;
      while (end > 0 && inner[end - 1] === 0)
        end--;
      return { type: inner[end - 1], content: inner.subarray(0, end - 1) };
    }
    catch {
      return undefined;
    }
  }
}

interface Hello {
  sessionId: Buffer;
  p256Share?: Buffer;
  suites: number[];
}

function parseClientHello(body: Buffer): Hello {
  let at = 2 + 32;
  const sessionId = body.subarray(at + 1, at + 1 + body[at]);
  at += 1 + body[at];
  const suites: number[] = [];
  for (let i = 0; i < body.readUInt16BE(at); i += 2)
    suites.push(body.readUInt16BE(at + 2 + i));
  at += 2 + body.readUInt16BE(at); // cipher suites
  at += 1 + body[at];              // compression
  const end = at + 2 + body.readUInt16BE(at);
  at += 2;
  let p256Share: Buffer | undefined;
  while (at < end) {
    const type = body.readUInt16BE(at);
    const length = body.readUInt16BE(at + 2);
    const data = body.subarray(at + 4, at + 4 + length);
    if (type === 51) {
      for (let i = 2; i < data.length;) {
        const group = data.readUInt16BE(i);
        const keyLength = data.readUInt16BE(i + 2);
        if (group === 23)
          p256Share = data.subarray(i + 4, i + 4 + keyLength);
        i += 4 + keyLength;
      }
    }
    at += 4 + length;
  }
  return { sessionId: Buffer.from(sessionId), p256Share, suites };
}

function serve(socket: net.Socket, options: RawTls13Options, outcome: (text: string) => void): void {
  let expectedClientFinished: Buffer | undefined;
  let stage: "hello" | "client" = "hello";
  let pending = Buffer.alloc(0);
  let inbound: Protection | undefined;
  const reader = new HandshakeReader((type, body) => {
    if (type !== 1)
      return "stop";
    const hello = parseClientHello(body);
    if (!hello.p256Share) {
      socket.end(Buffer.from([21, 3, 3, 0, 2, 2, 40]));
      return "stop";
    }
    const ch = handshake(1, body);
    const ecdh = createECDH("prime256v1");
    const serverShare = ecdh.generateKeys();
    const random = randomBytes(32);
    if (options.fault === "tls12-server") { // picks the client's first TLS 1.2 suite, as a 1.2-only server does
      const suite = hello.suites.find((s) => s >> 8 !== 0x13);
      if (suite === undefined) {
        socket.end(Buffer.from([21, 3, 3, 0, 2, 2, 40])); // no suite in common: handshake_failure
        return "stop";
      }
      const renegotiationInfo = ext(0xff01, u8(0)), pointFormats = ext(11, Buffer.from([1, 0]));
      const sh = handshake(2, Buffer.concat([u16(0x0303), random, vec8(hello.sessionId), u16(suite), u8(0), vec16(Buffer.concat([renegotiationInfo, pointFormats]))]));
      socket.write(Buffer.concat([u8(22), u16(0x0303), vec16(sh)]));
      stage = "client";
      return "stop";
    }
    if (options.fault === "downgrade") {
      Buffer.from("444f574e47524401", "hex").copy(random, 24);
      const sh = handshake(2, Buffer.concat([u16(0x0303), random, vec8(hello.sessionId), u16(0xc02b), u8(0), vec16(Buffer.alloc(0))]));
      socket.write(Buffer.concat([u8(22), u16(0x0303), vec16(sh)]));
      stage = "client";
      return "stop";
    }
    let share = serverShare;
    if (options.fault === "off-curve") {
      share = Buffer.from(serverShare);
      share[share.length - 1] ^= 1; // y changed: no longer on the curve
    }
    const extensions = [ext(43, u16(0x0304)), ext(51, Buffer.concat([u16(23), vec16(share)]))];
    if (options.fault === "unoffered-psk")
      extensions.push(ext(41, u16(0)));
    const sh = handshake(2, Buffer.concat([u16(0x0303), random, vec8(hello.sessionId), u16(0x1301), u8(0), vec16(Buffer.concat(extensions))]));
    const shared = ecdh.computeSecret(hello.p256Share);
    const zeros = Buffer.alloc(32);
    const early = hmac(zeros, zeros);
    const derived = expandLabel(early, "derived", sha256(), 32);
    const handshakeSecret = hmac(derived, shared);
    const helloHash = sha256(ch, sh);
    const clientSecret = expandLabel(handshakeSecret, "c hs traffic", helloHash, 32);
    const serverSecret = expandLabel(handshakeSecret, "s hs traffic", helloHash, 32);
    const out = new Protection(serverSecret);
    inbound = new Protection(clientSecret);
    const ee = handshake(8, vec16(Buffer.alloc(0)));
    const certificate = handshake(11, Buffer.concat([u8(0), vec24(Buffer.concat(options.chain.map((der) => Buffer.concat([vec24(Buffer.from(der)), u16(0)]))))]));
    const content = Buffer.concat([Buffer.alloc(64, 0x20), Buffer.from("TLS 1.3, server CertificateVerify"), u8(0), sha256(ch, sh, ee, certificate)]);
    const signature = sign("sha256", content, options.fault === "other-key" ? options.otherKeyPem : options.leafKeyPem);
    const cv = handshake(15, Buffer.concat([u16(0x0403), vec16(signature)]));
    const serverFinishedKey = expandLabel(serverSecret, "finished", Buffer.alloc(0), 32);
    const verifyData = hmac(serverFinishedKey, sha256(ch, sh, ee, certificate, cv));
    if (options.fault === "bad-finished")
      verifyData[0] ^= 0x80;
    const fin = handshake(20, verifyData);
    const clientFinishedKey = expandLabel(clientSecret, "finished", Buffer.alloc(0), 32);
    expectedClientFinished = hmac(clientFinishedKey, sha256(ch, sh, ee, certificate, cv, fin));
    const flight = Buffer.concat([ee, certificate, cv, fin]);
    const records: Buffer[] = [Buffer.concat([u8(22), u16(0x0303), vec16(sh)])];
    for (let at = 0; at < flight.length; at += 16384)
      records.push(out.seal(22, flight.subarray(at, at + 16384)));
    socket.write(Buffer.concat(records));
    stage = "client";
    return "stop";
  }, () => "stop");
  socket.on("data", (chunk: Buffer) => {
    if (stage === "hello") {
      reader.push(chunk);
      return;
    }
    // after our flight: the client's records, protected (or a plaintext alert before it had keys)
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
      const header = pending.subarray(0, 5);
      const body = pending.subarray(5, 5 + pending.readUInt16BE(3));
      pending = pending.subarray(5 + body.length);
      if (header[0] === 21)
        outcome(`alert ${body[1]}`);
      else if (header[0] === 23 && inbound) {
        const record = inbound.open(Buffer.from(header), Buffer.from(body));
        if (record?.type === 21)
          outcome(`alert ${record.content[1]}`);
        else if (record?.type === 22 && record.content[0] === 20)
          outcome(record.content.subarray(4).equals(expectedClientFinished!) ? "finished" : "bad client finished");
        if (record?.type === 22)
          inbound = undefined; // application data follows under keys this server does not follow
      }
    }
  });
}

export async function startRawTls13Server(options: RawTls13Options): Promise<RawTls13Server> {
  const outcomes: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    serve(socket, options, (text) => outcomes.push(text));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    outcomes: () => outcomes.slice(),
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets)
        socket.destroy();
      server.close(() => resolve());
    }),
  };
}
