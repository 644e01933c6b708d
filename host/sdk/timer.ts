// Host `timer` (documentation/base/timer.md): set, repeat, schedule, clear, delay.
import { counters } from "../runtime.js";

type Callback = (timer: Timer) => void;

export default class Timer {
  #handle?: NodeJS.Timeout;
  #callback: Callback;
  private constructor(callback: Callback) {
    this.#callback = callback;
  }
  #arm(interval: number, repeat?: number): void {
    this.#stop();
    counters.timers++;
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      counters.timers--;
      if (repeat !== undefined && repeat > 0)
        this.#arm(repeat, repeat);
      this.#callback(this);
    }, interval);
  }
  #stop(): void {
    if (this.#handle) {
      clearTimeout(this.#handle);
      counters.timers--;
      this.#handle = undefined;
    }
  }
  /** Calls back once after `interval` ms (0 if omitted), then every `repeat` ms if given. */
  static set(callback: Callback, interval = 0, repeat?: number): Timer {
    const timer = new Timer(callback);
    timer.#arm(interval, repeat);
    return timer;
  }
  static repeat(callback: Callback, interval: number): Timer {
    return Timer.set(callback, interval, interval);
  }
  /** Re-arms a timer; with no interval it is left unscheduled until scheduled again. */
  static schedule(timer: Timer, interval?: number, repeat?: number): void {
    if (interval === undefined)
      timer.#stop();
    else
      timer.#arm(interval, repeat);
  }
  static clear(timer: Timer | undefined | null): void {
    if (timer)
      timer.#stop();
  }
  /** Blocks for `ms`, as the SDK's Timer.delay does. */
  static delay(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}
