import { run } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";

/** Runs a scenario for seeds 1..`seeds`; one line per seed that did not pass (its invariants and first message). */
export function failingSeeds(file: string, seeds = 500): string[] {
  const scenario = loadScenario(file);
  const failing: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const result = run(scenario, { seed });
    if (result.verdict !== "pass") failing.push(`seed ${seed}: ${Object.keys(result.violationCounts).join(",")} — ${result.violations[0]?.message ?? ""}`);
  }
  return failing;
}
