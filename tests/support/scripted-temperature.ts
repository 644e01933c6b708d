// A temperature sensor the tests set, in place of `sensors/temperature` in the app on the host runtime
// ($HOST_MODULES): each reading is the number in the file named by $SCRIPTED_TEMPERATURE, read anew.
import { readFileSync } from "node:fs";
import type { TemperatureReading } from "sensors/temperature";

export function readTemperature(now: number = Date.now()): TemperatureReading {
  const value = Number(readFileSync(process.env.SCRIPTED_TEMPERATURE ?? "", "utf8"));
  return { value, unit: "C", time: new Date(now).toISOString(), source: "stand-in" };
}
