// Host `text/decoder`: UTF-8 only, as the SDK's.
export default globalThis.TextDecoder;
