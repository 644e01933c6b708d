// The server's options checked and with their defaults filled in, in the one shape every connection reads.
import { misuse } from "http/errors";
import { LIMITS } from "http/protocol/fields";
import type { ServerOptions } from "http/server";

export interface Settings {
  maxConnections: number;
  queue: number;
  maxHeaderBytes: number;
  maxBodyBytes: number;
  maxRequests: number;
  /** The deadlines, in ms (ServerTimeouts). */
  headers: number;
  idle: number;
  queueWait: number;
  handler: number;
  linger: number;
}

/** `value`, or `fallback` when it is not given; ERR_SERVER_USAGE unless an integer of at least `min`. */
export function positive(value: number | undefined, fallback: number, name: string, min = 1): number {
  const result = value ?? fallback;
  if (!(Number.isInteger(result) && result >= min))
    throw misuse(`${name} must be an integer of at least ${min}, not ${String(result)}`);
  return result;
}

/** The bounds and deadlines of `options`, defaults filled in (docs/server.md). Throws ERR_SERVER_USAGE. */
export function settingsOf(options: ServerOptions): Settings {
  const t = options.timeouts ?? {};
  return {
    maxConnections: positive(options.maxConnections, 4, "maxConnections"),
    queue: positive(options.queue, 2, "queue", 0),
    maxHeaderBytes: positive(options.maxHeaderBytes, LIMITS.requestHeaderBytes, "maxHeaderBytes", 64),
    maxBodyBytes: positive(options.maxBodyBytes, LIMITS.requestBodyBytes, "maxBodyBytes", 0),
    maxRequests: positive(options.maxRequestsPerConnection, 100, "maxRequestsPerConnection"),
    headers: positive(t.headers, 10000, "timeouts.headers"),
    idle: positive(t.idle, 5000, "timeouts.idle"),
    queueWait: positive(t.queue, 5000, "timeouts.queue"),
    handler: positive(t.handler, 10000, "timeouts.handler"),
    linger: positive(t.linger, 1000, "timeouts.linger"),
  };
}
