// Whether the client follows a response as a redirect: asked as its head arrives (a followed redirect's
// body is kept from onBody) and by the request loop. Every request loads this, so it stays this small;
// where a followed redirect goes is http/client/next-hop, which the client imports on its first one.
import type { RequestOptions } from "http/client/options";
import type { Response } from "http/client/response";

const STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * A 301, 302, 303, 307 or 308 with a Location, unless `redirect` is "manual". With "error" too: following
 * it is where the request fails.
 */
export function isFollowedRedirect(response: Response, options: RequestOptions): boolean {
  return STATUSES.has(response.status) && response.headers.has("location") && options.redirect !== "manual";
}
