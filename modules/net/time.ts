// Sets the clock with SNTP before the first verified TLS connection (certificate dates need it), with
// fail-over across servers and one deadline for the whole attempt.
import { KitError } from "kit/error";
import SNTP from "sntp";
import Time from "time";
import Timer from "timer";
import BUILD_TIME from "net/build-time";

export { BUILD_TIME };

export type ClockErrorCode = "ERR_SNTP_TIMEOUT" | "ERR_SNTP_FAILED";

export class ClockError extends KitError<ClockErrorCode> {
  override name = "ClockError";
}

export interface ClockOptions {
  /** SNTP servers, tried in turn. Default: config.sntp's value. */
  servers: string[];
  /** Deadline for the whole attempt, ms. Default 15000. */
  timeout?: number;
}

/** True once the clock reads no earlier than the firmware's build time. */
export function clockIsSet(now: number = Date.now()): boolean {
  return now >= BUILD_TIME;
}

/** Asks the servers in turn; sets the clock from the first answer and resolves with it. */
export function setClock(options: ClockOptions): Promise<Date> {
  const servers = options.servers.filter(Boolean);
  const timeout = options.timeout ?? 15000;
  return new Promise((resolve, reject) => {
    if (!servers.length)
      return reject(new ClockError("ERR_SNTP_FAILED", "no SNTP server configured"));
    let next = 1;
    let sntp: SNTP | undefined;
    let settled = false;
    const finish = (error?: ClockError, seconds?: number) => {
      if (settled)
        return;
      settled = true;
      Timer.clear(timer);
      try {
        (sntp as unknown as { close?: () => void } | undefined)?.close?.();
      }
      catch {
        // already closed by itself
      }
      if (error)
        return reject(error);
      Time.set(seconds!);
      trace(`time: clock set to ${new Date(seconds! * 1000).toISOString()}\n`);
      resolve(new Date(seconds! * 1000));
    };
    const timer = Timer.set(() => finish(new ClockError("ERR_SNTP_TIMEOUT", `no SNTP answer from ${servers.join(", ")} within ${timeout} ms`)), timeout);
    sntp = new SNTP({ host: servers[0] }, (message: number, value?: number | string) => {
      if (message === SNTP.time)
        finish(undefined, value as number);
      else if (message === SNTP.error) {
        if (next < servers.length)
          return servers[next++] as unknown as void; // the SDK's SNTP tries the host its callback returns
        finish(new ClockError("ERR_SNTP_FAILED", `SNTP failed: ${value}`));
      }
    });
  });
}
