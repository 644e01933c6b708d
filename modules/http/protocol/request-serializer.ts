// HTTP/1.1 request serializer, the client's: pure (no I/O). Validates before a byte is sent: CR, LF or NUL
// in the method, target, a header name or value is ERR_INVALID_REQUEST. The server's response heads are
// http/protocol/response-serializer, kept out of what the client loads.
import { HttpError } from "http/errors";
import { forbidden, isToken } from "http/protocol/fields";

export interface RequestHead {
  method: string;
  /** origin-form target: path and query. */
  target: string;
  /** Host header value: host, with ":port" when not the scheme's default. */
  host: string;
  headers: [string, string][];
  /** Body framing: a byte count, "chunked", or "none" (no body, no Content-Length). */
  body: number | "chunked" | "none";
}

export const USER_AGENT = "netkit/0.1 (Moddable; ESP32)";

export function hasHeader(headers: [string, string][], name: string): boolean {
  const lower = name.toLowerCase();
  return headers.some(([n]) => n.toLowerCase() === lower);
}

/** A request that cannot be sent as asked: nothing of it goes out. */
function invalidRequest(message: string): HttpError {
  return new HttpError("ERR_INVALID_REQUEST", message, { phase: "request" });
}

function check(value: string, what: string): void {
  if (forbidden(value))
    throw invalidRequest(`${what} contains CR, LF or NUL`);
}

/** The request line and header block, ending with the empty line. Framing headers are ours to set. */
export function serializeHead(head: RequestHead): string {
  if (!isToken(head.method))
    throw invalidRequest(`method ${JSON.stringify(head.method)} is not a token`);
  check(head.target, "request target");
  if (!head.target.startsWith("/") || head.target.includes(" "))
    throw invalidRequest("request target must start with / and contain no space");
  check(head.host, "host");
  let text = `${head.method} ${head.target} HTTP/1.1\r\nHost: ${head.host}\r\n`;
  let userAgent = false;
  for (const [name, value] of head.headers) {
    if (!isToken(name))
      throw invalidRequest(`header name ${JSON.stringify(name)} is not a token`);
    check(value, `header ${name}`);
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "content-length" || lower === "transfer-encoding")
      continue; // framing and routing come from the request itself
    if (lower === "user-agent")
      userAgent = true;
    text += `${name}: ${value}\r\n`;
  }
  if (!userAgent)
    text += `User-Agent: ${USER_AGENT}\r\n`;
  if (head.body === "chunked")
    text += "Transfer-Encoding: chunked\r\n";
  else if (head.body !== "none")
    text += `Content-Length: ${head.body}\r\n`;
  return text + "\r\n";
}

/** The framing line before a chunk of `length` bytes (the chunk itself follows, then CRLF). */
export function chunkHeader(length: number): string {
  return length.toString(16) + "\r\n";
}

export const LAST_CHUNK = "0\r\n\r\n";
