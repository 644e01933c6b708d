// The device's temperature, as the /temperature endpoint serves it.
//
// The SDK 8.2 has no module for the ESP32's internal temperature sensor: nothing under modules/ or
// build/devices/esp32 binds ESP-IDF's temperature_sensor driver (nor the original ESP32's undocumented
// one), and a binding would be C, which this kit does not write. So every platform (ESP32, the simulator,
// the Node host runtime) reads this stand-in: a slow, deterministic wave of ±1.5 °C around 24 °C over
// 10 minutes, to 0.1 °C, marked `source: "stand-in"`. A board with a real sensor maps its own module to
// "sensors/temperature" in its manifest (under "platforms": {"esp32": …}) with the same export.

export interface TemperatureReading {
  value: number;
  unit: "C";
  /** When it was read (ISO 8601; 1970 on a device whose clock is not set). */
  time: string;
  /** Where the value comes from. */
  source: "stand-in";
}

const BASE_C = 24;
const SWING_C = 1.5;
const PERIOD_MS = 600000;

export function readTemperature(now: number = Date.now()): TemperatureReading {
  const value = BASE_C + SWING_C * Math.sin((2 * Math.PI * (now % PERIOD_MS)) / PERIOD_MS);
  return { value: Math.round(value * 10) / 10, unit: "C", time: new Date(now).toISOString(), source: "stand-in" };
}
