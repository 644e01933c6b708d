// Where a followed redirect goes next: the rules of RFC 9110 §15.4 and of fetch, pure (no I/O). Kept out
// of what every request loads: http/client imports it with import() on its first followed redirect (which
// responses are followed is http/client/redirect).
import { HttpError } from "http/errors";
import { URL } from "url";
import { DEFAULTS, type RequestOptions } from "http/client/options";
import type { Body } from "http/client/exchange";

/** What the next request of a redirect chain is made of. */
export interface Hop {
  url: URL;
  method: string;
  headers: [string, string][];
  body: Body;
}

function isContentHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "content-type" || lower === "content-length" || lower === "content-encoding" ||
    lower === "content-language" || lower === "content-location";
}

function isCredential(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "authorization" || lower === "cookie" || lower === "proxy-authorization";
}

/**
 * The request that follows `status` with `location`, after `redirects` redirects already followed; throws
 * the HttpError that ends the chain instead (mode "error", too many, a bad or non-HTTP Location, https to
 * http without allowDowngrade, a streamed body that cannot be sent again).
 */
export function nextHop(status: number, location: string, hop: Hop, options: RequestOptions, redirects: number): Hop {
  const url = hop.url;
  const host = url.hostname;
  if (options.redirect === "error")
    throw new HttpError("ERR_TOO_MANY_REDIRECTS", `redirected to ${location} (redirect: "error")`, { host, phase: "redirect" });
  const max = options.maxRedirects ?? DEFAULTS.maxRedirects;
  if (redirects >= max)
    throw new HttpError("ERR_TOO_MANY_REDIRECTS", `more than ${max} redirects`, { host, phase: "redirect" });
  let next: URL;
  try {
    next = new URL(location, url.href);
  }
  catch {
    throw new HttpError("ERR_INVALID_RESPONSE", `bad Location ${JSON.stringify(location)}`, { host, phase: "redirect" });
  }
  if (next.protocol !== "http:" && next.protocol !== "https:")
    throw new HttpError("ERR_INVALID_RESPONSE", `redirect to unsupported scheme ${next.protocol}`, { host, phase: "redirect" });
  if (url.protocol === "https:" && next.protocol === "http:" && !options.allowDowngrade)
    throw new HttpError("ERR_REDIRECT_DOWNGRADE", `refused redirect from https to ${next.href}`, { host, phase: "redirect" });
  let { method, headers, body } = hop;
  if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
    method = method === "HEAD" ? "HEAD" : "GET";
    body = {};
    headers = headers.filter(([name]) => !isContentHeader(name));
  }
  else if (body.stream)
    throw new HttpError("ERR_INVALID_REQUEST", `cannot resend a streamed body to ${next.href} (${status})`, { host, phase: "redirect" });
  if (next.origin !== url.origin)
    headers = headers.filter(([name]) => !isCredential(name));
  return { url: next, method, headers, body };
}
