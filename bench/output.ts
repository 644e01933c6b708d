// Where a benchmark writes its figures: over the committed file (bench/<name>) only when asked, with
// BENCH_UPDATE=1 or --update; otherwise to build/bench-<name>, which git ignores.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../host/paths.js";

export const updating = process.env.BENCH_UPDATE === "1" || process.argv.includes("--update");

/** The file to write `name` (results.json, memory.json) to, and how to show it (relative to the project). */
export function outputFile(name: string): { file: string; shown: string } {
  const file = updating ? path.join(projectRoot, "bench", name) : path.join(projectRoot, "build", `bench-${name}`);
  mkdirSync(path.dirname(file), { recursive: true });
  return { file, shown: path.relative(projectRoot, file) + (updating ? "" : " (the committed bench/" + name + " is unchanged: BENCH_UPDATE=1 writes it)") };
}
