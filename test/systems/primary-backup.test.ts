import { describe, expect, it } from "vitest";
import { DEFAULT_NEMESIS, invariantsBroken, pbScenario, sweep } from "../helpers/scenarios.js";
import { run } from "../../src/run/run.js";

const SEEDS = 12;

describe("primary-backup log (the kernel's demonstration system)", () => {
  const scenario = pbScenario(DEFAULT_NEMESIS);

  it("holds every invariant under the default nemesis on the correct model", () => {
    const results = sweep(scenario, 1, SEEDS);
    expect(invariantsBroken(results)).toEqual([]);
    expect(results.every((r) => r.verdict === "pass" && r.exitCode === 0)).toBe(true);
    // The sweep must have done something: faults applied, appends acknowledged.
    expect(results.every((r) => r.faults.length > 3 && r.historyOps > 100)).toBe(true);
  });

  it("no-dedup: a sweep finds duplicates, which the same sweep without the switch does not", () => {
    const results = sweep(scenario, 1, SEEDS, ["no-dedup"]);
    expect(invariantsBroken(results)).toContain("duplicate");
    const failing = results.find((r) => (r.violationCounts["duplicate"] ?? 0) > 0);
    expect(failing?.exitCode).toBe(1);
    const violation = failing?.violations.find((v) => v.invariant === "duplicate");
    expect(violation?.evidence.ops.length).toBeGreaterThan(0);
    expect(violation?.evidence.traceIndices.length).toBeGreaterThan(0);
  });

  it("no-fsync-before-ack: a sweep finds lost acknowledged writes, which the same sweep without the switch does not", () => {
    const results = sweep(scenario, 1, SEEDS, ["no-fsync-before-ack"]);
    expect(invariantsBroken(results)).toContain("lost-write");
    expect(invariantsBroken(sweep(scenario, 1, SEEDS))).not.toContain("lost-write");
  });

  it("a scheduled crash that loses the primary's page cache breaks lost-write only under no-fsync-before-ack", () => {
    const crash = pbScenario(`faults:
  - { atMs: 8000, kind: crash, node: r1, loseUnflushed: true }
  - { atMs: 9000, kind: restart, node: r1 }
`);
    expect(run(crash, { seed: 1 }).verdict).toBe("pass");
    const buggy = run(crash, { seed: 1, bugs: ["no-fsync-before-ack"] });
    expect(buggy.verdict).toBe("safety-violation");
    expect(buggy.violationCounts["lost-write"]).toBeGreaterThan(0);
  });

  it("a liveness phase too short to converge fails liveness (exit 3) and names what is pending", () => {
    const partitioned = `faults:
  - { atMs: 15000, kind: partition, shape: isolate, node: r1 }
`;
    const tooShort = pbScenario(`${partitioned}liveness: { durationMs: 1 }\n`);
    const result = run(tooShort, { seed: 2 });
    expect(result.verdict).toBe("liveness-violation");
    expect(result.exitCode).toBe(3);
    expect(result.violations[0]?.message).toMatch(/still has an append without outcome|committed entries/);
    const longEnough = pbScenario(`${partitioned}liveness: { durationMs: 10000 }\n`);
    expect(run(longEnough, { seed: 2 }).verdict).toBe("pass");
  });
});
