// The firmware's build time, in ms since 1970. This module is preloaded (modules/manifest.json): XS runs
// it while mcconfig links the firmware, so `Date.now()` here is the build machine's clock, kept in flash.
// A device clock earlier than this has not been set (ESP32s start in 1970).
const BUILD_TIME: number = Date.now();

export default BUILD_TIME;
