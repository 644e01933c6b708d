// Host `instrumentation`: the SDK's counters by index, with Node's nearest equivalents (V8's heap for the XS
// heaps, the host's free memory), and one of its own, "Host Runtime", by which code can tell them from a device's.
import os from "node:os";
import { counters } from "../runtime.js";

const names = [
  "Pixels Drawn", "Frames Drawn", "Network Bytes Read", "Network Bytes Written", "Network Sockets",
  "Timers", "Files", "Poco Display List Used", "Piu Command List Used", "Turns", "CPU 0", "CPU 1",
  "System Free Memory", "XS Slot Heap Used", "XS Chunk Heap Used", "XS Keys Used",
  "XS Garbage Collection Count", "XS Modules Loaded", "XS Stack Used", "XS Promises Settled",
  // not the SDK's: says that these figures are the host's (main.ts's memory line names them so)
  "Host Runtime",
];

const readers: Record<string, () => number> = {
  "Network Bytes Read": () => counters.bytesRead,
  "Network Bytes Written": () => counters.bytesWritten,
  "Network Sockets": () => counters.sockets,
  "Timers": () => counters.timers,
  "Host Runtime": () => 1,
  "System Free Memory": () => os.freemem(), // the host's; process.constrainedMemory() is 2^64 when unconstrained
  // XS keeps ArrayBuffer data in its chunk heap; V8 keeps it outside heapUsed.
  "XS Chunk Heap Used": () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  },
  "XS Slot Heap Used": () => process.memoryUsage().heapUsed,
};

const Instrumentation = {
  /** The index of a counter by name (1-based, as in the SDK), or undefined. */
  map(name: string): number | undefined {
    const index = names.indexOf(name);
    return index < 0 ? undefined : index + 1;
  },
  name(what: number | undefined): string | undefined {
    return what === undefined ? undefined : names[what - 1];
  },
  get(what: number | undefined): number | undefined {
    const name = Instrumentation.name(what);
    return name === undefined ? undefined : (readers[name]?.() ?? 0);
  },
};

export default Instrumentation;
