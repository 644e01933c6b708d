// A local HTTP server on 127.0.0.1 (port 0) that records the paths it is asked for and answers each with
// `Connection: close`, so an app that fetched from it exits at once with no idle connection in its pool.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordingServer {
  /** http://127.0.0.1:PORT */
  base: string;
  /** The paths asked for, in order; the caller empties it between tests. */
  requests: string[];
  close(): Promise<void>;
}

export async function startRecordingServer(answer: (path: string) => string): Promise<RecordingServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    response.setHeader("connection", "close");
    response.end(answer(request.url ?? ""));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
