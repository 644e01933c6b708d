// Host `Resource`: the app's resources, read from the folders the manifest's `resources` names
// (plus $HOST_RESOURCES). Like the SDK, a missing resource throws.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { X509Certificate } from "node:crypto";
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

/** Every certificate among the resources (`.der`, `.pem`, `.crt`), as PEM: the host's stand-in for the SDK's CA store. */
export function certificateResources(): string[] {
  const found: string[] = [];
  for (const dir of resourceDirs) {
    if (!existsSync(dir))
      continue;
    for (const name of readdirSync(dir)) {
      if (!/\.(der|pem|crt)$/.test(name))
        continue;
      const data = readFileSync(path.join(dir, name));
      if (name.endsWith(".der")) {
        try {
          found.push(new X509Certificate(data).toString());
        }
        catch {
          // not a certificate (a key, say): not a trust anchor
        }
      }
      else
        found.push(...(data.toString("latin1").match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []));
    }
  }
  return found;
}
