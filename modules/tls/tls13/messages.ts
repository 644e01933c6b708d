// TLS 1.3 handshake messages (RFC 8446 4): the ClientHello built, the server's messages parsed. Pure: no I/O,
// no crypto. A malformed or unexpected message throws a ProtocolError naming the alert to send.
import { TlsError } from "tls/error";
import type { TlsErrorCode } from "tls/error";
import { ipBytes } from "tls/names";

export const enum HandshakeType {
  clientHello = 1,
  serverHello = 2,
  newSessionTicket = 4,
  endOfEarlyData = 5,
  encryptedExtensions = 8,
  certificate = 11,
  certificateRequest = 13,
  certificateVerify = 15,
  finished = 20,
  keyUpdate = 24,
  messageHash = 254,
}

export const enum Ext {
  serverName = 0,
  maxFragmentLength = 1,
  supportedGroups = 10,
  signatureAlgorithms = 13,
  alpn = 16,
  recordSizeLimit = 28,
  preSharedKey = 41,
  earlyData = 42,
  supportedVersions = 43,
  cookie = 44,
  pskKeyExchangeModes = 45,
  keyShare = 51,
}

/** Alert descriptions we send (RFC 8446 6.2). */
export const enum Alert {
  closeNotify = 0,
  unexpectedMessage = 10,
  badRecordMac = 20,
  recordOverflow = 22,
  handshakeFailure = 40,
  badCertificate = 42,
  certificateExpired = 45,
  illegalParameter = 47,
  unknownCa = 48,
  decodeError = 50,
  decryptError = 51,
  protocolVersion = 70,
  internalError = 80,
  missingExtension = 109,
  unsupportedExtension = 110,
}

export const TLS13 = 0x0304;
export const TLS_AES_128_GCM_SHA256 = 0x1301;
export const TLS_AES_256_GCM_SHA384 = 0x1302;
/**
 * TLS 1.2 suites offered after the 1.3 ones: those of the SDK's TLS 1.2 (its ssl/ciphersuites: ECDHE, then
 * static RSA). A 1.3 server never picks them; a server that speaks only 1.2 does, and answers with a 1.2
 * ServerHello (the client then knows it as an older server and falls back) where, offered 1.3 suites alone,
 * it finds nothing in common and answers handshake_failure, or (the SDK's own server) closes.
 */
export const TLS12_SUITES = [0xc02b, 0xc02f, 0xc027, 0x003c, 0x003d, 0x002f, 0x0035];
export const SECP256R1 = 0x0017;
export const SECP384R1 = 0x0018;

/** Signature schemes we verify in CertificateVerify, then those only accepted in certificates (RFC 8446 4.2.3). */
export const SIGNATURE_SCHEMES = [0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601];

/** The random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3). */
const HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";
/** The last 8 bytes of a TLS 1.3 server's random when it negotiates 1.2 or below: "DOWNGRD" then 1 or 0 (RFC 8446 4.1.3). */
const DOWNGRADE = [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44];

/** Whether a ServerHello's 32-byte random ends with the downgrade sentinel. */
export function downgradeSentinel(random: Uint8Array): boolean {
  let downgrade = random.length === 32;
  for (let i = 0; i < 7; i++)
    downgrade &&= random[24 + i] === DOWNGRADE[i];
  return downgrade && (random[31] === 0 || random[31] === 1);
}

/** A failure the peer is told of with `alert` (and the caller with `code`). */
export class ProtocolError extends TlsError {
  readonly alert: number;
  constructor(alert: number, reason: string, code: TlsErrorCode = "ERR_TLS_HANDSHAKE") {
    super(code, reason);
    this.alert = alert;
  }
}

function decodeError(what: string): never {
  throw new ProtocolError(Alert.decodeError, `malformed ${what}`);
}

/** Reads a message body; any read past its end is a decode_error naming `what`. */
export class Reader {
  readonly bytes: Uint8Array;
  readonly what: string;
  at: number;
  readonly end: number;

  constructor(bytes: Uint8Array, what: string, at = 0, end = bytes.length) {
    this.bytes = bytes;
    this.what = what;
    this.at = at;
    this.end = end;
  }
  #need(count: number): number {
    const at = this.at;
    if (at + count > this.end)
      decodeError(this.what);
    this.at = at + count;
    return at;
  }
  u8(): number {
    return this.bytes[this.#need(1)];
  }
  u16(): number {
    const at = this.#need(2);
    return (this.bytes[at] << 8) | this.bytes[at + 1];
  }
  u24(): number {
    const at = this.#need(3);
    return (this.bytes[at] << 16) | (this.bytes[at + 1] << 8) | this.bytes[at + 2];
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  take(count: number): Uint8Array {
    const at = this.#need(count);
    return this.bytes.subarray(at, at + count);
  }
  /** A vector with a length prefix of `size` bytes (1, 2 or 3). */
  vector(size: 1 | 2 | 3, min = 0): Uint8Array {
    const length = size === 1 ? this.u8() : size === 2 ? this.u16() : this.u24();
    if (length < min)
      decodeError(this.what);
    return this.take(length);
  }
  /** A reader of the vector that follows. */
  sub(size: 1 | 2 | 3): Reader {
    const body = this.vector(size);
    return new Reader(this.bytes, this.what, body.byteOffset - this.bytes.byteOffset, body.byteOffset - this.bytes.byteOffset + body.length);
  }
  get left(): number {
    return this.end - this.at;
  }
  finish(): void {
    if (this.at !== this.end)
      decodeError(this.what);
  }
}

/** Builds a message from parts; vectors get their length prefix when closed. */
export class Writer {
  #parts: number[] = [];
  #open: { at: number; size: number }[] = [];

  u8(value: number): this {
    this.#parts.push(value & 0xff);
    return this;
  }
  u16(value: number): this {
    return this.u8(value >> 8).u8(value);
  }
  u24(value: number): this {
    return this.u8(value >> 16).u8(value >> 8).u8(value);
  }
  bytes(data: Uint8Array): this {
    for (let i = 0; i < data.length; i++)
      this.#parts.push(data[i]);
    return this;
  }
  /** Opens a vector whose length prefix has `size` bytes. */
  open(size: 1 | 2 | 3): this {
    this.#open.push({ at: this.#parts.length, size });
    for (let i = 0; i < size; i++)
      this.#parts.push(0);
    return this;
  }
  close(): this {
    const { at, size } = this.#open.pop()!;
    const length = this.#parts.length - at - size;
    for (let i = size - 1, value = length; i >= 0; i--, value >>>= 8)
      this.#parts[at + i] = value & 0xff;
    return this;
  }
  get length(): number {
    return this.#parts.length;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.#parts);
  }
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++)
    out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

export interface KeyShare {
  group: number;
  key: Uint8Array;
}

export interface OfferedPsk {
  identity: Uint8Array;
  obfuscatedAge: number;
  binderLength: number;
}

export interface ClientHelloOptions {
  random: Uint8Array;
  sessionId: Uint8Array;
  /** SNI: a DNS name; IP literals are not sent (RFC 6066 3). */
  serverName?: string;
  suites: number[];
  groups: number[];
  keyShares: KeyShare[];
  alpn?: string[];
  /** Echoed from a HelloRetryRequest. */
  cookie?: Uint8Array;
  /** Offered last; its binder is left zero for the caller to fill in (bindersAt). */
  psk?: OfferedPsk;
}

/** The ClientHello handshake message (header included), and where its binders list starts (RFC 8446 4.2.11.2). */
export function buildClientHello(options: ClientHelloOptions): { message: Uint8Array; bindersAt: number } {
  const w = new Writer();
  w.u8(HandshakeType.clientHello).open(3);
  w.u16(0x0303).bytes(options.random).open(1).bytes(options.sessionId).close();
  w.open(2);
  for (const suite of options.suites)
    w.u16(suite);
  for (const suite of TLS12_SUITES)
    w.u16(suite);
  w.close();
  w.u8(1).u8(0); // compression: null only
  w.open(2);
  const name = options.serverName;
  if (name && !ipBytes(name)) {
    const host = ascii(name.endsWith(".") ? name.slice(0, -1) : name);
    w.u16(Ext.serverName).open(2).open(2).u8(0).open(2).bytes(host).close().close().close();
  }
  w.u16(Ext.supportedVersions).open(2).open(1).u16(TLS13).close().close();
  w.u16(Ext.supportedGroups).open(2).open(2);
  for (const group of options.groups)
    w.u16(group);
  w.close().close();
  w.u16(Ext.signatureAlgorithms).open(2).open(2);
  for (const scheme of SIGNATURE_SCHEMES)
    w.u16(scheme);
  w.close().close();
  w.u16(Ext.keyShare).open(2).open(2);
  for (const share of options.keyShares)
    w.u16(share.group).open(2).bytes(share.key).close();
  w.close().close();
  if (options.alpn?.length) {
    w.u16(Ext.alpn).open(2).open(2);
    for (const protocol of options.alpn)
      w.open(1).bytes(ascii(protocol)).close();
    w.close().close();
  }
  if (options.cookie)
    w.u16(Ext.cookie).open(2).open(2).bytes(options.cookie).close().close();
  w.u16(Ext.pskKeyExchangeModes).open(2).open(1).u8(1).close().close(); // psk_dhe_ke only
  let bindersAt = -1;
  const psk = options.psk;
  if (psk) {
    w.u16(Ext.preSharedKey).open(2);
    w.open(2).open(2).bytes(psk.identity).close().u16(psk.obfuscatedAge >>> 16).u16(psk.obfuscatedAge & 0xffff).close();
    bindersAt = w.length;
    w.open(2).open(1).bytes(new Uint8Array(psk.binderLength)).close().close();
    w.close();
  }
  w.close().close();
  return { message: w.finish(), bindersAt };
}

/** The fields of a ServerHello or HelloRetryRequest the client acts on. */
export interface ServerHello {
  retry: boolean;
  random: Uint8Array;
  sessionId: Uint8Array;
  suite: number;
  /** supported_versions, when present. */
  version?: number;
  keyShare?: KeyShare;
  /** HelloRetryRequest: the group the server wants a share of. */
  selectedGroup?: number;
  cookie?: Uint8Array;
  /** pre_shared_key: the identity the server took. */
  pskIdentity?: number;
  /** The random ends with the downgrade sentinel (RFC 8446 4.1.3). */
  downgrade: boolean;
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++)
    out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
  return out;
}

/** Extensions of a message as type → body, refusing a repeated one; `allowed` lists what may appear. */
function extensions(r: Reader, allowed: number[] | undefined, where: string): Map<number, Reader> {
  const found = new Map<number, Reader>();
  const list = r.sub(2);
  while (list.left) {
    const type = list.u16();
    const body = list.sub(2);
    if (found.has(type))
      throw new ProtocolError(Alert.illegalParameter, `${where} repeats extension ${type}`);
    if (allowed && !allowed.includes(type))
      throw new ProtocolError(Alert.unsupportedExtension, `${where} carries extension ${type}, which the client did not offer`);
    found.set(type, body);
  }
  return found;
}

/** A ServerHello body (after the 4-byte handshake header), or a HelloRetryRequest. */
export function parseServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, "ServerHello");
  const legacyVersion = r.u16();
  const random = r.take(32);
  const sessionId = r.vector(1);
  const suite = r.u16();
  if (r.u8() !== 0)
    throw new ProtocolError(Alert.illegalParameter, "ServerHello chose a compression method");
  const retry = hex(random) === HRR_RANDOM;
  const hello: ServerHello = { retry, random, sessionId, suite, downgrade: downgradeSentinel(random) };
  if (legacyVersion !== 0x0303 || !r.left) {
    // TLS 1.2 and below: no extensions needed; the caller refuses it by its version.
    hello.version = legacyVersion;
    return hello;
  }
  const found = extensions(r, undefined, "ServerHello");
  r.finish();
  const versions = found.get(Ext.supportedVersions);
  if (!versions) {
    // TLS 1.2, whose extensions (renegotiation_info, ec_point_formats, ...) answer its own offer: the caller refuses it by its version
    hello.version = legacyVersion;
    return hello;
  }
  const allowed = retry ? [Ext.supportedVersions, Ext.keyShare, Ext.cookie] : [Ext.supportedVersions, Ext.keyShare, Ext.preSharedKey];
  for (const type of found.keys())
    if (!allowed.includes(type))
      throw new ProtocolError(Alert.unsupportedExtension, `ServerHello carries extension ${type}, which the client did not offer`);
  hello.version = versions.u16();
  versions.finish();
  const share = found.get(Ext.keyShare);
  if (share) {
    if (retry)
      hello.selectedGroup = share.u16();
    else
      hello.keyShare = { group: share.u16(), key: share.vector(2, 1) };
    share.finish();
  }
  const cookie = found.get(Ext.cookie);
  if (cookie) {
    hello.cookie = cookie.vector(2, 1);
    cookie.finish();
  }
  const psk = found.get(Ext.preSharedKey);
  if (psk) {
    hello.pskIdentity = psk.u16();
    psk.finish();
  }
  return hello;
}

export interface EncryptedExtensions {
  alpn?: string;
}

/** EncryptedExtensions: only what the client offered may appear (RFC 8446 4.2); the ALPN choice must be one offered. */
export function parseEncryptedExtensions(body: Uint8Array, offeredAlpn: readonly string[] | undefined): EncryptedExtensions {
  const r = new Reader(body, "EncryptedExtensions");
  const allowed = [Ext.serverName, Ext.supportedGroups, Ext.maxFragmentLength, Ext.recordSizeLimit];
  if (offeredAlpn?.length)
    allowed.push(Ext.alpn);
  const found = extensions(r, allowed, "EncryptedExtensions");
  r.finish();
  const result: EncryptedExtensions = {};
  const alpn = found.get(Ext.alpn);
  if (alpn) {
    const list = alpn.sub(2);
    const name = list.vector(1, 1);
    list.finish();
    alpn.finish();
    let protocol = "";
    for (let i = 0; i < name.length; i++)
      protocol += String.fromCharCode(name[i]);
    if (!offeredAlpn!.includes(protocol))
      throw new ProtocolError(Alert.illegalParameter, `the server chose ALPN "${protocol}", which the client did not offer`);
    result.alpn = protocol;
  }
  return result;
}

/** Certificate: the chain, leaf first (DER views into the message). */
export function parseCertificate(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body, "Certificate");
  if (r.vector(1).length)
    throw new ProtocolError(Alert.illegalParameter, "the server's Certificate has a request context");
  const list = r.sub(3);
  r.finish();
  const chain: Uint8Array[] = [];
  while (list.left) {
    chain.push(list.vector(3, 1));
    list.vector(2); // per-certificate extensions (OCSP, SCT): not used
  }
  if (!chain.length)
    throw new ProtocolError(Alert.decodeError, "the server sent no certificate");
  return chain;
}

export function parseCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new Reader(body, "CertificateVerify");
  const scheme = r.u16();
  const signature = r.vector(2, 1);
  r.finish();
  return { scheme, signature };
}

/** CertificateRequest: its context, echoed in the client's (empty) Certificate. */
export function parseCertificateRequest(body: Uint8Array): Uint8Array {
  const r = new Reader(body, "CertificateRequest");
  const context = r.vector(1);
  r.sub(2);
  r.finish();
  return context;
}

export interface NewSessionTicket {
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
}

export function parseNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, "NewSessionTicket");
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vector(1);
  const ticket = r.vector(2, 1);
  r.sub(2); // extensions: early_data only, which we never use
  r.finish();
  return { lifetime, ageAdd, nonce, ticket };
}

/** KeyUpdate: whether the peer asks us to update our keys too. */
export function parseKeyUpdate(body: Uint8Array): boolean {
  const r = new Reader(body, "KeyUpdate");
  const request = r.u8();
  r.finish();
  if (request > 1)
    throw new ProtocolError(Alert.illegalParameter, "KeyUpdate with a bad request_update");
  return request === 1;
}

/** A handshake message: type, 24-bit length, body. */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = body.length >> 16;
  out[2] = (body.length >> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}
