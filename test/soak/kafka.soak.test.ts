import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";

/** `npm run soak`: the correct Kafka model holds every invariant over many seeds (not in CI). */
describe("soak: kafka data plane", () => {
  for (const file of ["scenarios/idempotent-producer.yaml", "scenarios/follower-restart.yaml", "scenarios/preferred-leader-election.yaml"]) {
    it(`${file}: every invariant holds for seeds 1..500 with the default nemesis`, () => {
      const scenario = loadScenario(file);
      const failing: string[] = [];
      for (let seed = 1; seed <= 500; seed++) {
        const result = run(scenario, { seed });
        if (result.verdict !== "pass") failing.push(`seed ${seed}: ${Object.keys(result.violationCounts).join(",")} — ${result.violations[0]?.message ?? ""}`);
      }
      expect(failing).toEqual([]);
    });
  }
});
