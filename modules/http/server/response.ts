// A handler's answer (ServerResponse) turned into bytes: its head serialized by http/protocol/response-serializer
// and its body, queued together on the connection's outgoing queue.
import { utf8Bytes } from "http/text";
import { misuse } from "http/errors";
import { headerList, type HeaderInit } from "http/protocol/fields";
import { serializeResponseHead } from "http/protocol/response-serializer";
import type { OutgoingQueue } from "http/transport/outgoing";
import type { ServerRequest } from "http/server/request";

export interface ServerResponse {
  /** Default 200. */
  status?: number;
  statusText?: string;
  headers?: HeaderInit;
  /** Sent as is; a string as UTF-8 (Content-Type text/plain unless given). */
  body?: string | Uint8Array | ArrayBuffer;
  /** Sent as JSON (Content-Type application/json). Takes the place of `body`. */
  json?: unknown;
}

export type Handler = (request: ServerRequest) => ServerResponse | Promise<ServerResponse>;

function bytesOf(body: string | Uint8Array | ArrayBuffer | undefined): Uint8Array {
  if (body === undefined)
    return new Uint8Array(0);
  if (typeof body === "string")
    return utf8Bytes(body);
  if (body instanceof Uint8Array)
    return body;
  if (body instanceof ArrayBuffer)
    return new Uint8Array(body);
  throw misuse(`a response body must be a string, Uint8Array or ArrayBuffer, not ${typeof body}`);
}

/**
 * Queues a whole response on `out`, head and body together (one write when they fit); no body for a
 * `method` of HEAD. Throws ERR_SERVER_USAGE, nothing queued, for an invalid one.
 */
export function queueResponse(out: OutgoingQueue, response: ServerResponse, method: string | undefined, close: boolean): void {
  if (response === null || typeof response !== "object")
    throw misuse(`a handler must return a response object, not ${response === null ? "null" : typeof response}`);
  const status = response.status ?? 200;
  const headers = headerList(response.headers);
  let body: Uint8Array;
  let type: string | undefined;
  if (response.json !== undefined) {
    body = utf8Bytes(JSON.stringify(response.json));
    type = "application/json";
  }
  else {
    body = bytesOf(response.body);
    type = typeof response.body === "string" ? "text/plain; charset=utf-8" : response.body === undefined ? undefined : "application/octet-stream";
  }
  if (type && !headers.some(([name]) => name.toLowerCase() === "content-type"))
    headers.push(["Content-Type", type]);
  const bodiless = status < 200 || status === 204 || status === 304;
  out.push(serializeResponseHead({ status, statusText: response.statusText, headers, body: bodiless ? "none" : body.length, close }));
  if (!bodiless && method !== "HEAD")
    out.push(body);
}
