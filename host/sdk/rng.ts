// Host `rng`: the SDK's modules/crypt/etc/rng.js (get(n): n random bytes as an ArrayBuffer), on node:crypto.
import { randomBytes } from "node:crypto";

const RNG = Object.freeze({
  get(count: number): ArrayBuffer {
    return new Uint8Array(randomBytes(count)).buffer;
  },
  init(_seed?: unknown): void {
    // node:crypto seeds itself
  },
});

export default RNG;
