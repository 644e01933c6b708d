// Host `securesocket`: the SDK's SecureSocket (documentation/network/securesocket.md) over Node `tls`.
// Like the SDK: TLS 1.2 at most (it implements no TLS 1.3), `host` is the SNI and the name checked,
// `sock:` runs TLS over a Socket whose connect message starts the handshake, writable counts are the TCP
// socket's less 128 bytes of TLS overhead, and a peer that closes during the handshake is a disconnect
// (-1), not an error. Certificates are verified as on the device with our `ssl/cert`: Node's own
// verification is off and the chain the server sent goes to tls/verifier (OpenSSL only runs the
// handshake, so it still checks the ServerKeyExchange signature itself). Node hands over the chain
// linked leaf first, without certificates that do not chain: order and extras are covered by the
// validator's own cases.
import tls from "node:tls";
import net from "node:net";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { Delivery, encodeWriteArgs, invokeCallback, Socket, TX_BUFFER } from "./socket.js";
import { counters } from "../runtime.js";
import { verifyPeer } from "tls/verifier";
import type { VerifyOptions } from "tls/verifier";

type Der = ArrayBuffer | ArrayBufferView;
interface SecureOptions extends VerifyOptions {
  protocolVersion?: number;
  serverName?: string;
  applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
  clientKey?: Der;
  clientCertificates?: Der[];
  tls_max_fragment_length?: number;
  trace?: boolean;
}
interface SecureDictionary {
  host?: string;
  address?: string;
  port?: number;
  sock?: Socket;
  secure?: SecureOptions;
}

const TLS_OVERHEAD = 128;
const versions: Record<number, tls.SecureVersion> = { 0x301: "TLSv1", 0x302: "TLSv1.1", 0x303: "TLSv1.2" };

function bytes(der: Der): Buffer {
  return der instanceof ArrayBuffer ? Buffer.from(der) : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
}
function pem(der: Der): string {
  return new X509Certificate(bytes(der)).toString();
}

/** Node TLS options equivalent to a SecureSocket dictionary. */
export function tlsOptions(dictionary: SecureDictionary): tls.ConnectionOptions {
  const secure = dictionary.secure ?? {};
  const options: tls.ConnectionOptions = {
    minVersion: versions[secure.protocolVersion ?? 0x302] ?? "TLSv1.2",
    maxVersion: "TLSv1.2",
    rejectUnauthorized: false, // tls/verifier decides, as our ssl/cert does on the device
  };
  if (secure.protocolVersion !== undefined && secure.protocolVersion < 0x303)
    options.ciphers = "DEFAULT:@SECLEVEL=0"; // allow the old protocol versions the caller asked for
  const name = serverName(dictionary);
  if (name && !net.isIP(name))
    options.servername = name;
  const alpn = secure.applicationLayerProtocolNegotiation;
  if (alpn !== undefined)
    options.ALPNProtocols = ([] as (string | ArrayBuffer)[]).concat(alpn).map((p) => (typeof p === "string" ? p : Buffer.from(p).toString("latin1")));
  if (secure.clientKey)
    options.key = createPrivateKey({ key: bytes(secure.clientKey), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" });
  if (secure.clientCertificates)
    options.cert = secure.clientCertificates.map(pem).join("");
  return options;
}

/** The name sent as SNI and checked: `secure.serverName`, else `host` (as the SDK's Session). */
function serverName(dictionary: SecureDictionary): string | undefined {
  return dictionary.secure?.serverName ?? dictionary.host;
}

/** The certificates the server sent, leaf first, as Node linked them. */
function peerChain(stream: tls.TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let certificate: tls.DetailedPeerCertificate | undefined = stream.getPeerCertificate(true);
  while (certificate?.raw && chain.length < 16) {
    chain.push(certificate.raw);
    const issuer: tls.DetailedPeerCertificate | undefined = certificate.issuerCertificate;
    if (!issuer || issuer === certificate || issuer.raw?.equals(certificate.raw))
      break;
    certificate = issuer;
  }
  return chain;
}

export default class SecureSocket {
  callback?: (message: number, value?: number) => void;
  #stream?: tls.TLSSocket;
  #sock?: Socket;
  #handshaking = true;
  #done = false;
  #inFlight = 0;
  #delivery = new Delivery((message, value) => {
    invokeCallback(this, message, value);
    return !this.#done;
  });

  #verifyOptions: VerifyOptions;

  constructor(dictionary: SecureDictionary) {
    const options = tlsOptions(dictionary); // throws on bad options, as the SDK's Session does
    this.#verifyOptions = { tls_server_name: serverName(dictionary), ...dictionary.secure };
    const sock = dictionary.sock ?? new Socket(dictionary);
    this.#sock = sock;
    sock.callback = (message: number) => {
      if (this.#done)
        return;
      if (message === Socket.connected)
        this.#handshake(sock.detach()!, options);
      else if (message < 0)
        this.#end(message);
    };
  }

  #handshake(raw: net.Socket, options: tls.ConnectionOptions): void {
    const stream = tls.connect({ ...options, socket: raw });
    this.#stream = stream;
    counters.sockets++;
    stream.once("secureConnect", () => {
      if (!verifyPeer(peerChain(stream), this.#verifyOptions))
        return this.#end(-2);
      this.#handshaking = false;
      if (!this.#done)
        invokeCallback(this, 1);
    });
    stream.on("data", (chunk: Buffer) => {
      if (this.#done)
        return;
      counters.bytesRead += chunk.length;
      this.#delivery.push(chunk);
    });
    stream.on("end", () => this.#end(-1));
    stream.on("error", (error: NodeJS.ErrnoException) => {
      const peerClosed = error.code === "ECONNRESET" || /disconnected before secure/.test(error.message);
      this.#end(this.#handshaking && peerClosed ? -1 : -2);
    });
  }

  #end(message: number): void {
    if (this.#done)
      return;
    invokeCallback(this, message);
    this.close();
  }

  read(...args: unknown[]): unknown {
    return this.#delivery.read(args);
  }

  write(...args: (string | number | ArrayBuffer | ArrayBufferView)[]): number | undefined {
    if (this.#done)
      throw new Error("write on closed socket");
    const free = TX_BUFFER - this.#inFlight;
    const available = free < TLS_OVERHEAD ? 0 : free - TLS_OVERHEAD;
    if (args.length === 0)
      return this.#handshaking ? 0 : available;
    const data = encodeWriteArgs(args);
    if (data.length > available)
      throw new Error("can't write all data");
    if (this.#handshaking || !this.#stream)
      throw new Error("write failed");
    this.#inFlight += data.length;
    counters.bytesWritten += data.length;
    this.#stream.write(data, () => {
      this.#inFlight -= data.length;
      const left = TX_BUFFER - this.#inFlight;
      if (!this.#done && left > TLS_OVERHEAD)
        invokeCallback(this, 3, left - TLS_OVERHEAD);
    });
    return undefined;
  }

  close(): void {
    if (this.#done)
      return;
    this.#done = true;
    if (this.#stream)
      counters.sockets--;
    this.#sock?.close();
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) {
      stream.end(() => stream.destroy());
      setTimeout(() => stream.destroy(), 1000).unref();
    }
  }
}
