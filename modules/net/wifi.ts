// Joins a WiFi network as a station, on the SDK's `wifi` and `net`: a deadline per attempt, retries with
// exponential backoff, rejoin after a drop, events for each change, a typed error when it gives up.
// The password is never traced or put in an event.
//
// States: idle → joining (attempt, backoff, attempt…) → up → (drop) joining … | closed.
import { KitError } from "kit/error";
import WiFi from "wifi";
import Net from "net";
import Timer from "timer";

export type WiFiErrorCode = "ERR_WIFI_AUTH" | "ERR_WIFI_GAVE_UP" | "ERR_WIFI_CLOSED";

export class WiFiError extends KitError<WiFiErrorCode> {
  override name = "WiFiError";
}

export interface StationOptions {
  ssid: string;
  /** Never traced. Omit for an open network. */
  password?: string;
  /** Deadline of one join attempt, ms. Default 15000. */
  attemptTimeout?: number;
  /** Attempts before giving up with ERR_WIFI_GAVE_UP. Default 5. */
  attempts?: number;
  /** Wait before the second attempt, ms; doubles per attempt up to `maxBackoff`. Default 1000. */
  backoff?: number;
  /** Longest wait between attempts, ms. Default 30000. */
  maxBackoff?: number;
  /** Rejoin after the link drops. Default true. */
  reconnect?: boolean;
}

export type StationEvent =
  | { type: "connected"; ip: string; rssi: number; attempt: number }
  | { type: "disconnected"; reason: "dropped" | "timeout" | "auth" | "failed" }
  | { type: "retry"; attempt: number; delay: number }
  | { type: "gave-up"; error: WiFiError };

type Listener = (event: StationEvent) => void;

export class Station {
  readonly #options: Required<Omit<StationOptions, "password">> & { password?: string };
  readonly #listeners = new Set<Listener>();
  #wifi: WiFi | undefined;
  #timer: ReturnType<typeof Timer.set> | undefined;
  #state: "idle" | "joining" | "up" | "closed" = "idle";
  #attempt = 0;
  #waiters: { resolve(value: { ip: string; rssi: number }): void; reject(error: WiFiError): void }[] = [];

  constructor(options: StationOptions) {
    this.#options = {
      attemptTimeout: 15000, attempts: 5, backoff: 1000, maxBackoff: 30000, reconnect: true, ...options,
    };
  }

  get connected(): boolean {
    return this.#state === "up";
  }

  /** Listens to connected / disconnected / retry / gave-up; returns the function that stops listening. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the address once joined; rejects with a WiFiError when the attempts run out. */
  join(): Promise<{ ip: string; rssi: number }> {
    if (this.#state === "closed")
      return Promise.reject(new WiFiError("ERR_WIFI_CLOSED", "station closed"));
    if (this.#state === "up")
      return Promise.resolve(this.#address());
    const joined = new Promise<{ ip: string; rssi: number }>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#state === "idle") {
      this.#attempt = 0;
      this.#start();
    }
    return joined;
  }

  /** Stops joining and listening; the link itself is left as it is. */
  close(): void {
    this.#state = "closed";
    this.#stopAttempt();
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(new WiFiError("ERR_WIFI_CLOSED", "station closed"));
  }

  #emit(event: StationEvent): void {
    for (const listener of Array.from(this.#listeners)) {
      try {
        listener(event);
      }
      catch {
        // a listener's failure is its own
      }
    }
  }

  #address(): { ip: string; rssi: number } {
    return { ip: String(Net.get("IP") ?? ""), rssi: Number(Net.get("RSSI") ?? 0) };
  }

  #start(): void {
    this.#state = "joining";
    this.#attempt++;
    trace(`wifi: joining "${this.#options.ssid}" (attempt ${this.#attempt} of ${this.#options.attempts})\n`);
    const { ssid, password } = this.#options;
    this.#wifi = new WiFi(password ? { ssid, password } : { ssid }, (message: string, value?: number) => this.#onMessage(message, value));
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      this.#failed("timeout");
    }, this.#options.attemptTimeout);
  }

  #onMessage(message: string, value?: number): void {
    if (this.#state === "closed")
      return;
    if (message === WiFi.gotIP && this.#state === "joining") {
      this.#clearTimer();
      this.#state = "up";
      const address = this.#address();
      trace(`wifi: connected, ip ${address.ip}, rssi ${address.rssi}\n`);
      this.#emit({ type: "connected", ...address, attempt: this.#attempt });
      for (const waiter of this.#waiters.splice(0))
        waiter.resolve(address);
    }
    else if (message === WiFi.disconnected || message === WiFi.lostIP) {
      if (this.#state === "joining")
        this.#failed(value === -1 ? "auth" : "failed");
      else if (this.#state === "up") {
        trace("wifi: link lost\n");
        this.#stopAttempt();
        this.#emit({ type: "disconnected", reason: "dropped" });
        if (this.#options.reconnect) {
          this.#attempt = 0;
          this.#start();
        }
        else
          this.#state = "idle";
      }
    }
  }

  #failed(reason: "timeout" | "auth" | "failed"): void {
    this.#stopAttempt();
    this.#emit({ type: "disconnected", reason });
    if (reason === "auth")
      return this.#giveUp(new WiFiError("ERR_WIFI_AUTH", `"${this.#options.ssid}" rejected the password`));
    if (this.#attempt >= this.#options.attempts)
      return this.#giveUp(new WiFiError("ERR_WIFI_GAVE_UP", `could not join "${this.#options.ssid}" in ${this.#attempt} attempts (last: ${reason})`));
    const delay = Math.min(this.#options.backoff * 2 ** (this.#attempt - 1), this.#options.maxBackoff);
    trace(`wifi: attempt ${this.#attempt} ${reason}; next in ${delay} ms\n`);
    this.#emit({ type: "retry", attempt: this.#attempt + 1, delay });
    this.#timer = Timer.set(() => {
      this.#timer = undefined;
      if (this.#state === "joining")
        this.#start();
    }, delay);
  }

  #giveUp(error: WiFiError): void {
    trace(`wifi: ${error.message}\n`);
    this.#state = "idle";
    this.#emit({ type: "gave-up", error });
    for (const waiter of this.#waiters.splice(0))
      waiter.reject(error);
  }

  #clearTimer(): void {
    if (this.#timer)
      Timer.clear(this.#timer);
    this.#timer = undefined;
  }

  #stopAttempt(): void {
    this.#clearTimer();
    const wifi = this.#wifi;
    this.#wifi = undefined;
    wifi?.close();
  }
}
