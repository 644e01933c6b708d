// Host `securesocket`: the SDK's SecureSocket (documentation/network/securesocket.md) over Node `tls`.
// Like the SDK: TLS 1.2 at most (it implements no TLS 1.3), `host` is the SNI and the name checked,
// `sock:` runs TLS over a Socket whose connect message starts the handshake, writable counts are the TCP
// socket's less 128 bytes of TLS overhead, and a peer that closes during the handshake is a disconnect
// (-1), not an error. Certificates are verified as on the device with our `ssl/cert`: Node's own
// verification is off and the chain the server sent, exactly as sent (read from the handshake records,
// since Node's getPeerCertificate reorders and drops), goes to tls/verifier. OpenSSL runs the handshake,
// so it checks the ServerKeyExchange signature itself. The cipher suites are the SDK client's (no DHE,
// as in our manifest's tls config).
import tls from "node:tls";
import net from "node:net";
import { Duplex } from "node:stream";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { Delivery, encodeWriteArgs, invokeCallback, Socket, TX_BUFFER } from "./socket.js";
import { counters } from "../runtime.js";
import { verifyPeer } from "tls/verifier";
import { report, notTls, ALERT_NAMES } from "tls/report";
import { HandshakeReader } from "../tls-records.js";
import { downgradeSentinel } from "tls/tls13/messages";
import type { VerifyOptions } from "tls/verifier";

type Der = ArrayBuffer | ArrayBufferView;
interface SecureOptions extends VerifyOptions {
  protocolVersion?: number;
  cache?: boolean;
  serverName?: string;
  applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
  clientKey?: Der;
  clientCertificates?: Der[];
  tls_max_fragment_length?: number;
  /** After a failed TLS 1.3 attempt (http/transport/tls13): a ServerHello random with the downgrade sentinel is refused, as our ssl/handshake does on the device. */
  tls13Fallback?: boolean;
  trace?: boolean;
  serverCertificates?: Der[];
  serverKey?: Der;
}
interface SecureDictionary {
  host?: string;
  address?: string;
  port?: number;
  sock?: Socket;
  secure?: SecureOptions;
}

const TLS_OVERHEAD = 128;
/** What the SDK's client offers (modules/crypt/ssl/ssl_ciphersuites.js), DHE off as in our manifest. */
const SDK_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:" +
  "AES128-GCM-SHA256:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA";
/** What the SDK's TLS server can serve, in its order (static RSA key exchange: its server side has no ECDHE). */
const SDK_SERVER_CIPHERS = "AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256";
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
    ciphers: SDK_CIPHERS,
  };
  if (secure.protocolVersion !== undefined && secure.protocolVersion < 0x303)
    options.ciphers = SDK_CIPHERS + ":@SECLEVEL=0"; // allow the old protocol versions the caller asked for
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

/**
 * Reads the server's Certificate message from the plaintext handshake records as they pass (TLS 1.2:
 * everything before the server's ChangeCipherSpec is in the clear).
 */
class CertificateTap {
  chain: Buffer[] = [];
  /** The first bytes the server sent (up to a record header), to tell a server that is not speaking TLS. */
  first = Buffer.alloc(0);
  /** Set by the owner: called with the ServerHello's random. */
  onServerHello: ((random: Buffer) => void) | undefined;
  /** The handshake was ended by the tap's owner: nothing more goes to Node's TLS. */
  refused = false;
  readonly #reader = new HandshakeReader((type, body) => {
    if (type === 2)
      this.onServerHello?.(body.subarray(2, 34));
    if (type !== 11)
      return;
    const list = body.subarray(3); // certificate_list<0..2^24-1>
    for (let at = 0; at + 3 <= list.length;) {
      const size = list.readUIntBE(at, 3);
      this.chain.push(Buffer.from(list.subarray(at + 3, at + 3 + size)));
      at += 3 + size;
    }
  }, (type) => (type === 20 ? "stop" : "more")); // ChangeCipherSpec: encrypted from here on

  push(data: Buffer): void {
    if (this.first.length < 5)
      this.first = Buffer.concat([this.first, data.subarray(0, 5 - this.first.length)]);
    try {
      this.#reader.push(data);
    }
    catch {
      // beyond the bound: no chain is read, so verification refuses the server
    }
  }
}

/** A stream between `raw` and Node's TLS that shows the tap every byte the server sends. */
function tapped(raw: net.Socket, tap: CertificateTap): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      raw.write(chunk, done);
    },
    final(done) {
      raw.end();
      done();
    },
    destroy(error, done) {
      raw.destroy();
      done(error);
    },
  });
  raw.on("data", (data: Buffer) => {
    tap.push(data);
    if (!tap.refused)
      duplex.push(data);
  });
  raw.on("end", () => duplex.push(null));
  raw.on("error", (error) => duplex.destroy(error));
  raw.on("close", () => duplex.destroy());
  return duplex;
}

/**
 * Why OpenSSL ended a client handshake, in our words and as the device says it (tls/report, tls/ssl-alert); OpenSSL's
 * own reason follows in parentheses when it adds something ("ssl3_get_record:wrong version number" alone
 * tells a person nothing).
 */
export function handshakeFailure(message: string, first: Uint8Array): string {
  const plain = notTls(first);
  if (plain)
    return plain;
  const alert = /SSL alert number (\d+)/.exec(message);
  if (alert)
    return `the server sent TLS alert ${alert[1]} (${ALERT_NAMES[Number(alert[1])] ?? "unknown"})`;
  const reason = message.split("\n")[0].replace(/^[^:]*:error:[0-9A-F]+:[^:]*:[^:]*:/, "").replace(/:\.\.?\/.*$/, "");
  const words: [RegExp, string][] = [
    [/wrong version number|packet length too long|record layer failure/, "the server's answer is not a TLS 1.2 record"],
    [/unsupported protocol|no protocols available|version too low/, "no TLS version in common (this kit speaks TLS 1.2, and 1.0/1.1 only when minVersion allows)"],
    [/no shared cipher|no cipher match|no ciphers available/, "no cipher suite in common (ECDHE and RSA key exchange; DHE is off)"],
    [/dh key too small/, "the server's DH group is too small"],
    [/unexpected eof/, "the server closed the connection during the TLS handshake"],
  ];
  const found = words.find(([pattern]) => pattern.test(reason));
  return found ? `${found[1]} (OpenSSL: ${reason})` : `the TLS handshake failed (OpenSSL: ${reason})`;
}

/** The SDK's TLS session cache (ssl/cache): by server name, used unless `secure.cache` is false. */
const sessions = new Map<string, Buffer>();

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

  #verifyOptions: SecureOptions;
  #cache: boolean;

  constructor(dictionary: SecureDictionary) {
    const options = tlsOptions(dictionary); // throws on bad options, as the SDK's Session does
    this.#verifyOptions = { tls_server_name: serverName(dictionary), ...dictionary.secure };
    this.#cache = dictionary.secure?.cache !== false;
    const sock = dictionary.sock ?? new Socket(dictionary);
    this.#sock = sock;
    if (sock.accepted) {
      this.#serve(sock.detach()!, dictionary.secure ?? {});
      return;
    }
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
    const tap = new CertificateTap();
    const name = this.#verifyOptions.tls_server_name ?? "";
    const cache = this.#cache && name !== "";
    const stream = tls.connect({ ...options, socket: tapped(raw, tap), session: cache ? sessions.get(name) : undefined });
    this.#stream = stream;
    if (this.#verifyOptions.tls13Fallback) {
      tap.onServerHello = (random) => {
        if (!downgradeSentinel(random))
          return;
        tap.refused = true;
        report(this.#verifyOptions, "ERR_TLS_HANDSHAKE", "the server's TLS 1.2 random carries the TLS 1.3 downgrade sentinel: a downgrade attack (the TLS 1.3 attempt was made to fail), or a broken server");
        queueMicrotask(() => this.#end(-2));
      };
    }
    counters.sockets++;
    if (cache)
      stream.on("session", (session: Buffer) => sessions.set(name, session));
    stream.once("secureConnect", () => {
      // a resumed session sends no certificate: as in the SDK, it was verified when it was made
      if (!stream.isSessionReused() && !verifyPeer(tap.chain, this.#verifyOptions))
        return this.#end(-2);
      this.#handshaking = false;
      if (!this.#done)
        invokeCallback(this, 1);
    });
    this.#deliverFrom(stream);
    stream.on("error", (error: NodeJS.ErrnoException) => {
      const peerClosed = error.code === "ECONNRESET" || /disconnected before secure/.test(error.message);
      if (this.#handshaking && !peerClosed) // as our ssl/handshake does on the device: say why
        report(this.#verifyOptions, "ERR_TLS_HANDSHAKE", handshakeFailure(error.message, tap.first));
      this.#end(this.#handshaking && peerClosed ? -1 : -2);
    });
  }

  /**
   * The server side, over a Socket a Listener accepted (docs/server.md): as the SDK's, TLS 1.2 with RSA key
   * exchange only, its first suite the client offers (AES128-SHA first), the chain and key from
   * `serverCertificates`/`serverKey`. Without them the SDK fails at the client's hello (no "srvcert.der").
   */
  #serve(raw: net.Socket, secure: SecureOptions): void {
    counters.sockets++;
    if (!secure.serverCertificates?.length || !secure.serverKey) {
      raw.once("data", () => this.#end(-2));
      this.#stream = new tls.TLSSocket(raw); // never used: close() ends it
      return;
    }
    const context = tls.createSecureContext({
      cert: secure.serverCertificates.map(pem).join(""),
      key: createPrivateKey({ key: bytes(secure.serverKey), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }),
      ciphers: SDK_SERVER_CIPHERS,
      honorCipherOrder: true,
      minVersion: "TLSv1.2",
      maxVersion: "TLSv1.2",
    });
    const stream = new tls.TLSSocket(raw, { isServer: true, secureContext: context });
    this.#stream = stream;
    stream.once("secure", () => {
      this.#handshaking = false;
      if (!this.#done)
        invokeCallback(this, 1);
    });
    this.#deliverFrom(stream);
    stream.on("error", (error: NodeJS.ErrnoException) => this.#end(error.code === "ECONNRESET" ? -1 : -2));
  }

  /** Received bytes go to the delivery queue (read 1 KB per message, as lin does); the peer's end is -1. */
  #deliverFrom(stream: tls.TLSSocket): void {
    stream.on("data", (chunk: Buffer) => {
      if (this.#done)
        return;
      counters.bytesRead += chunk.length;
      this.#delivery.push(chunk);
    });
    stream.on("end", () => this.#end(-1));
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
    const stream = this.#stream;
    this.#stream = undefined;
    if (!stream)
      this.#sock?.close();
    else { // TLS ends the TCP connection after what was written (closing that first would lose it)
      stream.end(() => stream.destroy());
      setTimeout(() => stream.destroy(), 1000).unref();
    }
  }
}
