// Host `net`: the station's state on the host (loopback), and name resolution.
import { config, resolveHost } from "../runtime.js";

const Net = {
  get(what: string): string | number | string[] | undefined {
    switch (what) {
      case "IP": return "127.0.0.1";
      case "MAC": return "02:00:00:00:00:01";
      case "SSID": return typeof config.ssid === "string" ? config.ssid : "host";
      case "BSSID": return "02:00:00:00:00:02";
      case "RSSI": return -40;
      case "DNS": return (process.env.HOST_DNS ?? "").split(",").filter(Boolean);
      default: return undefined;
    }
  },
  /** Calls back with (name, address), or (name) alone when the name does not resolve. */
  resolve(name: string, callback: (name: string, address?: string) => void): void {
    resolveHost(name).then((address) => callback(name, address), () => callback(name));
  },
};

export default Net;
