// HTTP/1.1 response serializer, the server's: pure (no I/O). Validates before a byte is sent: a bad
// status, or CR, LF or NUL in the status text, a header name or value, is ERR_SERVER_USAGE. Apart from
// http/protocol/request-serializer (requests) so that the client does not load the server's half.
import { misuse } from "http/errors";
import { forbidden, isToken } from "http/protocol/fields";

/** Reason phrases of the statuses the server sends itself, and the common ones a handler picks. */
export const STATUS_TEXT: Record<number, string> = {
  100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
  301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  408: "Request Timeout", 409: "Conflict", 413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type",
  422: "Unprocessable Content", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable", 505: "HTTP Version Not Supported",
};

/** A response head to write (the client's parsed one is http/protocol/response-parser's ResponseHead). */
export interface OutgoingResponseHead {
  /** 100–599. */
  status: number;
  /** Default: the usual phrase for the status (or ""). */
  statusText?: string;
  headers: [string, string][];
  /** Body framing: a byte count, "chunked", or "none" (204, 304, and 1xx carry none). */
  body: number | "chunked" | "none";
  /** Adds "Connection: close". */
  close: boolean;
}

/** The status line and header block of a response, ending with the empty line. Framing headers are ours to set. */
export function serializeResponseHead(head: OutgoingResponseHead): string {
  const status = head.status;
  if (!(Number.isInteger(status) && status >= 100 && status <= 599))
    throw misuse(`status ${String(status)} is not an integer from 100 to 599`, "handler");
  const reason = head.statusText ?? STATUS_TEXT[status] ?? "";
  if (forbidden(reason))
    throw misuse("status text contains CR, LF or NUL", "handler");
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of head.headers) {
    if (!isToken(name))
      throw misuse(`header name ${JSON.stringify(name)} is not a token`, "handler");
    if (forbidden(value))
      throw misuse(`header ${name} contains CR, LF or NUL`, "handler");
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding" || lower === "connection")
      continue; // framing and persistence are the server's
    text += `${name}: ${value}\r\n`;
  }
  if (head.body === "chunked")
    text += "Transfer-Encoding: chunked\r\n";
  else if (head.body !== "none")
    text += `Content-Length: ${head.body}\r\n`;
  if (head.close)
    text += "Connection: close\r\n";
  return text + "\r\n";
}
