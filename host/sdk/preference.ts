// Host `preference`: the SDK's Preference (domain, key → boolean, integer, string or ArrayBuffer), kept in
// this process's memory: values outlive the objects that wrote them, as they outlive a reboot on a device.
// ArrayBuffers are copied in and out, as the device's store does.
type Value = boolean | number | string | ArrayBuffer;

const domains = new Map<string, Map<string, Value>>();

const Preference = {
  set(domain: string, key: string, value: Value): void {
    if (!(typeof value === "boolean" || typeof value === "string" || value instanceof ArrayBuffer || Number.isInteger(value)))
      throw new Error("invalid value");
    let keys = domains.get(domain);
    if (!keys)
      domains.set(domain, keys = new Map());
    keys.set(key, value instanceof ArrayBuffer ? value.slice(0) : value);
  },
  get(domain: string, key: string): Value | undefined {
    const value = domains.get(domain)?.get(key);
    return value instanceof ArrayBuffer ? value.slice(0) : value;
  },
  delete(domain: string, key: string): void {
    domains.get(domain)?.delete(key);
  },
  keys(domain: string): string[] {
    return Array.from(domains.get(domain)?.keys() ?? []);
  },
};

export default Preference;
