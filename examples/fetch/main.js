// fetch() from the netkit package in place of the SDK's: the same calls, with the kit's certificate
// checks (the SDK's own accept forged chains). What it fetches and trusts comes from the config
// (manifest.json, or key=value on the mcpack line): see README.md.
import config from "mc/config";
import { fetch } from "esp32-netkit/http/fetch";

// A PEM resource of the app, or PEM text; empty: the resources named by config.certs.
const tls = config.ca ? { ca: config.ca } : undefined;

try {
  const response = await fetch(config.url, { tls });
  const text = await response.text();
  trace(`fetch: ${config.url}: ${response.status} ${response.statusText}, ${response.headers.get("content-type")}, ${text.length} characters: ${JSON.stringify(text.slice(0, 48))}\n`);
}
catch (error) {
  trace(`fetch: ${config.url}: failed: ${error.message}\n`);
}

if (config.refusedUrl) {
  try {
    const response = await fetch(config.refusedUrl, { tls });
    trace(`fetch: ${config.refusedUrl}: NOT refused: ${response.status} ${response.statusText}\n`);
  }
  catch (error) {
    // fetch's failures are TypeErrors; the kit's reason is the cause, with its code
    trace(`fetch: ${config.refusedUrl}: refused: ${error.name}, cause ${error.cause?.code}: ${error.cause?.reason}\n`);
  }
}
trace("fetch: done\n");
