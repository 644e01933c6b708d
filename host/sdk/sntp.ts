// Host `sntp`, after the SDK's modules/network/sntp/sntp.js: one request, resent every 5 s up to 5 times,
// then `error` (the callback may return another host to try). Port 123, or $HOST_SNTP_PORT for tests.
import dgram from "node:dgram";
import Timer from "./timer.js";
import { resolveHost } from "../runtime.js";

type Callback = (message: number, value?: number | string) => string | void;
const NTP_EPOCH_OFFSET = 2208988800;
export const RETRY_MS = Number(process.env.HOST_SNTP_RETRY_MS ?? 5000);

export default class SNTP {
  static readonly time = 1;
  static readonly retry = 2;
  static readonly error = -1;
  #socket = dgram.createSocket("udp4");
  #callback: Callback;
  #timer?: Timer;
  #retry = 5;
  #address?: string;

  constructor(dictionary: { host: string }, callback: Callback) {
    this.#callback = callback;
    this.#socket.on("message", (packet) => this.#receive(packet));
    this.#socket.on("error", () => undefined);
    this.#timer = Timer.repeat(() => {
      if (!--this.#retry)
        return this.#failed("no response from SNTP server");
      this.#send();
      this.#callback(SNTP.retry);
    }, RETRY_MS);
    this.#start(dictionary.host);
  }
  #start(host: string): void {
    this.#retry = 5;
    resolveHost(host).then(
      (address) => {
        if (!this.#timer)
          return;
        this.#address = address;
        this.#send();
      },
      () => this.#failed("cannot resolve " + host),
    );
  }
  #send(): void {
    if (!this.#address)
      return;
    const packet = Buffer.alloc(48);
    packet[0] = (4 << 3) | 3; // version 4, client mode
    this.#socket.send(packet, Number(process.env.HOST_SNTP_PORT ?? 123), this.#address);
  }
  #receive(packet: Buffer): void {
    if (packet.length !== 48)
      return this.#failed("unexpected SNTP packet length");
    if ((packet[0] & 7) !== 4)
      return this.#failed("unexpected SNTP packet first byte");
    if (packet[1] === 0)
      return; // Kiss-o'-Death: ignored
    const seconds = packet.readUInt32BE(40) - NTP_EPOCH_OFFSET;
    this.close();
    this.#callback(SNTP.time, seconds);
  }
  #failed(message: string): void {
    const next = this.#callback(SNTP.error, message);
    if (next && this.#timer)
      this.#start(next);
    else
      this.close();
  }
  close(): void {
    Timer.clear(this.#timer);
    this.#timer = undefined;
    try {
      this.#socket.close();
    }
    catch {
      // already closed
    }
  }
}
