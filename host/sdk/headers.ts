// Host `headers`: as the SDK's modules/data/headers: a Map with lower-cased keys and string values.
export default class Headers extends Map<string, string> {
  override delete(key: string): boolean {
    return super.delete(String(key).toLowerCase());
  }
  override get(key: string): string | undefined {
    return super.get(String(key).toLowerCase());
  }
  override has(key: string): boolean {
    return super.has(String(key).toLowerCase());
  }
  override set(key: string, value: string): this {
    return super.set(String(key).toLowerCase(), String(value));
  }
}
