// Every failure of the HTTP client is an HttpError with a stable `code` to branch on and a message for
// people naming host, phase and cause. One class with a code costs less flash than a class per error.

import type { TlsErrorCode } from "tls/validate";
import { KitError } from "kit/error";

export type HttpErrorCode =
  | TlsErrorCode
  | "ERR_DNS"
  | "ERR_CONNECT_REFUSED"
  | "ERR_CONNECT_TIMEOUT"
  | "ERR_HEADERS_TIMEOUT"
  | "ERR_IDLE_TIMEOUT"
  | "ERR_TIMEOUT"
  | "ERR_ABORTED"
  | "ERR_INVALID_RESPONSE"
  | "ERR_HEADERS_TOO_LARGE"
  | "ERR_BODY_TOO_LARGE"
  | "ERR_TRUNCATED"
  | "ERR_TOO_MANY_REDIRECTS"
  | "ERR_REDIRECT_DOWNGRADE"
  | "ERR_INVALID_REQUEST"
  | "ERR_SOCKET"
  // the server (http/server)
  | "ERR_SERVER_USAGE"
  | "ERR_SERVER_LISTEN"
  // the app (main.ts): an entry of its config it cannot use
  | "ERR_CONFIG";

/** The phase a request was in when it failed. */
export type HttpPhase = "request" | "dns" | "connect" | "tls" | "send" | "headers" | "body" | "redirect" | "handler";

// Fields as `declare` and set in the constructor: a field initializer costs XS an initializer function.
export class HttpError extends KitError<HttpErrorCode> {
  declare readonly phase?: HttpPhase;
  declare readonly host?: string;
  /** The status a server answers with when a request fails this way (400, 408, 413, 431, …). */
  declare readonly status?: number;
  constructor(code: HttpErrorCode, message: string, details?: { phase?: HttpPhase; host?: string; status?: number }) {
    const where = details?.host ? `${details.host}${details.phase ? ` (${details.phase})` : ""}: ` : "";
    super(code, where + message);
    this.name = "HttpError";
    this.phase = details?.phase;
    this.host = details?.host;
    this.status = details?.status;
  }
}

/** A program that uses the server wrongly (an option, a route, a handler's response): ERR_SERVER_USAGE. */
export function misuse(message: string, phase?: HttpPhase): HttpError {
  return new HttpError("ERR_SERVER_USAGE", message, { phase });
}

/** Stamps host and phase on an error from a layer that did not know them (the parser). */
export function withContext(error: unknown, host: string, phase: HttpPhase): HttpError {
  if (error instanceof HttpError) {
    if (error.host)
      return error;
    return new HttpError(error.code, error.reason, { host, phase });
  }
  return new HttpError("ERR_SOCKET", error instanceof Error ? error.message : String(error), { host, phase });
}
