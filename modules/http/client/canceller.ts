// A minimal AbortController (XS has none): its `signal` is what a request's `signal` option takes. Apart
// from http/client, which only needs the SignalLike shape, so a client that never aborts does not load it.
import type { SignalLike } from "http/client/options";

/** `new Canceller()`, give `canceller.signal` to requests, `canceller.abort()` ends them with ERR_ABORTED. */
export class Canceller {
  readonly signal: SignalLike & { reason?: string };
  #abort: (reason?: string) => void;
  constructor() {
    let listeners: (() => void)[] = [];
    const signal = {
      aborted: false,
      reason: undefined as string | undefined,
      addEventListener(_type: "abort", listener: () => void) {
        listeners.push(listener);
      },
      removeEventListener(_type: "abort", listener: () => void) {
        listeners = listeners.filter((l) => l !== listener);
      },
    };
    this.signal = signal;
    this.#abort = (reason) => {
      if (signal.aborted)
        return;
      signal.aborted = true;
      signal.reason = reason;
      for (const listener of listeners.slice())
        listener();
    };
  }
  abort(reason?: string): void {
    this.#abort(reason);
  }
}
