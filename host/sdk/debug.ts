// Host `debug`: Debug.gc() collects garbage (Node started with --expose-gc), Debug.gc(false/true) is a no-op.
const Debug = {
  gc(enable?: boolean): void {
    if (enable === undefined)
      (globalThis as { gc?: () => void }).gc?.();
  },
};

export default Debug;
