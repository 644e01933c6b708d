// A request as a handler sees it: the parsed head, the body whole, and the ways to read them.
import { utf8Text } from "http/text";
import { HttpError } from "http/errors";
import type { IncomingHead } from "http/protocol/request-parser";

/** A request as a handler sees it: the parsed head (method, target, path, query, version, headers) and its body. */
export interface ServerRequest extends Pick<IncomingHead, "method" | "target" | "path" | "query" | "version" | "headers"> {
  /** The body, whole (at most maxBodyBytes). */
  body: Uint8Array;
  /** The connection's serial number (1, 2, …): the same for requests on one kept-alive connection. */
  connection: number;
  /** The first value of a header, or undefined. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON; a body that is not JSON is answered 400. */
  json(): unknown;
}

/** The request of `head` on connection `connection`, its body joined from the parser's `parts` (`bytes` in all). */
export function serverRequest(head: IncomingHead, parts: Uint8Array[], bytes: number, connection: number): ServerRequest {
  let body: Uint8Array;
  if (parts.length === 1)
    body = parts[0];
  else {
    body = new Uint8Array(bytes);
    let at = 0;
    for (const part of parts) {
      body.set(part, at);
      at += part.length;
    }
  }
  return {
    method: head.method,
    target: head.target,
    path: head.path,
    query: head.query,
    version: head.version,
    headers: head.headers,
    body,
    connection,
    header(name: string) {
      const lower = name.toLowerCase();
      return head.headers.find(([n]) => n === lower)?.[1];
    },
    text: () => utf8Text(body),
    json: () => {
      try {
        return JSON.parse(utf8Text(body));
      }
      catch {
        throw new HttpError("ERR_INVALID_REQUEST", "the body is not JSON", { status: 400 });
      }
    },
  };
}
