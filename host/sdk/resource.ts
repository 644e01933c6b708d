// Host `Resource`: the app's resources, read from the folders the manifest's `resources` names
// (plus $HOST_RESOURCES). Like the SDK, a missing resource throws.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { resourceDirs } from "../runtime.js";

function find(name: string): string | undefined {
  for (const dir of resourceDirs) {
    const file = path.join(dir, name);
    if (existsSync(file))
      return file;
  }
  return undefined;
}

export default class Resource {
  constructor(name: string) {
    const file = find(name);
    if (!file)
      throw new Error(`Resource not found: ${name}`);
    const data = readFileSync(file);
    // A Resource is a read-only host buffer on the device; an ArrayBuffer copy stands in for it here.
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as unknown as Resource;
  }
  static exists(name: string): boolean {
    return find(name) !== undefined;
  }
}
