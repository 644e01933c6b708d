// What a caller gives the client and reads back: the option types of a request and of a pool, the
// timings a response reports, and the one table of defaults that their comments name.
import { LIMITS, type HeaderInit } from "http/protocol/fields";
import type { TlsOptions } from "http/transport/secure-options";
import type { Response } from "http/client/response";

/** Deadlines in ms, one per phase. 0 turns one off. */
export interface Timeouts {
  /** Name resolution, TCP connect and TLS handshake (and waiting for a pooled socket). Default 10000. */
  connect?: number;
  /** From sending the request to the end of the response head. Default 30000. */
  headers?: number;
  /** Longest silence while the body arrives. Default 30000. */
  idle?: number;
  /** The whole request, redirects included, until the body has arrived. Default 0 (none). */
  total?: number;
}

/** What `signal` needs: an AbortSignal, or anything with `aborted` and `addEventListener("abort")`. */
export interface SignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener?(type: "abort", listener: () => void): void;
}

/** A request body: text, bytes, a JSON-able object, or an async iterable of chunks (sent chunked). */
export type BodyInit = string | ArrayBuffer | ArrayBufferView | AsyncIterable<Uint8Array | string> | Record<string, unknown> | unknown[] | null;

export interface RequestOptions {
  /** Any token. Default "GET". */
  method?: string;
  headers?: HeaderInit;
  body?: BodyInit;
  /** "follow" (default), "manual" (return the 3xx), or "error" (fail on a redirect). */
  redirect?: "follow" | "manual" | "error";
  /** Redirects followed before ERR_TOO_MANY_REDIRECTS. Default 5. */
  maxRedirects?: number;
  /** Follow https → http redirects. Default false (ERR_REDIRECT_DOWNGRADE). */
  allowDowngrade?: boolean;
  timeouts?: Timeouts;
  signal?: SignalLike;
  /** Limit on the response's status line and headers. Default 8192. */
  maxHeaderBytes?: number;
  /** Limit on what text(), json() and arrayBuffer() collect. Default 65536. */
  maxBodyBytes?: number;
  /** https: verification and TLS settings (see http/transport/secure-options). Default: verified against certs/, TLS 1.2. */
  tls?: TlsOptions;
  /**
   * Takes the final response's body from its first byte, chunk by chunk, in the socket's callback (see
   * Response.consume()): nothing waits in a queue between the head and the first read, which over TLS
   * would be up to a record (16 KB). `await response.consume()` then tells when it has ended.
   */
  onBody?: (chunk: Uint8Array, response: Response) => void;
}

/** Where a response's time went, in ms. A reused connection spends 0 in dns, connect and tls. */
export interface Timings {
  dns: number;
  connect: number;
  tls: number;
  /** From sending the request to the first byte of the response. */
  firstByte: number;
  /** From the end of the head to the end of the body; -1 until the body has arrived. */
  body: number;
}

export interface ClientOptions {
  /** Connections per origin, in use and idle together. Default 2. */
  maxSocketsPerOrigin?: number;
  /** How long an idle pooled connection is kept, ms. Default 5000. */
  idleTimeout?: number;
}

/** The defaults of RequestOptions (Timeouts' among them) and of ClientOptions. */
export const DEFAULTS = { connect: 10000, headers: 30000, idle: 30000, total: 0, maxHeaderBytes: LIMITS.responseHeaderBytes, maxBodyBytes: 65536, maxRedirects: 5, maxSocketsPerOrigin: 2, idleTimeout: 5000 };
