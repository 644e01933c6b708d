// Transport: one TCP (or TLS) connection on the SDK's Socket / SecureSocket, with name resolution first
// (so a DNS failure is told apart from a refused connection), a write queue that respects the socket's
// free space, and received bytes passed on as views of the buffer each readable message reads.
//
// States: resolving → connecting → open → closed. Events go to whoever owns the connection now (a
// request, or the pool while it is idle); `onEnd` comes at most once.
import { Socket, SocketMessage } from "socket";
import type { StreamSocket } from "socket";
import SecureSocket from "securesocket";
import type { SecureOptions } from "securesocket";
import Net from "net";
import { HttpError } from "http/errors";
import { OutgoingQueue } from "http/transport/outgoing";
import { notTls } from "tls/report";
import { ipBytes } from "tls/names";
import { forgetHandshake } from "tls/session";
import type { TlsReport } from "tls/report";
import { httpStats } from "http/stats";
import { plan as tls13Plan, type TlsPlan } from "http/transport/tls13";

export interface Origin {
  secure: boolean;
  hostname: string;
  port: number;
  /** "http://host:port": the pool's key. */
  key: string;
}

/** What the connection's owner hears; `connection` is the one it came from (an idle pool needs no closure per connection). */
export interface ConnectionEvents {
  /** Bytes received: a view of a fresh buffer, the receiver's to keep. */
  onReceive(bytes: Uint8Array, connection: Connection): void;
  /** The connection ended: `error` unset when the peer closed it cleanly. */
  onEnd(error: HttpError | undefined, connection: Connection): void;
}

/** A socket that knows its connection: the SDK calls a socket's callback with `this` set to the socket. */
type OwnedSocket = StreamSocket & { connection?: Connection };

/** Every connection's socket callback: one function, no bound function or closure per socket. */
function onSocketMessage(this: OwnedSocket, message: number, value?: number): void {
  this.connection?.message(message, value);
}

/** The address of a name that needs no DNS: IP literals as they are, localhost as loopback (RFC 6761). */
function literalAddress(hostname: string): string | undefined {
  if (ipBytes(hostname))
    return hostname.replace(/^\[|\]$/g, "");
  if (hostname === "localhost" || hostname.endsWith(".localhost"))
    return "127.0.0.1";
  return undefined;
}

function resolve(hostname: string): Promise<string> {
  return new Promise((done, fail) => {
    Net.resolve(hostname, (_name, address) => {
      if (address)
        done(address);
      else
        fail(new HttpError("ERR_DNS", `cannot resolve ${hostname}`, { host: hostname, phase: "dns" }));
    });
  });
}

/** A connect in progress: what its callbacks need until it settles. */
interface PendingConnect {
  address: string;
  secure: boolean;
  report: TlsReport;
  phase(name: "tls"): void;
  done(connection: Connection): void;
  fail(error: HttpError): void;
  tcpConnected?: boolean;
  tcpReceived?: boolean;
  /** The first bytes the server sent during the handshake (up to 5: a record header), to tell a server that is not speaking TLS. */
  first?: Uint8Array;
  /** TLS 1.3 (tls.maxVersion): its fallback to 1.2 (http/transport/tls13). */
  plan?: TlsPlan;
}

/**
 * `sock` wrapped in a SecureSocket, its TCP messages and the first bytes the TLS layer reads from it seen by
 * `connection` until the handshake is over.
 */
function secureOver(sock: StreamSocket, host: string, secure: SecureOptions, connection: Connection, make: TlsPlan["make"] = SecureSocket as never): StreamSocket {
  const read = sock.read;
  // defined, not assigned: an assignment would fail on the frozen prototype of a preloaded Socket
  Object.defineProperty(sock, "read", {
    configurable: true,
    writable: true,
    value(...args: unknown[]): unknown {
      const result = (read as (...a: unknown[]) => unknown).apply(sock, args);
      if (!connection.connecting) // the handshake is over: every later record is read without this wrapper
        Object.defineProperty(sock, "read", { configurable: true, writable: true, value: read });
      else if (result instanceof ArrayBuffer)
        connection.watchTlsBytes(new Uint8Array(result));
      return result;
    },
  });
  const socket = new make!({ sock, host, secure });
  const inner = sock.callback; // SecureSocket's own handler
  sock.callback = (message: number, value?: number) => {
    if (connection.connecting)
      connection.watchTcp(message);
    else
      sock.callback = inner; // handshake over: SecureSocket's handler alone from now on
    inner?.call(sock, message, value);
  };
  return socket;
}

/** Our TLS 1.3 socket (tls/tls13/client), which holds and resumes by itself. */
type OwnTlsSocket = StreamSocket & { hold?(onKept: () => void): void; resume?(): void };

/** What a held connection hands its owner when bytes came and were kept: none to read (made on first use: preloaded modules' objects are frozen). */
let nothing: Uint8Array | undefined;

/** The TCP socket under a SecureSocket while its connection is held: it knows its Held (no closure per hold). */
type HeldSocket = StreamSocket & { held?: Held };

/** The held TCP socket's `read`, as SecureSocket calls it (`this`: the TCP socket). */
function heldRead(this: HeldSocket, ...args: unknown[]): unknown {
  return this.held!.readFor(args);
}

/** The held TCP socket's callback (`this`: the TCP socket). */
function heldMessage(this: HeldSocket, message: number, value?: number): void {
  this.held!.message(message, value);
}

/**
 * A TLS connection on hold (Connection.hold): the ciphertext the TCP socket brings is kept here, and the
 * SDK's SecureSocket, through its TCP socket's `read` and `callback` (replaced while held), sees none.
 */
class Held {
  /** Holding now; else serving `kept` to TLS, or about to be removed. */
  declare on: boolean;
  /** Not to be held again: the connection ends, or is no longer the reader's. */
  declare final: boolean;
  declare serving: boolean;
  /** What the TCP socket brought, in pieces as read (no copy per tick), and how much of the first was served. */
  declare kept: Uint8Array[];
  declare at: number;
  declare readonly tcp: HeldSocket;
  declare readonly read: StreamSocket["read"];
  declare readonly handler: (message: number, value?: number) => void;
  declare readonly connection: Connection;
  constructor(tcp: HeldSocket, connection: Connection) {
    this.on = true;
    this.final = this.serving = false;
    this.kept = [];
    this.at = 0;
    this.tcp = tcp;
    this.read = tcp.read;
    this.handler = tcp.callback as (message: number, value?: number) => void;
    this.connection = connection;
    tcp.held = this;
    // defined, not assigned: an assignment would fail on the frozen prototype of a preloaded Socket
    Object.defineProperty(tcp, "read", { configurable: true, writable: true, value: heldRead });
    tcp.callback = heldMessage;
  }
  /** SecureSocket's reads of its TCP socket: none while on (what the socket has is kept), else from `kept`. */
  readFor(args: unknown[]): unknown {
    if (this.on) {
      this.keep();
      return args.length ? undefined : 0;
    }
    const left = this.left;
    if (!args.length)
      return left;
    if (!left)
      return undefined;
    const out = new Uint8Array(typeof args[1] === "number" && args[1] < left ? args[1] : left);
    const kept = this.kept;
    for (let filled = 0; filled < out.length;) {
      const piece = kept[0];
      const n = Math.min(piece.length - this.at, out.length - filled);
      out.set(piece.subarray(this.at, this.at + n), filled);
      filled += n;
      this.at += n;
      if (this.at === piece.length) {
        kept.shift();
        this.at = 0;
      }
    }
    return out.buffer;
  }
  /** Bytes kept and not yet served. */
  get left(): number {
    let n = -this.at;
    for (const piece of this.kept)
      n += piece.length;
    return n;
  }
  /** Takes what the TCP socket has now (on lin its read buffer lasts one callback). */
  keep(): void {
    const connection = this.connection;
    if (connection.closed)
      return;
    const bytes = (this.read as (...a: unknown[]) => unknown).call(this.tcp, ArrayBuffer) as ArrayBuffer | undefined;
    if (!bytes || !bytes.byteLength)
      return;
    const piece = new Uint8Array(bytes);
    this.kept.push(piece);
    connection.events?.onReceive(piece.subarray(0, 0), connection); // the body is not stalled (the idle deadline)
  }
  message(message: number, value?: number): void {
    if (message === SocketMessage.readable) {
      this.keep();
      return;
    }
    if (message === SocketMessage.disconnect || message === SocketMessage.error)
      this.connection.resume(true); // what was kept goes to TLS first, then the end: as without the hold
    this.handler.call(this.tcp, message, value);
  }
  /** Back to SecureSocket's own handling. */
  remove(): void {
    const tcp = this.tcp;
    Object.defineProperty(tcp, "read", { configurable: true, writable: true, value: this.read });
    tcp.callback = this.handler;
    tcp.held = undefined;
  }
}

export class Connection {
  declare readonly origin: Origin;
  declare events: ConnectionEvents | undefined;
  /** Requests this connection has carried: more than 0 means it came from the pool. */
  declare uses: number;
  declare private socket: StreamSocket | undefined;
  /** Made with the socket: nothing can be written before (the connection is handed out once connected). */
  declare private out: OutgoingQueue | undefined;
  declare private drainWaiters: (() => void)[] | undefined;
  declare private connected: boolean;
  declare private pending: PendingConnect | undefined;
  declare private receivedAny: boolean;
  declare private isClosed: boolean;
  /** Counted in httpStats.open until closed. */
  declare private counted: boolean;
  /** Over the SDK's SecureSocket: hold() may hold it. */
  declare private holdable: boolean;
  declare private held: Held | undefined;
  /** Tells the owner, while our TLS 1.3 socket holds, that bytes came (the body is not stalled): made on first hold. */
  declare private keptPoke: (() => void) | undefined;

  private constructor(origin: Origin) {
    this.uses = 0;
    this.drainWaiters = undefined;
    this.connected = this.receivedAny = this.isClosed = this.counted = this.holdable = false;
    this.events = this.socket = this.out = this.pending = this.held = this.keptPoke = undefined;
    this.origin = origin;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Resolves once connected (TLS handshake done for https). `abandon` closes it if the caller gives up first. */
  static open(origin: Origin, tls: SecureOptions | undefined, phase: (name: "dns" | "connect" | "tls") => void): { ready: Promise<Connection>; abandon(): void } {
    const connection = new Connection(origin);
    let abandoned = false;
    const ready = (async () => {
      let address = literalAddress(origin.hostname);
      if (address === undefined) {
        phase("dns");
        address = await resolve(origin.hostname);
      }
      if (abandoned)
        throw new HttpError("ERR_ABORTED", "abandoned", { host: origin.hostname, phase: "connect" });
      // TLS 1.3 (tls.maxVersion, "TLSv1.3" by default): our client, and its fallback to the SDK's 1.2
      const plan = (tls as { tls13?: number } | undefined)?.tls13 ? tls13Plan(origin, tls!) : undefined;
      phase("connect");
      return new Promise<Connection>((done, fail) => connection.connect(address, plan?.secure ?? tls, phase, done, fail, plan));
    })();
    return {
      ready,
      abandon() {
        abandoned = true;
        connection.close();
      },
    };
  }

  private connect(address: string, tls: SecureOptions | undefined, phase: (name: "tls") => void, done: (c: Connection) => void, fail: (e: HttpError) => void, plan?: TlsPlan): void {
    const report: TlsReport = {}; // why our TLS checks refused the server, if they did
    // What only the connect needs; dropped once it settles, so that a pooled connection's callbacks keep
    // nothing of the request that opened it (`phase` is that request's).
    this.pending = { address, secure: !!tls, report, phase, done, fail, plan };
    const sock = new Socket({ host: address, port: this.origin.port }) as unknown as StreamSocket;
    httpStats.connections++;
    httpStats.open++;
    this.counted = true;
    // The callbacks are made outside this method: a closure made here would keep its variables (`phase`,
    // `done`, `fail`: the opening request's) for as long as the socket lives, through the pool.
    const socket: OwnedSocket = tls ? secureOver(sock, this.origin.hostname, { ...tls, report }, this, plan?.make) : sock;
    this.holdable = !!tls && !plan?.make;
    this.socket = socket;
    this.out = new OutgoingQueue(socket, httpStats);
    socket.connection = this;
    socket.callback = onSocketMessage;
  }

  /** Called by the TCP socket under a TLS one while connecting: notes what the handshake reached. */
  watchTcp(message: number): void {
    const pending = this.pending;
    if (message === SocketMessage.connect && pending) {
      pending.tcpConnected = true;
      pending.phase("tls");
    }
    else if (message === SocketMessage.readable && pending)
      pending.tcpReceived = true;
  }

  /** Called with the bytes the TLS layer reads while connecting: keeps the first 5 (a record header). */
  watchTlsBytes(bytes: Uint8Array): void {
    const pending = this.pending;
    const had = pending?.first ?? new Uint8Array(0);
    if (!pending || had.length >= 5)
      return;
    const first = new Uint8Array(Math.min(5, had.length + bytes.length));
    first.set(had);
    first.set(bytes.subarray(0, first.length - had.length), had.length);
    pending.first = first;
  }

  get connecting(): boolean {
    return this.pending !== undefined;
  }

  /** The socket's message (from its callback, onSocketMessage). */
  message(message: number, value?: number): void {
    const hostname = this.origin.hostname;
    try {
      const pending = this.pending;
      if (message === SocketMessage.connect) {
        this.connected = true;
        this.pending = undefined;
        if (pending?.secure) {
          httpStats.handshakes++;
          if ((this.socket as { resumed?: boolean }).resumed)
            httpStats.resumed++;
          forgetHandshake(this.socket!);
        }
        pending?.done(this);
      }
      else if (message === SocketMessage.readable)
        this.receive();
      else if (message === SocketMessage.writable)
        this.flush();
      else if (message === SocketMessage.disconnect || message === SocketMessage.error) {
        if (pending) {
          this.pending = undefined;
          const { report, secure, plan } = pending;
          if (plan?.fallback && (this.socket as { olderServer?: boolean }).olderServer) {
            // the server speaks TLS 1.2 only: again, over a new TCP connection, with the SDK's 1.2
            this.out!.close();
            httpStats.open--;
            const next = plan.fallback();
            this.connect(pending.address, next.secure, pending.phase, pending.done, pending.fail, next);
            return;
          }
          plan?.failed?.();
          // lin reports a refused connect as connected; SecureSocket's first write (the ClientHello)
          // then fails, giving an error before the peer sent a byte.
          const refused = !report.code && (!secure || !pending.tcpConnected || (message === SocketMessage.error && !pending.tcpReceived));
          if (!refused)
            httpStats.handshakeFailures++;
          const at = refused ? "connect" : "tls";
          const plain = pending.first && notTls(pending.first); // an https URL to a port that is not speaking TLS
          pending.fail(new HttpError(
            refused ? "ERR_CONNECT_REFUSED" : report.code ?? "ERR_TLS_HANDSHAKE",
            refused
              ? `connection to ${pending.address}:${this.origin.port} refused or unreachable`
              : report.code
                ? report.message ?? "refused"
                : plain || (message === SocketMessage.disconnect ? "the server closed the connection during the TLS handshake" : "the TLS handshake failed"),
            { host: hostname, phase: at }));
          this.close();
        }
        else
          this.end(message === SocketMessage.disconnect ? undefined : new HttpError("ERR_SOCKET", "socket error", { host: hostname }));
      }
    }
    catch (error) {
      // A callback must never throw into the SDK (it would abort the VM): end this connection instead.
      this.end(error instanceof HttpError ? error : new HttpError("ERR_SOCKET", String(error), { host: hostname }));
    }
  }

  private receive(): void {
    const socket = this.socket!;
    const buffer = socket.read(ArrayBuffer);
    if (!buffer || !buffer.byteLength)
      return;
    this.receivedAny = true;
    httpStats.bytesRead += buffer.byteLength;
    this.events?.onReceive(new Uint8Array(buffer), this);
  }

  /**
   * The body's reader is behind (its chunks queued): TLS gets no more ciphertext until resume(). Else the
   * SDK's TLS reads on past the record it just handed over, into the next one, whose buffer (the record's
   * full size, up to 16 KB) it allocates as soon as that record's header is read: 16 KB of plaintext waiting
   * for the reader and 16 KB of the next record, where onBody has one or the other. Over the SDK's
   * SecureSocket once connected (on the host runtime its TCP socket is private: a no-op there), and over our
   * TLS 1.3 socket, which keeps what TCP brings by itself (both lanes); plain TCP hands over what one
   * callback read, no more.
   */
  hold(): void {
    const held = this.held;
    const own = this.socket as OwnTlsSocket | undefined;
    if (held)
      held.on = !held.final;
    else if (typeof own?.hold === "function") { // our TLS 1.3 socket holds by itself
      if (this.connected && !this.isClosed)
        own.hold(this.keptPoke ??= () => this.events?.onReceive(nothing ??= new Uint8Array(0), this));
    }
    else if (this.holdable && this.connected && !this.isClosed) {
      const tcp = (this.socket as { sock?: StreamSocket }).sock;
      if (tcp)
        this.held = new Held(tcp, this);
    }
  }

  /**
   * The reader has caught up: TLS reads what was kept, then on as before. `final`: for good (the connection
   * ends, or is no longer the reader's).
   */
  resume(final = false): void {
    const own = this.socket as OwnTlsSocket | undefined;
    if (typeof own?.resume === "function") {
      own.resume();
      return;
    }
    const held = this.held;
    if (!held)
      return;
    held.final ||= final;
    held.on = false;
    if (held.serving)
      return; // the read under way goes on with the rest
    held.serving = true;
    try {
      const left = held.left;
      if (left && !this.isClosed)
        held.handler.call(held.tcp, SocketMessage.readable, left);
    }
    finally {
      held.serving = false;
    }
    if (held.on || this.held !== held)
      return; // held again while TLS read (the rest stays kept), or closed
    this.held = undefined;
    held.remove();
  }

  /** Queues bytes (strings as UTF-8) and writes what the socket takes now. */
  write(data: Uint8Array | string): void {
    if (this.isClosed)
      throw new HttpError("ERR_SOCKET", "write on a closed connection", { host: this.origin.hostname, phase: "send" });
    this.out!.push(data);
    this.flush();
  }

  /** Resolves when everything written so far has been handed to the socket. */
  drained(): Promise<void> {
    if (!this.out?.pending || this.isClosed)
      return Promise.resolve();
    return new Promise((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  private flush(): void {
    const out = this.out;
    if (!out || !this.connected || this.isClosed)
      return;
    try {
      if (!out.flush())
        return; // a writable message brings us back
    }
    catch {
      // lin reports a refused connect as connected; its first send then fails.
      const code = this.uses <= 1 && !this.receivedAny && !this.origin.secure ? "ERR_CONNECT_REFUSED" : "ERR_SOCKET";
      this.end(new HttpError(code, code === "ERR_CONNECT_REFUSED" ? "connection refused (first write failed)" : "write failed", { host: this.origin.hostname, phase: "send" }));
      return;
    }
    this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (!waiters)
      return;
    this.drainWaiters = undefined;
    for (const resolve of waiters)
      resolve();
  }

  private end(error?: HttpError): void {
    if (this.isClosed)
      return;
    this.close();
    this.events?.onEnd(error, this);
  }

  close(): void {
    if (this.isClosed)
      return;
    this.isClosed = true;
    this.pending = this.held = undefined;
    if (this.counted)
      httpStats.open--;
    this.socket = undefined;
    this.out?.close();
    this.wakeDrainWaiters();
  }
}
