// A tiny test API that runs the same cases under mocha (Node lane) and inside the device test app
// (simulator lane). Device code: only the SDK's modules, no Node.
import Timer from "timer";
import { HttpError } from "http/errors";

/** Where a case cannot run, and why (said in one line by the runner). */
export interface Skip {
  lane: "node" | "sim";
  reason: string;
}

export interface TestCase {
  name: string;
  run(): Promise<void>;
  skip?: Skip;
}

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition)
    throw new AssertionError(message);
}

function show(value: unknown): string {
  if (value instanceof ArrayBuffer)
    return `ArrayBuffer[${Array.from(new Uint8Array(value)).join(",")}]`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

export function equal<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected)
    throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function equalBytes(actual: ArrayBuffer | Uint8Array, expected: ArrayLike<number>, what: string): void {
  const a = actual instanceof Uint8Array ? actual : new Uint8Array(actual);
  const same = a.length === expected.length && a.every((byte, i) => byte === expected[i]);
  if (!same)
    throw new AssertionError(`${what}: expected [${Array.from(expected).join(",")}], got [${Array.from(a).join(",")}]`);
}

/** Settles with `promise`, or rejects after `ms` naming what did not happen. */
export function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = Timer.set(() => reject(new AssertionError(`no ${what} within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        Timer.clear(timer);
        resolve(value);
      },
      (error: unknown) => {
        Timer.clear(timer);
        reject(error);
      },
    );
  });
}

/** Awaits `work`, which must fail with an HttpError of `code`; returns the error. */
export async function rejects(work: () => Promise<unknown>, code: string): Promise<HttpError> {
  try {
    await work();
  }
  catch (error) {
    assert(error instanceof HttpError, `expected HttpError ${code}, got ${String(error)}`);
    equal(error.code, code, `error code (${error.message})`);
    return error;
  }
  throw new AssertionError(`expected ${code}, but it succeeded`);
}

/** mulberry32: a small deterministic PRNG returning [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
