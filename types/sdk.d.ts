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
