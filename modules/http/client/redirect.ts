// Where a followed redirect goes next: the rules of RFC 9110 §15.4 and of fetch, pure (no I/O). Kept out
// of http/client, which loads it with import() on its first 3xx with a Location: a request that is never
// redirected never runs it, and the client's core bytecode stays smaller.
import { HttpError } from "http/errors";
import { URL } from "url";
import { DEFAULTS } from "http/client/options";

/** What the next request of a redirect chain is made of. */
export interface Hop<B extends { stream?: unknown }> {
  url: URL;
  method: string;
  headers: [string, string][];
  body: B;
}

export interface RedirectPolicy {
  redirect?: "follow" | "manual" | "error";
  maxRedirects?: number;
  allowDowngrade?: boolean;
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
export function nextHop<B extends { stream?: unknown }>(status: number, location: string, hop: Hop<B>, policy: RedirectPolicy, redirects: number, empty: B): Hop<B> {
  const url = hop.url;
  const host = url.hostname;
  if (policy.redirect === "error")
    throw new HttpError("ERR_TOO_MANY_REDIRECTS", `redirected to ${location} (redirect: "error")`, { host, phase: "redirect" });
  const max = policy.maxRedirects ?? DEFAULTS.maxRedirects;
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
  if (url.protocol === "https:" && next.protocol === "http:" && !policy.allowDowngrade)
    throw new HttpError("ERR_REDIRECT_DOWNGRADE", `refused redirect from https to ${next.href}`, { host, phase: "redirect" });
  let { method, headers, body } = hop;
  if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
    method = method === "HEAD" ? "HEAD" : "GET";
    body = empty;
    headers = headers.filter(([name]) => !isContentHeader(name));
  }
  else if (body.stream)
    throw new HttpError("ERR_INVALID_REQUEST", `cannot resend a streamed body to ${next.href} (${status})`, { host, phase: "redirect" });
  if (next.origin !== url.origin)
    headers = headers.filter(([name]) => !isCredential(name));
  return { url: next, method, headers, body };
}
