// Host `wifi`: a station that is already up. `new WiFi(options, callback)` reports connect then gotIP;
// `WiFi.disconnect()` reports disconnect to every open instance.
type Message = "connect" | "gotIP" | "lostIP" | "disconnect";
const open = new Set<WiFi>();

export default class WiFi {
  static readonly gotIP = "gotIP";
  static readonly lostIP = "lostIP";
  static readonly connected = "connect";
  static readonly disconnected = "disconnect";
  static readonly Mode = { off: -5, none: 0, station: 1, accessPoint: 2 } as const;
  static mode: number = WiFi.Mode.station;
  #callback?: (message: Message) => void;

  constructor(options?: { ssid: string; password?: string }, callback?: (message: Message) => void) {
    this.#callback = callback;
    open.add(this);
    if (options)
      WiFi.connect(options);
  }
  close(): void {
    open.delete(this);
    this.#callback = undefined;
  }
  static connect(_options?: { ssid: string; password?: string }): void {
    setTimeout(() => {
      for (const wifi of open) {
        wifi.#callback?.(WiFi.connected);
        wifi.#callback?.(WiFi.gotIP);
      }
    }, 0);
  }
  static disconnect(): void {
    setTimeout(() => {
      for (const wifi of open)
        wifi.#callback?.(WiFi.disconnected);
    }, 0);
  }
  static scan(_options: unknown, callback: (item: { ssid: string; rssi: number; authentication: string; bssid: ArrayBuffer } | null) => void): void {
    setTimeout(() => {
      callback({ ssid: "host", rssi: -40, authentication: "wpa2_psk", bssid: new ArrayBuffer(6) });
      callback(null);
    }, 0);
  }
}
