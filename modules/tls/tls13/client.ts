// A TLS 1.3 client (RFC 8446) over the SDK's TCP Socket, with the callback shape of the SDK's SecureSocket:
// `new Tls13Socket({host, port, secure})` or `{sock, host, secure}`, then `callback(message, value)` with
// 1 (handshake done), 2 (readable: plaintext bytes), 3 (writable: plaintext bytes it takes), -1 (closed by
// the peer), -2 (error); `read` and `write` as SecureSocket's. A refusal by our checks is written to
// `secure.report` (tls/report) and kept in `error`; a bare socket failure reports nothing, as with the SDK.
//
// States: connecting → hello (ClientHello sent; a HelloRetryRequest sends a second) → ee → cert (Certificate,
// or first a CertificateRequest) → cv → finished → open → closed. A resumed handshake (PSK) goes from ee to
// finished. Every state change follows one message, in `#message`.
// One piece (about 640 lines): the state machine and the socket it drives; what it can give away is
// already apart (messages, record, key-schedule, key-share, certificate-verify, tickets).
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import Timer from "timer";
import RNG from "rng";
import TextDecoder from "text/decoder";
import TextEncoder from "text/encoder";
import { TlsError } from "tls/error";
import type { TlsErrorCode } from "tls/error";
import { verifyPeer } from "tls/verifier";
import type { Der } from "tls/verifier";
import { ALERT_NAMES, report } from "tls/report";
import type { TlsReport } from "tls/report";
import { sameBytes } from "tls/der";
import {
  Alert, buildClientHello, handshakeMessage, HandshakeType, parseCertificate, parseCertificateRequest,
  parseCertificateVerify, parseEncryptedExtensions, parseKeyUpdate, parseNewSessionTicket, parseServerHello,
  ProtocolError, SECP256R1, SECP384R1, TLS13, TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
} from "tls/tls13/messages";
import { ContentType, HandshakeReassembler, MAX_PLAINTEXT, plainRecord, RecordCipher, RecordReader } from "tls/tls13/record";
import { concat, expandLabel, finishedMac, hash, HASH_LENGTH, KeySchedule, sameSecret, trafficKeys, Transcript } from "tls/tls13/key-schedule";
import type { HashName } from "tls/tls13/key-schedule";
import { checkCertificateVerify } from "tls/tls13/certificate-verify";
import { GROUP_IDS, groupName, KeyShareSecret } from "tls/tls13/key-share";
import type { GroupName } from "tls/tls13/key-share";
import { obfuscatedAge, sharedTicketStore, TicketStore } from "tls/tls13/tickets";
import type { Ticket } from "tls/tls13/tickets";

/** The `secure` dictionary: SecureSocket's verification options, and what only TLS 1.3 has. */
export interface Tls13Options {
  /** Verify the server's chain and name (default true); the CertificateVerify signature is checked always. */
  verify?: boolean;
  /** Trust anchors, DER (tls/verifier: without them, the registered anchors and the SDK's store). */
  certificates?: Der[];
  certificate?: Der;
  /** base64 SHA-256 SubjectPublicKeyInfo pins. */
  pins?: string[];
  /** Receives the code and reason of a refusal. */
  report?: TlsReport;
  /** SNI and the name checked. Default: the dictionary's host. */
  serverName?: string;
  /** Cipher suites offered, most preferred first. Default [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384]. */
  cipherSuites?: number[];
  /** Groups offered; the first gets the initial key share, another costs a HelloRetryRequest. Default ["secp256r1", "secp384r1"]. */
  groups?: GroupName[];
  /** ALPN protocol names offered. */
  applicationLayerProtocolNegotiation?: string | string[];
  /** Where session tickets are kept and taken; false: no resumption. Default: one store shared by all connections. */
  tickets?: TicketStore | false;
  /**
   * What sets this connection's trust apart (the HTTP client's pool key): tickets are only resumed under the
   * same key. Without it, tickets are used only with the default trust (no certificates, certificate or pins).
   */
  ticketKey?: string;
  /** ms until an unfinished handshake fails with ERR_TLS_HANDSHAKE. Default 0: none (the caller's deadline). */
  handshakeTimeout?: number;
  /** The largest handshake message accepted (the Certificate, in practice). Default 32768 bytes. */
  maxHandshakeMessage?: number;
}

export interface Tls13Dictionary {
  host?: string;
  address?: string;
  port?: number;
  /** A TCP socket not yet connected, to run TLS over (its connect message starts the handshake). */
  sock?: StreamSocket;
  secure?: Tls13Options;
}

type State = "connecting" | "hello" | "ee" | "cert" | "cv" | "finished" | "open" | "closed";

const SUITES: Record<number, { hash: HashName; keyLength: number }> = {
  [TLS_AES_128_GCM_SHA256]: { hash: "SHA256", keyLength: 16 },
  [TLS_AES_256_GCM_SHA384]: { hash: "SHA384", keyLength: 32 },
};

/** What a record adds to its plaintext: header, content type, GCM tag. */
const RECORD_OVERHEAD = 5 + 1 + 16;
/** Plaintext handed to the callback per readable message, as SecureSocket does. */
const READ_CHUNK = 1024;

/** The alert that tells the server why its certificate was refused. */
function certificateAlert(code: TlsErrorCode | undefined): number {
  if (code === "ERR_TLS_UNTRUSTED")
    return Alert.unknownCa;
  if (code === "ERR_TLS_EXPIRED" || code === "ERR_TLS_NOT_YET_VALID")
    return Alert.certificateExpired;
  return Alert.badCertificate;
}

/** The defaults, shared by every socket (frozen when preloaded: only read). */
const DEFAULT_SUITES = [TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384];
const DEFAULT_GROUPS = [SECP256R1, SECP384R1];

let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

export default class Tls13Socket {
  callback: ((message: number, value?: number) => void) | undefined;
  /** Why the connection failed, once a TLS check refused it. */
  error: TlsError | undefined;
  /** After the handshake: whether a session ticket resumed it, the cipher suite, the ALPN protocol chosen. */
  resumed = false;
  suite = 0;
  /** Whether the server asked for another key share (HelloRetryRequest). */
  retried = false;
  /**
   * Set when the handshake failed because the server speaks only TLS 1.2 or older: it answered with
   * protocol_version, or with an older ServerHello that has no downgrade sentinel. The one failure after which
   * a client that also speaks 1.2 may try again with 1.2 (the sentinel then checked there).
   */
  olderServer = false;
  alpn: string | undefined;

  readonly #sock: StreamSocket;
  readonly #options: Tls13Options;
  readonly #serverName: string;
  readonly #suites: number[];
  readonly #groups: number[];
  readonly #alpnOffered: string[] | undefined;
  readonly #store: TicketStore | undefined;
  readonly #origin: string;
  #state: State = "connecting";
  #records = new RecordReader();
  /** Reassembles handshake messages; once the connection is open, made when a post-handshake message comes and let go when it is whole. */
  #handshake: HandshakeReassembler | undefined;
  #read: RecordCipher | undefined;
  #write: RecordCipher | undefined;
  /** The cipher that opened the record being processed: a handshake message after a key change in the same record is refused. */
  #recordCipher: RecordCipher | undefined;
  /** The handshake's running hash: let go once the handshake is over (nothing after it is hashed). */
  #transcript: Transcript | undefined = new Transcript();
  #schedule: KeySchedule | undefined;
  #hash: HashName = "SHA256";
  #share: KeyShareSecret | undefined;
  #random: Uint8Array | undefined;
  #retrySuite = 0;
  #ticket: Ticket | undefined;
  /** What precedes the second ClientHello in the transcript (message_hash, HelloRetryRequest): its PSK binder hashes them. */
  #binderPrefix: Uint8Array[] | undefined;
  /** From a HelloRetryRequest, echoed in the second ClientHello. */
  #cookie: Uint8Array | undefined;
  #clientSecret: Uint8Array | undefined;
  #serverSecret: Uint8Array | undefined;
  #resumptionSecret: Uint8Array | undefined;
  #chain: Uint8Array[] | undefined;
  #requestContext: Uint8Array | undefined;
  #outgoing: Uint8Array[] = [];
  #data: Uint8Array | undefined;
  #position = 0;
  #timer: ReturnType<typeof Timer.set> | undefined;
  /** hold(): what TCP brings is kept here, as read, not yet made into records (no record buffer, no plaintext). */
  #held = false;
  #kept: Uint8Array[] | undefined;
  #feeding = false;
  /** The TCP connection ended: what was kept goes to the reader whole, holding no more. */
  #ending = false;
  #onKept: (() => void) | undefined;

  constructor(dictionary: Tls13Dictionary) {
    const options = this.#options = dictionary.secure ?? {};
    this.#serverName = options.serverName ?? dictionary.host ?? dictionary.address ?? "";
    this.#suites = options.cipherSuites ?? DEFAULT_SUITES;
    this.#groups = options.groups ? options.groups.map((name) => GROUP_IDS[name]) : DEFAULT_GROUPS;
    if (!this.#suites.length || this.#suites.some((suite) => !SUITES[suite]) || !this.#groups.length || this.#groups.some((id) => id === undefined))
      throw new TlsError("ERR_TLS_HANDSHAKE", "tls13: unsupported cipherSuites or groups");
    const alpn = options.applicationLayerProtocolNegotiation;
    this.#alpnOffered = alpn === undefined ? undefined : ([] as string[]).concat(alpn);
    const defaultTrust = !options.certificates?.length && !options.certificate && !options.pins?.length;
    this.#store = options.tickets === false || (options.ticketKey === undefined && !defaultTrust)
      ? undefined
      : options.tickets || sharedTicketStore();
    this.#origin = `${this.#serverName}:${dictionary.port ?? ""}|${options.ticketKey ?? ""}`;
    this.#random = new Uint8Array(RNG.get(32));
    const sock = this.#sock = dictionary.sock ?? new Socket({ host: dictionary.host, address: dictionary.address, port: dictionary.port } as never) as unknown as StreamSocket;
    sock.callback = (message: number) => this.#onSocket(message);
    if (options.handshakeTimeout) {
      this.#timer = Timer.set(() => {
        this.#timer = undefined;
        this.#fail(new TlsError("ERR_TLS_HANDSHAKE", `no TLS 1.3 handshake within ${options.handshakeTimeout} ms`));
      }, options.handshakeTimeout);
    }
  }

  /** With no argument: the plaintext bytes not yet read of this readable message. Otherwise as Socket.read. */
  read(type?: unknown, until?: number | string): unknown {
    const data = this.#data;
    const left = data ? data.length - this.#position : 0;
    if (arguments.length === 0)
      return left;
    if (!data || !left)
      return undefined;
    let count = left;
    if (typeof until === "number")
      count = Math.max(0, Math.min(until, left));
    else if (typeof until === "string" && until.length) {
      const at = data.indexOf(until.charCodeAt(0), this.#position);
      if (at >= 0)
        count = at - this.#position + 1;
    }
    const start = this.#position;
    if (type === Number) {
      this.#position++;
      return data[start];
    }
    this.#position += count;
    if (type === null)
      return count;
    const bytes = data.subarray(start, start + count);
    if (type === String)
      return (decoder ??= new TextDecoder()).decode(bytes);
    return bytes.slice().buffer;
  }

  /** With no argument: the plaintext bytes a write takes now. Otherwise encrypts and sends its arguments. */
  write(...data: (string | number | ArrayBuffer | ArrayBufferView)[]): number | undefined {
    if (!data.length)
      return this.#available();
    if (this.#state !== "open")
      throw new Error("tls13: write before the handshake or after close");
    const parts = data.map((item) => typeof item === "string"
      ? (encoder ??= new TextEncoder()).encode(item)
      : typeof item === "number"
        ? Uint8Array.of(item)
        : ArrayBuffer.isView(item) ? new Uint8Array(item.buffer, item.byteOffset, item.byteLength) : new Uint8Array(item));
    const bytes = parts.length === 1 ? parts[0] : concat(...parts); // one record for write("GET ", path, "\r\n")
    for (let at = 0; at < bytes.length; at += MAX_PLAINTEXT)
      this.#outgoing.push(this.#write!.seal(ContentType.applicationData, bytes.subarray(at, at + MAX_PLAINTEXT)));
    this.#flush();
    return undefined;
  }

  close(): void {
    if (this.#state === "open") {
      try {
        this.#send(ContentType.alert, Uint8Array.of(1, Alert.closeNotify));
      }
      catch {
        // the socket is gone already
      }
    }
    this.#shut();
  }

  #available(): number {
    if (this.#state !== "open" || this.#outgoing.length)
      return 0;
    return Math.max(0, Math.min(MAX_PLAINTEXT, (this.#sock.write() as number) - RECORD_OVERHEAD));
  }

  #onSocket(message: number): void {
    if (this.#state === "closed")
      return;
    try {
      if (message === 1) {
        this.#state = "hello";
        this.#sendClientHello();
      }
      else if (message === 2)
        this.#receive();
      else if (message === 3) {
        this.#flush();
        if (this.#state === "open" && !this.#outgoing.length)
          this.#emit(3, this.#available());
      }
      else if (message < 0) {
        if (this.#kept) { // what was kept goes to the reader first, then the end
          this.#ending = true;
          this.#held = false;
          this.#feedKept();
        }
        if (this.#state === "open") {
          this.#shut();
          this.#emit(message);
        }
        else
          this.#fail(undefined, message); // the TCP connection failed or closed mid-handshake: a bare error, as SecureSocket
      }
    }
    catch (error) {
      this.#fail(error);
    }
  }

  #emit(message: number, value?: number): void {
    const callback = this.callback;
    if (callback)
      callback.call(this, message, value);
  }

  #receive(): void {
    const buffer = this.#sock.read(ArrayBuffer);
    if (!buffer || !buffer.byteLength)
      return;
    const bytes = new Uint8Array(buffer);
    if (this.#held || this.#kept) { // held, or what was kept goes first
      (this.#kept ??= []).push(bytes);
      this.#onKept?.();
      if (!this.#held)
        this.#feedKept();
      return;
    }
    // #feed's body, not a call: one frame less under every record (the deepest point of a request is in here)
    const taken = this.#records.push(bytes, this.#onRecord);
    if (taken < bytes.length && this.#held && this.#state !== "closed")
      (this.#kept ??= []).unshift(bytes.subarray(taken));
  }

  /** Makes records of `bytes`; held meanwhile (by a reader through the callback), what is left is kept, first in line. */
  #feed(bytes: Uint8Array): void {
    const taken = this.#records.push(bytes, this.#onRecord);
    if (taken < bytes.length && this.#held && this.#state !== "closed")
      (this.#kept ??= []).unshift(bytes.subarray(taken));
  }

  /** RecordReader's callback, made once per socket: each whole record, and whether to go on. */
  readonly #onRecord = (header: Uint8Array, body: Uint8Array): boolean => {
    this.#record(header, body);
    return this.#state !== "closed" && !this.#held;
  };

  #feedKept(): void {
    if (this.#feeding)
      return; // the loop under way goes on
    this.#feeding = true;
    try {
      while (!this.#held && this.#kept?.length && this.#state !== "closed")
        this.#feed(this.#kept.shift()!);
    }
    finally {
      this.#feeding = false;
    }
    if (!this.#kept?.length)
      this.#kept = undefined;
  }

  /**
   * The reader is behind: until resume(), what TCP brings is kept as it came (ciphertext), not made into
   * records, so no 16 KB record buffer or plaintext is made while the reader's chunks wait (http/transport/
   * connection, as its Held does for the SDK's SecureSocket). `onKept`: bytes arrived and were kept (the
   * body is not stalled). Open connections only.
   */
  hold(onKept?: () => void): void {
    if (this.#state !== "open" || this.#ending)
      return;
    this.#held = true;
    this.#onKept = onKept;
  }

  /** The reader caught up: what was kept is made into records now (in this call), then reading goes on as before. */
  resume(): void {
    this.#held = false;
    this.#onKept = undefined;
    if (this.#kept)
      this.#feedKept();
  }

  #record(header: Uint8Array, body: Uint8Array): void {
    const type = header[0];
    if (type === ContentType.changeCipherSpec) {
      // middlebox compatibility (RFC 8446 5): one byte 1, unprotected, only during the handshake
      if (this.#state === "open" || this.#state === "connecting" || body.length !== 1 || body[0] !== 1)
        throw new ProtocolError(Alert.unexpectedMessage, "an unexpected change_cipher_spec record");
      return;
    }
    let content = body;
    let contentType = type;
    const cipher = this.#read;
    if (cipher) {
      if (type !== ContentType.applicationData)
        throw new ProtocolError(Alert.unexpectedMessage, "an unprotected record after the handshake keys");
      ({ type: contentType, content } = cipher.open(header, body));
    }
    else if (type === ContentType.applicationData)
      throw new ProtocolError(Alert.unexpectedMessage, "a protected record before the ServerHello");
    else if (body.length > MAX_PLAINTEXT)
      throw new ProtocolError(Alert.recordOverflow, "a record's plaintext exceeds 16384 bytes");
    this.#recordCipher = cipher;
    if (contentType === ContentType.handshake) {
      const reassembler = this.#handshake ??= new HandshakeReassembler(this.#options.maxHandshakeMessage ?? 32768);
      reassembler.push(content, (message) => {
        this.#message(message);
        return this.#state !== "closed";
      });
      if (this.#read !== cipher && reassembler.partial)
        throw new ProtocolError(Alert.unexpectedMessage, "a handshake message spans a key change");
      if (this.#state === "open" && !reassembler.partial)
        this.#handshake = undefined; // an idle connection keeps no reassembler (NewSessionTicket, KeyUpdate make one again)
    }
    else if (contentType === ContentType.alert)
      this.#alert(content);
    else if (contentType === ContentType.applicationData && this.#state === "open")
      this.#deliver(content);
    else
      throw new ProtocolError(Alert.unexpectedMessage, `an unexpected record of type ${contentType}`);
  }

  #alert(content: Uint8Array): void {
    if (content.length !== 2)
      throw new ProtocolError(Alert.decodeError, "a malformed alert");
    const description = content[1];
    if (description === 90) // user_canceled: a close_notify follows
      return;
    if (description === Alert.closeNotify && this.#state === "open") {
      this.#shut();
      this.#emit(-1);
      return;
    }
    if (description === Alert.protocolVersion && this.#state === "hello")
      this.olderServer = true;
    const name = ALERT_NAMES[description] ?? "unknown";
    const error = new TlsError("ERR_TLS_HANDSHAKE", this.#state === "open"
      ? `the server sent alert ${description} (${name})`
      : `the server refused the TLS 1.3 handshake with alert ${description} (${name})`);
    this.#fail(error, undefined, false);
  }

  #deliver(content: Uint8Array): void {
    for (let at = 0; at < content.length && this.#state === "open"; at += READ_CHUNK) {
      this.#data = content.subarray(at, at + READ_CHUNK);
      this.#position = 0;
      this.#emit(2, this.#data.length);
    }
    this.#data = undefined;
  }

  #message(message: Uint8Array): void {
    const type = message[0];
    const body = message.subarray(4);
    if (this.#recordCipher !== this.#read)
      throw new ProtocolError(Alert.unexpectedMessage, "a handshake message follows a key change in the same record");
    const state = this.#state;
    if (state === "hello" && type === HandshakeType.serverHello)
      this.#serverHello(message, body);
    else if (state === "ee" && type === HandshakeType.encryptedExtensions) {
      this.alpn = parseEncryptedExtensions(body, this.#alpnOffered).alpn;
      this.#transcript!.add(message);
      this.#state = this.resumed ? "finished" : "cert";
    }
    else if (state === "cert" && type === HandshakeType.certificateRequest && !this.#requestContext) {
      this.#requestContext = parseCertificateRequest(body);
      this.#transcript!.add(message);
    }
    else if (state === "cert" && type === HandshakeType.certificate) {
      this.#chain = parseCertificate(body);
      this.#verifyChain(this.#chain);
      this.#transcript!.add(message);
      this.#state = "cv";
    }
    else if (state === "cv" && type === HandshakeType.certificateVerify) {
      const { scheme, signature } = parseCertificateVerify(body);
      checkCertificateVerify(this.#chain![0], scheme, signature, this.#transcript!.current());
      this.#chain = undefined;
      this.#transcript!.add(message);
      this.#state = "finished";
    }
    else if (state === "finished" && type === HandshakeType.finished)
      this.#serverFinished(message, body);
    else if (state === "open" && type === HandshakeType.newSessionTicket)
      this.#newSessionTicket(body);
    else if (state === "open" && type === HandshakeType.keyUpdate)
      this.#keyUpdate(body);
    else
      throw new ProtocolError(Alert.unexpectedMessage, `an unexpected handshake message (type ${type}) in state ${state}`);
  }

  #sendClientHello(): void {
    const retried = this.#binderPrefix !== undefined;
    const group = this.#share?.group ?? this.#groups[0];
    if (!this.#share) {
      this.#share = new KeyShareSecret(group);
      if (!retried)
        this.#ticket = this.#store?.take(this.#origin);
    }
    let ticket = this.#ticket;
    if (ticket && retried && SUITES[this.#retrySuite].hash !== ticket.hash)
      ticket = this.#ticket = undefined; // the suite the server chose cannot resume this ticket
    const { message, bindersAt } = buildClientHello({
      random: this.#random!,
      sessionId: new Uint8Array(0),
      serverName: this.#serverName,
      suites: this.#suites,
      groups: this.#groups,
      keyShares: [{ group: this.#share.group, key: this.#share.publicKey }],
      alpn: this.#alpnOffered,
      cookie: this.#cookie,
      psk: ticket && { identity: ticket.ticket, obfuscatedAge: obfuscatedAge(ticket), binderLength: HASH_LENGTH[ticket.hash] },
    });
    if (ticket) {
      const binderKey = new KeySchedule(ticket.hash, ticket.psk).binderKey();
      const binder = finishedMac(ticket.hash, binderKey, hash(ticket.hash, ...(this.#binderPrefix ?? []), message.subarray(0, bindersAt)));
      message.set(binder, bindersAt + 3); // after the binders' 2-byte list length and the binder's 1-byte length
    }
    this.#transcript!.add(message);
    this.#send(ContentType.handshake, message, retried ? 0x0303 : 0x0301);
  }


  #serverHello(message: Uint8Array, body: Uint8Array): void {
    const hello = parseServerHello(body);
    if (hello.version !== TLS13) {
      if (hello.downgrade)
        throw new ProtocolError(Alert.illegalParameter, "the server answered with TLS 1.2 or older while its random carries the TLS 1.3 downgrade sentinel: a downgrade attack, or a broken server");
      this.olderServer = true;
      throw new ProtocolError(Alert.protocolVersion, `the server chose protocol 0x${(hello.version ?? 0).toString(16)}, not TLS 1.3 (it may support TLS 1.2 only)`);
    }
    if (!sameBytes(hello.sessionId, new Uint8Array(0)))
      throw new ProtocolError(Alert.illegalParameter, "the ServerHello does not echo the client's session id");
    const suite = SUITES[hello.suite];
    if (!suite || !this.#suites.includes(hello.suite) || (this.#retrySuite && hello.suite !== this.#retrySuite))
      throw new ProtocolError(Alert.illegalParameter, `the server chose cipher suite 0x${hello.suite.toString(16)}, which the client did not offer`);
    this.#hash = suite.hash;
    if (hello.retry) {
      if (this.#retrySuite)
        throw new ProtocolError(Alert.unexpectedMessage, "a second HelloRetryRequest");
      const group = hello.selectedGroup;
      if (group !== undefined && (!this.#groups.includes(group) || group === this.#share!.group))
        throw new ProtocolError(Alert.illegalParameter, `the HelloRetryRequest asks for group ${group}, which the client did not offer or already sent`);
      if (group === undefined && !hello.cookie)
        throw new ProtocolError(Alert.illegalParameter, "a HelloRetryRequest that would change nothing");
      this.#retrySuite = hello.suite;
      this.retried = true;
      this.#transcript!.start(suite.hash);
      this.#binderPrefix = [this.#transcript!.replaceWithMessageHash(), message];
      this.#transcript!.add(message);
      this.#cookie = hello.cookie;
      if (group !== undefined)
        this.#share = new KeyShareSecret(group);
      this.#sendClientHello();
      return;
    }
    const share = hello.keyShare;
    if (!share)
      throw new ProtocolError(Alert.missingExtension, "the ServerHello has no key share (only psk_dhe_ke is offered)");
    if (share.group !== this.#share!.group)
      throw new ProtocolError(Alert.illegalParameter, `the server's key share is for group ${groupName(share.group) ?? share.group}, not the one the client sent`);
    const ticket = this.#ticket;
    this.#ticket = undefined;
    if (ticket && hello.pskIdentity === undefined)
      this.#store?.discard(this.#origin, ticket); // declined: the server cannot resume it
    if (hello.pskIdentity !== undefined) {
      if (!ticket || hello.pskIdentity !== 0 || ticket.hash !== suite.hash)
        throw new ProtocolError(Alert.illegalParameter, "the server accepted a pre-shared key the client did not offer");
      this.resumed = true;
    }
    this.suite = hello.suite;
    this.#transcript!.start(suite.hash);
    this.#transcript!.add(message);
    const schedule = this.#schedule = new KeySchedule(suite.hash, this.resumed ? ticket!.psk : undefined);
    schedule.advance(this.#share!.sharedSecret(share.key));
    this.#share = undefined;
    const transcript = this.#transcript!.current();
    this.#clientSecret = schedule.derive("c hs traffic", transcript);
    this.#serverSecret = schedule.derive("s hs traffic", transcript);
    this.#read = this.#cipher(this.#serverSecret);
    this.#write = this.#cipher(this.#clientSecret);
    this.#state = "ee";
  }

  #cipher(secret: Uint8Array): RecordCipher {
    const { key, iv } = trafficKeys(this.#hash, secret, SUITES[this.suite].keyLength);
    return new RecordCipher(key, iv);
  }

  #verifyChain(chain: Uint8Array[]): void {
    const options = this.#options;
    const local: TlsReport = {};
    const accepted = verifyPeer(chain, {
      verify: options.verify,
      certificates: options.certificates,
      certificate: options.certificate,
      pins: options.pins,
      tls_server_name: this.#serverName,
      report: local,
    });
    if (!accepted)
      throw new ProtocolError(certificateAlert(local.code), local.message ?? "the server's certificate was refused", local.code ?? "ERR_TLS_HANDSHAKE");
  }

  #serverFinished(message: Uint8Array, body: Uint8Array): void {
    const expected = finishedMac(this.#hash, this.#serverSecret!, this.#transcript!.current());
    if (!sameSecret(body, expected))
      throw new ProtocolError(Alert.decryptError, "the server's Finished does not match the handshake");
    this.#transcript!.add(message);
    const schedule = this.#schedule!;
    const transcript = this.#transcript!.current();
    schedule.advance();
    const clientApplication = schedule.derive("c ap traffic", transcript);
    this.#serverSecret = schedule.derive("s ap traffic", transcript);
    this.#read = this.#cipher(this.#serverSecret);
    if (this.#requestContext) {
      // no client certificate: an empty Certificate, and no CertificateVerify (RFC 8446 4.4.2)
      const certificate = handshakeMessage(HandshakeType.certificate, Uint8Array.of(this.#requestContext.length, ...this.#requestContext, 0, 0, 0));
      this.#transcript!.add(certificate);
      this.#send(ContentType.handshake, certificate);
    }
    const finished = handshakeMessage(HandshakeType.finished, finishedMac(this.#hash, this.#clientSecret!, this.#transcript!.current()));
    this.#transcript!.add(finished);
    this.#send(ContentType.handshake, finished);
    this.#resumptionSecret = schedule.derive("res master", this.#transcript!.current());
    this.#schedule = undefined;
    this.#clientSecret = clientApplication;
    this.#write = this.#cipher(clientApplication);
    this.#state = "open";
    this.#clearTimer();
    // what only the handshake needed: an idle pooled connection keeps its ciphers, secrets and readers only
    this.#transcript = this.#random = this.#binderPrefix = this.#cookie = this.#requestContext = undefined;
    this.#emit(1);
  }

  #newSessionTicket(body: Uint8Array): void {
    const ticket = parseNewSessionTicket(body);
    if (!this.#store || this.#options.verify === false)
      return; // an unverified server's ticket would let a later, verifying connection skip verification
    this.#store.add(this.#origin, {
      ticket: ticket.ticket.slice(),
      psk: expandLabel(this.#hash, this.#resumptionSecret!, "resumption", ticket.nonce, HASH_LENGTH[this.#hash]),
      hash: this.#hash,
      ageAdd: ticket.ageAdd,
      received: Date.now(),
      lifetime: ticket.lifetime,
    });
  }

  #keyUpdate(body: Uint8Array): void {
    const requested = parseKeyUpdate(body);
    const length = HASH_LENGTH[this.#hash];
    this.#serverSecret = expandLabel(this.#hash, this.#serverSecret!, "traffic upd", new Uint8Array(0), length);
    this.#read = this.#cipher(this.#serverSecret);
    if (requested) {
      this.#send(ContentType.handshake, handshakeMessage(HandshakeType.keyUpdate, Uint8Array.of(0)));
      this.#clientSecret = expandLabel(this.#hash, this.#clientSecret!, "traffic upd", new Uint8Array(0), length);
      this.#write = this.#cipher(this.#clientSecret);
    }
  }

  #send(type: number, content: Uint8Array, version = 0x0303): void {
    this.#outgoing.push(this.#write ? this.#write.seal(type, content) : plainRecord(type, content, version));
    this.#flush();
  }

  /** Writes queued records as far as the socket takes them (a record may go in pieces: TCP is a stream). */
  #flush(): void {
    const sock = this.#sock;
    while (this.#outgoing.length) {
      const free = sock.write() as number;
      if (free <= 0)
        return;
      const record = this.#outgoing[0];
      if (record.length > free) {
        sock.write(record.subarray(0, free));
        this.#outgoing[0] = record.subarray(free);
        return;
      }
      sock.write(record);
      this.#outgoing.shift();
    }
  }

  /**
   * Ends the connection after a failure: the alert sent when the failure is ours to tell (a ProtocolError), the
   * reason reported when it is a TLS one, then -2 (or the socket's own message) to the callback.
   */
  #fail(error: unknown, message = -2, alert = true): void {
    if (this.#state === "closed")
      return;
    if (error instanceof TlsError) {
      this.error = error;
      report(this.#options, error.code, error.reason);
      if (alert) {
        try {
          this.#send(ContentType.alert, Uint8Array.of(2, error instanceof ProtocolError ? error.alert : Alert.internalError));
        }
        catch {
          // the socket cannot take it: the close says enough
        }
      }
    }
    else if (error !== undefined && !(error instanceof Error && /write/.test(error.message)))
      trace(`tls13: ${error instanceof Error ? error.message : String(error)}\n`);
    this.#shut();
    this.#emit(message);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      Timer.clear(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Forgets every secret and closes the socket, from the job queue: closing inside its callback crashed lin (http/transport/connection). */
  #shut(): void {
    if (this.#state === "closed")
      return;
    this.#state = "closed";
    this.#clearTimer();
    this.#read = this.#write = this.#recordCipher = undefined;
    this.#schedule = undefined;
    this.#share = undefined;
    this.#clientSecret = this.#serverSecret = this.#resumptionSecret = undefined;
    this.#ticket = undefined;
    const sock = this.#sock;
    Promise.resolve().then(() => {
      try {
        sock.close();
      }
      catch {
        // closed by the SDK after a disconnect
      }
    });
  }
}
