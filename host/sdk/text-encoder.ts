// Host `text/encoder`.
export default globalThis.TextEncoder;
