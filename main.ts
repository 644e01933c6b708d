// The firmware app. For now the chapter's first client: a hand-written GET over the SDK's Socket to each
// http:// URL of config.urls, tracing the status line.
import config from "mc/config";
import { Socket } from "socket";
import type { StreamSocket } from "socket";
import { URL } from "url";

function get(href: string): Promise<string> {
  const url = new URL(href);
  return new Promise((resolve) => {
    const socket = new Socket({ host: url.hostname, port: Number(url.port || 80) }) as unknown as StreamSocket;
    let head = "";
    socket.callback = (message: number) => {
      if (message === 1)
        socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
      else if (message === 2) {
        head += socket.read(String);
        const end = head.indexOf("\r\n");
        if (end >= 0) {
          socket.close();
          resolve(head.slice(0, end));
        }
      }
      else if (message < 0)
        resolve(`failed (socket message ${message})`);
    };
  });
}

const urls = (config.urls as string[] | undefined) ?? [];
for (const href of urls) {
  if (!href.startsWith("http://")) {
    trace(`${href}: skipped (https arrives with the HTTP client)\n`);
    continue;
  }
  trace(`${href}: ${await get(href)}\n`);
}
trace(`done: ${urls.length} URL(s)\n`);
