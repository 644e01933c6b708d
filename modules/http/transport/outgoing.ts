// Transport: the bytes waiting to go out on one SDK socket (the client's connection and the server's
// alike), written as the socket's free space allows, and the socket's close, from the job queue.
import type { StreamSocket } from "socket";
import { utf8Bytes } from "http/text";

/** Where the bytes handed to the socket are counted (the client's httpStats). */
interface WriteCounter {
  bytesWritten: number;
}

function closeQuietly(socket: StreamSocket): void {
  try {
    socket.close();
  }
  catch {
    // already closed by the SDK after a disconnect
  }
}

/** The pieces of one write: one array for every queue (a write is synchronous), made on first use, so that no write allocates one. */
let writeParts: Uint8Array[] | undefined;

export class OutgoingQueue {
  declare private readonly socket: StreamSocket;
  declare private readonly counter: WriteCounter | undefined;
  declare private readonly queue: Uint8Array[];

  constructor(socket: StreamSocket, counter?: WriteCounter) {
    this.queue = [];
    this.socket = socket;
    this.counter = counter;
  }

  /** Bytes are still waiting for the socket. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Queues bytes (a string as UTF-8); `flush` writes them. */
  push(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? utf8Bytes(data) : data;
    if (bytes.length)
      this.queue.push(bytes);
  }

  /**
   * Writes what the socket takes now; true when nothing is left, false when the rest waits for a writable
   * message. Throws what the socket's write throws (the peer went away, or lin's refused connect).
   */
  flush(): boolean {
    const socket = this.socket;
    const queue = this.queue;
    const parts = (writeParts ??= []);
    while (queue.length) {
      const free = socket.write();
      if (free <= 0)
        return false;
      // As many queued pieces as fit go out in one write (the SDK's write takes several): a head and its
      // body written apart let Nagle's algorithm hold the second until the peer's delayed ACK (~40 ms).
      let bytes = 0;
      parts.length = 0; // shared: a write that threw on another socket may have left pieces in it
      while (queue.length && bytes < free && parts.length < 4) {
        let chunk = queue[0];
        if (chunk.length > free - bytes) {
          queue[0] = chunk.subarray(free - bytes);
          chunk = chunk.subarray(0, free - bytes);
        }
        else
          queue.shift();
        parts.push(chunk);
        bytes += chunk.length;
      }
      socket.write.apply(socket, parts);
      parts.length = 0; // not kept alive by the shared array
      if (this.counter)
        this.counter.bytesWritten += bytes;
    }
    return true;
  }

  /**
   * Drops what is queued and closes the socket from the job queue, never inside a socket callback: on lin,
   * close() inside one lets the socket record be freed while the callback's C caller still uses it
   * (modSocket.c: after a disconnect callback always; after any other when a collection runs before the
   * callback returns), which crashed mcsim (docs/sdk-notes.md).
   */
  close(): void {
    this.queue.length = 0;
    Promise.resolve(this.socket).then(closeQuietly);
  }
}
