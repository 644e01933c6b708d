// What @moddable/typings 5.6 lacks or gets wrong for the SDK 8.2 APIs we use. One place, kept small.
// The SDK documents these in documentation/network/network.md and securesocket.md.

declare module "socket" {
  /** Messages a Socket or SecureSocket passes to its callback. */
  export const enum SocketMessage {
    error = -2,
    disconnect = -1,
    connect = 1,
    readable = 2,
    writable = 3,
  }
  /**
   * The read/write surface shared by the SDK's TCP `Socket` and `SecureSocket`, as documented:
   * `read()` = bytes left; `read(null, n)` skips; a string terminator is included in the result.
   */
  export interface StreamSocket {
    callback: ((message: number, value?: number) => void) | undefined;
    read(): number;
    read(type: typeof String, until?: number | string): string;
    read(type: typeof ArrayBuffer, until?: number | string): ArrayBuffer;
    read(type: typeof Number): number;
    read(type: null, until?: number | string): number;
    write(): number;
    write(...data: (string | number | ArrayBuffer | ArrayBufferView)[]): void;
    close(): void;
  }
  /** Options of a TCP Socket (the typings misspell `address`). */
  export interface StreamSocketOptions {
    host?: string;
    address?: string;
    port?: number;
    noDelay?: boolean;
    keepalive?: { idle: number; interval: number; count: number };
  }
}

declare module "securesocket" {
  import type { StreamSocket, StreamSocketOptions } from "socket";
  /** The `secure` dictionary of SecureSocket (documentation/network/securesocket.md). */
  export interface SecureOptions {
    protocolVersion?: number;
    certificate?: ArrayBuffer | ArrayBufferView | HostBuffer;
    verify?: boolean;
    trace?: boolean;
    tls_max_fragment_length?: number;
    applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
    clientKey?: ArrayBuffer | ArrayBufferView | HostBuffer;
    clientCertificates?: (ArrayBuffer | ArrayBufferView | HostBuffer)[];
    serverName?: string;
    /** false: neither use nor fill the SDK's TLS session cache. */
    cache?: boolean;
    // read by our ssl/cert (modules/tls/verifier.ts)
    certificates?: (ArrayBuffer | Uint8Array)[];
    pins?: string[];
    report?: { code?: string; message?: string };
    // a TLS server (our ssl/cert, docs/server.md): the chain it presents, leaf first, and the leaf's PKCS#8 key
    serverCertificates?: (ArrayBuffer | Uint8Array)[];
    serverKey?: ArrayBuffer | Uint8Array;
  }
  export interface SecureSocketOptions extends StreamSocketOptions {
    /** An unconnected-or-connecting Socket to run TLS over; the handshake starts on its connect message. */
    sock?: StreamSocket;
    secure?: SecureOptions;
  }
}

// XS implements the TC39 base64 proposal (ES2026); lib es2022 does not declare it.
interface Uint8ArrayConstructor {
  fromBase64(text: string, options?: { alphabet?: "base64" | "base64url"; lastChunkHandling?: "loose" | "strict" | "stop-before-partial" }): Uint8Array;
}

// The SDK's crypto modules (modules/crypt/etc), as far as our verification uses them (`crypt`: types/crypt.d.ts).
declare module "x509" {
  /** The key of a certificate's SubjectPublicKeyInfo, in the form PKCS1_5 and ECDSA take. */
  export interface SdkKey {
    modulus?: bigint;
    exponent?: bigint;
    curve?: object;
    pub?: object;
  }
  const X509: { decodeSPKI(certificate: ArrayBuffer | ArrayBufferView): SdkKey };
  export default X509;
}
declare module "pkcs1" {
  export default class PKCS1 {
    static OS2IP(octets: ArrayBuffer | ArrayBufferView): bigint;
  }
}
declare module "pkcs1_5" {
  import type { SdkKey } from "x509";
  export default class PKCS1_5 {
    constructor(key: SdkKey, priv: false, oid?: number[]);
    readonly modulusSize: number;
    readonly rsa: { process(value: bigint): bigint };
    emsaEncode(hash: ArrayBuffer, length: number): bigint;
  }
}
declare module "ecdsa" {
  export default class ECDSA {
    constructor(pub: object, curve: object, priv?: false, oid?: number[]);
    verify(hash: ArrayBuffer, signature: ArrayBuffer | ArrayBufferView, asn1?: boolean): boolean;
  }
}
declare module "pkcs8" {
  const PKCS8: { parse(der: Uint8Array): unknown };
  export default PKCS8;
}
declare module "ber" {
  export default class BER {
    constructor(buffer: ArrayBuffer | Uint8Array);
    getTag(): number;
    getLength(): number;
    getInteger(): bigint;
  }
}
// The SDK's TLS modules our tls/* wrap (modules/crypt/ssl), typed loosely: we call into them, not the reverse.
declare module "ssl/sdk-handshake" {
  interface SdkHandler {
    name: string;
    msgType: number;
    unpacketize(session: object, s: object, msgType?: number): unknown;
    packetize(session: object, ...args: unknown[]): unknown;
  }
  const handshake: { unpacketize(session: object, s: object): void; serverKeyExchange: SdkHandler; serverHello: SdkHandler; certificateRequest: SdkHandler; clientHello: SdkHandler } & Record<string, unknown>;
  export default handshake;
}
declare module "ssl/stream" {
  export default class SSLStream {
    constructor(buffer?: ArrayBuffer | Uint8Array);
    writeChar(c: number): void;
    writeChars(v: number, n: number): void;
    writeChunk(a: ArrayBuffer | Uint8Array): void;
    getChunk(): Uint8Array;
  }
}
declare module "ssl/handshake" {
  const handshake: object;
  export default handshake;
}
declare module "ssl/sdk-alert" {
  const alert: { close_notify: number; unpacketize(session: object, fragment: ArrayBuffer | Uint8Array): void } & Record<string, unknown>;
  export default alert;
}
declare module "ssl/error" {
  export default class TLSError extends Error {}
}
declare module "ssl/constants" {
  export const ECDHE_RSA: number;
}
interface Uint8Array {
  /** XS (TC39 base64 proposal, ES2026). */
  toBase64(): string;
}
