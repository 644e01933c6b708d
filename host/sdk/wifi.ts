// Host `wifi`: a station that is up by default (connect, then gotIP), with a scripted driver for tests:
// `wifiDriver.script` lists what the next join attempts do, `wifiDriver.drop()` loses the link.
// Like the ESP32 build, a rejected password is reported as ("disconnect", -1).
type Message = "connect" | "gotIP" | "lostIP" | "disconnect";
type Callback = (message: Message, value?: number) => void;
export type JoinOutcome = "ok" | "fail" | "auth" | "silent";

const open = new Set<WiFi>();

export const wifiDriver = {
  /** Outcomes of the next join attempts, consumed in order; "ok" once it is empty. */
  script: [] as JoinOutcome[],
  /** Joins attempted so far, with the SSIDs asked for (never the passwords). */
  joins: [] as string[],
  /** Loses the link: every open instance hears "disconnect". */
  drop(): void {
    for (const wifi of Array.from(open))
      wifi.notify("disconnect");
  },
  reset(): void {
    this.script = [];
    this.joins = [];
  },
};

export default class WiFi {
  static readonly gotIP = "gotIP";
  static readonly lostIP = "lostIP";
  static readonly connected = "connect";
  static readonly disconnected = "disconnect";
  static readonly Mode = { off: -5, none: 0, station: 1, accessPoint: 2 } as const;
  static mode: number = WiFi.Mode.station;
  #callback?: Callback;

  constructor(options?: { ssid: string; password?: string }, callback?: Callback) {
    this.#callback = callback;
    open.add(this);
    if (options)
      this.#join(options.ssid);
  }
  /** Delivers a message the way the SDK does: later, from the event loop. */
  notify(message: Message, value?: number): void {
    setTimeout(() => this.#callback?.(message, value), 0);
  }
  #join(ssid: string): void {
    wifiDriver.joins.push(ssid);
    const outcome = wifiDriver.script.shift() ?? "ok";
    if (outcome === "ok") {
      this.notify("connect");
      this.notify("gotIP");
    }
    else if (outcome === "fail")
      this.notify("disconnect");
    else if (outcome === "auth")
      this.notify("disconnect", -1);
  }
  close(): void {
    open.delete(this);
    this.#callback = undefined;
  }
  static connect(options?: { ssid: string; password?: string }): void {
    if (options)
      for (const wifi of Array.from(open))
        wifi.#join(options.ssid);
  }
  static disconnect(): void {
    wifiDriver.drop();
  }
  static scan(_options: unknown, callback: (item: { ssid: string; rssi: number; authentication: string; bssid: ArrayBuffer } | null) => void): void {
    setTimeout(() => {
      callback({ ssid: "host", rssi: -40, authentication: "wpa2_psk", bssid: new ArrayBuffer(6) });
      callback(null);
    }, 0);
  }
}
