/**
 * Shrinking a failure found under a bug switch: fewer faults, a shorter duration, fewer and
 * slower clients, the same invariant still broken by the same seed; the YAML written reproduces.
 */
import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { parseScenario } from "../../src/scenario/load.js";
import { NothingToShrink, shrink } from "../../src/shrink/shrink.js";
import { shrunkScenarioYaml } from "../../src/shrink/yaml.js";
import { PB_SMALL_YAML } from "../sweep/fixtures/scenarios.js";

const pbSmall = parseScenario(PB_SMALL_YAML, "pb-small.yaml");

/** The first of seeds 1..40 that breaks an invariant under `bug`. */
function firstFailingSeed(bug: string): { seed: number; invariants: string[] } {
  for (let seed = 1; seed <= 40; seed++) {
    const result = run(pbSmall, { seed, bugs: [bug] });
    if (result.verdict !== "pass") return { seed, invariants: Object.keys(result.violationCounts) };
  }
  throw new Error(`no seed of 1..40 fails under ${bug}`);
}

describe("shrink", () => {
  it.each(["no-fsync-before-ack", "no-dedup"])("a failure under %s shrinks to fewer faults and a shorter run that breaks the same invariant", (bug) => {
    const { seed, invariants } = firstFailingSeed(bug);
    const steps: string[] = [];
    const outcome = shrink({ scenario: pbSmall, seed, bugs: [bug], onStep: (s) => steps.push(s) });
    expect(outcome.invariant).toBe(invariants[0]);
    expect(outcome.before).toMatchObject({ durationMs: 6000, clients: 4 });
    expect(outcome.before.faults).toBeGreaterThan(1);
    expect(outcome.after.faults).toBeLessThan(outcome.before.faults);
    expect(outcome.after.durationMs).toBeLessThan(outcome.before.durationMs);
    expect(outcome.after.clients).toBeLessThanOrEqual(outcome.before.clients);
    expect(steps[0]).toMatch(/^nemesis replaced by the \d+ faults it drew$/);
    expect(steps).toEqual(outcome.steps);
    // The minimal scenario: no nemesis, explicit faults within the window, seed and bugs inside.
    expect(outcome.scenario["nemesis"]).toBeUndefined();
    expect(outcome.scenario["seed"]).toBe(seed);
    expect(outcome.scenario["bugs"]).toEqual([bug]);
    expect(outcome.result.violationCounts[outcome.invariant]).toBeGreaterThan(0);

    const text = shrunkScenarioYaml(outcome, { from: "pb-small.yaml", file: "min.yaml" });
    expect(text).toMatch(/^# Minimal reproduction written by eosim shrink\.$/m);
    expect(text).toContain(`# original: pb-small.yaml · seed ${seed} · bugs ${bug}`);
    expect(text).toContain(`# invariant that still breaks: ${outcome.invariant}`);
    expect(text).toMatch(/^# before: \d+ faults, durationMs 6000, 4 clients$/m);
    expect(text).toMatch(/^name: pb-small-min$/m);
    // With its seed (from the file) and nothing else, it reproduces the violation.
    const minimal = parseScenario(text, "min.yaml");
    expect(minimal.config.nemesis).toBeUndefined();
    expect(minimal.config.faults).toHaveLength(outcome.after.faults);
    const again = run(minimal);
    expect(again.seed).toBe(seed);
    expect(again.violationCounts[outcome.invariant]).toBeGreaterThan(0);
  });

  it("lowers client counts and rates only as far as the failure still reproduces", () => {
    const { seed } = firstFailingSeed("no-dedup");
    const outcome = shrink({ scenario: pbSmall, seed, bugs: ["no-dedup"] });
    const writers = (outcome.scenario["clients"] as { kind: string; count: number; opsPerSec: number }[]).filter((c) => c.kind === "pb-writer");
    expect(writers).toHaveLength(1);
    expect(writers[0]?.count).toBeGreaterThanOrEqual(1);
    expect(writers[0]?.opsPerSec).toBeLessThanOrEqual(20);
    expect(outcome.steps.some((s) => /^clients\[0\]\.(count|opsPerSec) \d+ -> \d+$/.test(s))).toBe(true);
  });

  it("a seed that breaks nothing has nothing to shrink", () => {
    expect(() => shrink({ scenario: pbSmall, seed: 1 })).toThrow(NothingToShrink);
    expect(() => shrink({ scenario: pbSmall, seed: 1 })).toThrow(/does not break any invariant: it passes/);
  });

  it("keeps the invariant asked for", () => {
    const { seed, invariants } = firstFailingSeed("no-fsync-before-ack");
    const target = invariants[invariants.length - 1] as string;
    const outcome = shrink({ scenario: pbSmall, seed, bugs: ["no-fsync-before-ack"], invariant: target });
    expect(outcome.invariant).toBe(target);
    expect(outcome.result.violationCounts[target]).toBeGreaterThan(0);
    expect(() => shrink({ scenario: pbSmall, seed, bugs: ["no-fsync-before-ack"], invariant: "duplicate" })).toThrow(/does not break invariant duplicate/);
  });

  it("a run budget stops the search and keeps the smallest scenario so far", () => {
    const { seed } = firstFailingSeed("no-dedup");
    const outcome = shrink({ scenario: pbSmall, seed, bugs: ["no-dedup"], maxRuns: 4 });
    expect(outcome.budgetExhausted).toBe(true);
    expect(outcome.result.violationCounts[outcome.invariant]).toBeGreaterThan(0);
  });
});
