// Host `socket`: the SDK's TCP Socket and Listener (documentation/network/network.md) over Node `net`.
// Follows the SDK's Linux build where the docs are silent: at most 1 KB delivered per readable message,
// unread bytes dropped when the callback returns, a 1 KB send buffer, and a write larger than the free
// buffer throws without sending anything.
import net from "node:net";
import { counters, resolveHost } from "../runtime.js";

export const RX_CHUNK = 1024;
export const TX_BUFFER = 1024;

type Callback = (message: number, value?: number) => void;
type WriteData = string | number | ArrayBuffer | ArrayBufferView;

interface SocketDictionary {
  host?: string;
  address?: string;
  port?: number;
  kind?: string;
  noDelay?: boolean;
  listener?: Listener;
}

/** Bytes a `write` argument puts on the wire, as the SDK encodes it (strings as UTF-8, numbers as one byte). */
export function encodeWriteArgs(args: WriteData[]): Buffer {
  const parts = args.map((arg) => {
    if (typeof arg === "string")
      return Buffer.from(arg, "utf8");
    if (typeof arg === "number")
      return Buffer.of(arg & 0xff);
    if (arg instanceof ArrayBuffer)
      return Buffer.from(arg);
    if (ArrayBuffer.isView(arg))
      return Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
    throw new Error("unsupported type for write");
  });
  return Buffer.concat(parts);
}

/** Reads from `data` (the bytes of the current readable message) with the SDK's `read` semantics. */
export function readFrom(data: Buffer, position: number, args: unknown[]): { value: unknown; consumed: number } {
  const left = data.length - position;
  if (args.length === 0)
    return { value: left, consumed: 0 };
  let count = left;
  const until = args[1];
  if (typeof until === "number")
    count = Math.max(0, Math.min(until, left));
  else if (typeof until === "string" && until.length > 0) {
    const at = data.indexOf(until.charCodeAt(0), position);
    if (at >= 0)
      count = at - position + 1; // the terminator is part of the result
  }
  const type = args[0];
  if (left === 0)
    return { value: undefined, consumed: 0 };
  if (type === null)
    return { value: count, consumed: count };
  if (type === Number)
    return { value: data[position], consumed: 1 };
  if (type === String)
    return { value: data.toString("utf8", position, position + count), consumed: count };
  if (type === ArrayBuffer) {
    const out = new ArrayBuffer(count);
    new Uint8Array(out).set(data.subarray(position, position + count));
    return { value: out, consumed: count };
  }
  throw new Error("unsupported output type");
}

/** Delivers a Node stream's bytes as the SDK's readable messages: 1 KB at a time, readable only inside the callback. */
export class Delivery {
  #queue: Buffer[] = [];
  #current: Buffer | null = null;
  #position = 0;
  #busy = false;
  constructor(private readonly emit: (message: number, value?: number) => boolean) {}

  push(chunk: Buffer): void {
    this.#queue.push(chunk);
    this.#drain();
  }
  read(args: unknown[]): unknown {
    if (!this.#current)
      return args.length === 0 ? 0 : undefined;
    const { value, consumed } = readFrom(this.#current, this.#position, args);
    this.#position += consumed;
    return value;
  }
  #drain(): void {
    if (this.#busy)
      return;
    this.#busy = true;
    try {
      while (this.#queue.length) {
        let chunk = this.#queue.shift()!;
        if (chunk.length > RX_CHUNK) {
          this.#queue.unshift(chunk.subarray(RX_CHUNK));
          chunk = chunk.subarray(0, RX_CHUNK);
        }
        this.#current = chunk;
        this.#position = 0;
        const alive = this.emit(2, chunk.length);
        this.#current = null;
        if (!alive) {
          this.#queue.length = 0;
          break;
        }
      }
    }
    finally {
      this.#current = null;
      this.#busy = false;
    }
  }
}

/** Runs a device callback the way XS does: an exception it throws is unhandled (it aborts the VM on a device). */
export function invokeCallback(target: { callback?: Callback }, message: number, value?: number): void {
  const callback = target.callback;
  if (!callback)
    return;
  try {
    if (value === undefined)
      callback.call(target, message);
    else
      callback.call(target, message, value);
  }
  catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

export class Socket {
  static readonly connected = 1;
  static readonly readable = 2;
  static readonly writable = 3;
  static readonly error = -2;
  static readonly disconnected = -1;

  callback?: Callback;
  #stream?: net.Socket;
  #connected = false;
  #done = false;
  #inFlight = 0;
  #delivery = new Delivery((message, value) => {
    invokeCallback(this, message, value);
    return !this.#done;
  });
  #ended = false;
  /** Made by `new Socket({listener})`: a SecureSocket over it is the server side. */
  readonly accepted: boolean;

  constructor(dictionary: SocketDictionary) {
    this.accepted = !!dictionary.listener;
    if (dictionary.kind && dictionary.kind !== "TCP")
      throw new Error(`host runtime: ${dictionary.kind} sockets are not implemented`);
    counters.sockets++;
    if (dictionary.listener) {
      const stream = dictionary.listener.takePending();
      if (!stream)
        throw new Error("no socket available from listener");
      stream.setNoDelay(dictionary.noDelay === true); // as lwIP does (tcp_nagle_disable); lin ignores noDelay
      this.#attach(stream);
      this.#connected = true;
      return;
    }
    const port = dictionary.port;
    const name = dictionary.address ?? dictionary.host;
    if (!name || !port)
      throw new Error("socket needs host or address, and port");
    resolveHost(name).then(
      (address) => {
        if (this.#done)
          return;
        const stream = net.connect({ host: address, port, noDelay: dictionary.noDelay });
        this.#attach(stream);
        stream.once("connect", () => {
          this.#connected = true;
          if (!this.#done)
            invokeCallback(this, 1);
        });
      },
      () => this.#fail(),
    );
  }

  /** Stops delivering this socket's events: the host SecureSocket takes the stream over. */
  detach(): net.Socket | undefined {
    const stream = this.#stream;
    stream?.removeAllListeners("data");
    stream?.removeAllListeners("end");
    stream?.removeAllListeners("error");
    stream?.removeAllListeners("connect");
    if (!this.#done)
      counters.sockets--; // the SecureSocket on top counts the connection from here on
    this.#done = true;
    return stream;
  }

  #attach(stream: net.Socket): void {
    this.#stream = stream;
    stream.on("data", (chunk: Buffer) => {
      if (this.#done)
        return;
      counters.bytesRead += chunk.length;
      this.#delivery.push(chunk);
    });
    stream.on("end", () => {
      this.#ended = true;
      if (!this.#done) {
        invokeCallback(this, -1);
        this.close();
      }
    });
    stream.on("error", () => this.#fail());
  }

  #fail(): void {
    if (this.#done)
      return;
    invokeCallback(this, -2);
    this.close();
  }

  read(...args: unknown[]): unknown {
    if (this.#done)
      throw new Error("read on closed socket");
    return this.#delivery.read(args);
  }

  write(...args: WriteData[]): number | undefined {
    if (this.#done)
      throw new Error("write on closed socket");
    const available = TX_BUFFER - this.#inFlight;
    if (args.length === 0)
      return this.#connected ? available : 0;
    const bytes = encodeWriteArgs(args);
    if (bytes.length > available)
      throw new Error("can't write all data");
    if (!this.#connected || !this.#stream || this.#ended)
      throw new Error("write failed");
    this.#inFlight += bytes.length;
    counters.bytesWritten += bytes.length;
    this.#stream.write(bytes, () => {
      this.#inFlight -= bytes.length;
      if (!this.#done)
        invokeCallback(this, 3, TX_BUFFER - this.#inFlight);
    });
    return undefined;
  }

  close(): void {
    if (this.#done && !this.#stream)
      return;
    if (!this.#done)
      counters.sockets--;
    this.#done = true;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream) {
      // Bytes already written still go out (the SDK's have reached the kernel), then FIN.
      stream.end(() => stream.destroy());
      setTimeout(() => stream.destroy(), 1000).unref();
    }
  }

  get(what: string): string | undefined {
    if (what === "REMOTE_IP")
      return this.#stream?.remoteAddress?.replace(/^::ffff:/, "");
    return undefined;
  }
}

/** Node's TCP handle, internal (`process.binding`): net's `listen(port, host)` binds only after a lookup. */
interface TcpHandle {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  listen(backlog: number): number;
  close(): void;
}
const tcpWrap = (process as unknown as { binding(name: "tcp_wrap"): { TCP: new (type: number) => TcpHandle; constants: { SERVER: number } } }).binding("tcp_wrap");

/**
 * The SDK's Listener (documentation/network/network.md), as its Linux build behaves (modules/network/
 * socket/lin/modSocket.c; docs/sdk-notes.md): bound and listening when the constructor returns, which
 * throws "bind socket failed" when it cannot (a port taken); the callback gets 1 for each incoming
 * connection and accepts it with `new Socket({listener})` during that call; an accepted socket gets no
 * connect message. Where the host differs: it honours `address` (lin listens on every address; lwIP
 * honours it), accepts at once (lin: one per 50 ms tick), and closes a connection the callback did not
 * accept (lin leaks it open).
 */
export class Listener {
  callback?: (message: number) => void;
  #server: net.Server;
  #pending: net.Socket | null = null;
  #closed = false;

  constructor(dictionary: { port?: number; address?: string }) {
    this.#server = net.createServer({ pauseOnConnect: false }, (stream) => {
      if (this.#closed) {
        stream.destroy();
        return;
      }
      this.#pending = stream;
      invokeCallback(this, 1);
      if (this.#pending === stream) // not accepted by the callback
        stream.destroy();
      this.#pending = null;
    });
    this.#server.on("error", () => undefined); // a failed accept: lin's Listener skips it too
    const address = dictionary.address ?? "0.0.0.0";
    const handle = new tcpWrap.TCP(tcpWrap.constants.SERVER);
    // libuv reports a taken port at listen, not bind
    const failed = (net.isIPv6(address) ? handle.bind6(address, dictionary.port ?? 0, 0) : handle.bind(address, dictionary.port ?? 0)) || handle.listen(511);
    if (failed) {
      handle.close();
      throw new Error("bind socket failed");
    }
    this.#server.listen(handle);
  }
  /** The pending connection, for `new Socket({listener})`; only during the callback. */
  takePending(): net.Socket | null {
    const stream = this.#pending;
    this.#pending = null;
    return stream;
  }
  close(): void {
    if (this.#closed)
      throw new Error("close on closed listener");
    this.#closed = true;
    this.#server.close();
  }
}

export default Object.freeze({ Socket, Listener });
