// Host `url`: the SDK's WHATWG URL and URLSearchParams are Node's own.
const { URL, URLSearchParams } = globalThis;
export { URL, URLSearchParams };
export default URL;
