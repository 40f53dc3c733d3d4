import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { loadScenario } from "../../src/scenario/load.js";
import { kafka } from "../../src/systems/kafka/system.js";

/**
 * The shape of every bug-switch test: scenarios/bugs/<switch>.yaml sets up the situation the
 * guard exists for; a sweep over a few seeds with the switch finds the first invariant the
 * catalog names (`caughtBy`), breaks nothing the catalog does not name, and the same seeds
 * without the switch find nothing at all.
 */
export function caughtBy(bug: string): readonly string[] {
  const entry = kafka.bugs.find((b) => b.name === bug);
  if (entry === undefined) throw new Error(`${bug} is not in the kafka catalog`);
  return entry.caughtBy;
}

/** Runs the sweep; returns per seed the invariants it broke. */
export function sweepBug(bug: string, seeds: readonly number[], bugs: readonly string[], file = `scenarios/bugs/${bug}.yaml`): Map<number, string[]> {
  const scenario = loadScenario(file);
  return new Map(seeds.map((seed) => [seed, Object.keys(run(scenario, { seed, bugs }).violationCounts).sort()]));
}

export function describeSwitch(bug: string, mechanism: string, seeds: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8]): void {
  describe(bug, () => {
    const named = caughtBy(bug);

    it(`with the switch a sweep finds ${named[0] ?? "?"}: ${mechanism}`, () => {
      const broken = sweepBug(bug, seeds, [bug]);
      const finding = [...broken].filter(([, invariants]) => invariants.includes(named[0] as string)).map(([seed]) => seed);
      expect(finding.length, `seeds that found ${named[0]}: ${JSON.stringify([...broken])}`).toBeGreaterThan(0);
      for (const invariants of broken.values()) for (const invariant of invariants) expect(named).toContain(invariant);
    });

    it("without the switch the same sweep finds nothing", () => {
      const broken = sweepBug(bug, seeds, []);
      expect([...broken].filter(([, invariants]) => invariants.length > 0)).toEqual([]);
    });
  });
}
