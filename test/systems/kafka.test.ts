import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { loadScenario, parseScenario, type Scenario } from "../../src/scenario/load.js";
import type { RunResult } from "../../src/run/result.js";

function variant(file: string, from: string, to: string): Scenario {
  const base = loadScenario(file);
  if (!base.source.includes(from)) throw new Error(`${file} has no ${from}`);
  return parseScenario(base.source.replace(from, to), file);
}

function broken(results: readonly RunResult[]): string[] {
  return [...new Set(results.flatMap((r) => Object.keys(r.violationCounts)))].sort();
}

/** A shorter idempotent-producer so that sweeps fit the CI budget. */
const IDEMPOTENT = variant("scenarios/idempotent-producer.yaml", "durationMs: 60000", "durationMs: 25000");

describe("kafka: idempotent producer under faults", () => {
  const seeds = [1, 2, 3];
  const sweep = (bugs: string[] = []) => seeds.map((seed) => run(IDEMPOTENT, { seed, bugs }));

  it("holds every invariant on the correct model, with faults actually applied", () => {
    const results = sweep();
    expect(broken(results)).toEqual([]);
    expect(results.every((r) => r.faults.length >= 3 && r.historyOps > 1000)).toBe(true);
  });

  it("no-dedup: a retried batch is appended again, and duplicate reports it", () => {
    expect(broken(sweep(["no-dedup"]))).toContain("duplicate");
  });

  it("dedup-window-1: the epoch bump after an old retry re-sends written batches, and duplicate reports it", () => {
    expect(broken(sweep(["dedup-window-1"]))).toContain("duplicate");
  });
});

describe("kafka: real configurations behave like Kafka, and the checkers say so", () => {
  it("acks=1 with a leader failover loses acknowledged writes (lost-write); acks=-1 does not", () => {
    const file = "scenarios/anomalies/acks1-leader-failover.yaml";
    const acks1 = run(loadScenario(file));
    expect(acks1.verdict).toBe("safety-violation");
    expect(acks1.violationCounts["lost-write"]).toBeGreaterThan(0);
    expect(run(variant(file, "acks: 1", "acks: -1")).verdict).toBe("pass");
  });

  it("unclean leader election loses acknowledged writes (lost-write, inconsistent-offsets); a clean one waits instead", () => {
    const file = "scenarios/anomalies/unclean-election.yaml";
    const unclean = run(loadScenario(file));
    expect(unclean.violationCounts["lost-write"]).toBeGreaterThan(0);
    expect(unclean.violationCounts["inconsistent-offsets"]).toBeGreaterThan(0);
    expect(unclean.assertions.find((a) => a.name === "kafka: unclean leader election")?.hits).toBeGreaterThan(0);
    expect(run(variant(file, "uncleanLeaderElectionEnable: true", "uncleanLeaderElectionEnable: false")).verdict).toBe("pass");
  });

  it("enable.idempotence=false with retries duplicates records (duplicate); idempotence on does not", () => {
    const file = "scenarios/anomalies/non-idempotent-retries.yaml";
    const plain = run(loadScenario(file));
    expect(plain.violationCounts["duplicate"]).toBeGreaterThan(0);
    expect(run(variant(file, "enableIdempotence: false", "enableIdempotence: true")).verdict).toBe("pass");
  });

  it("machine crashes that lose the page cache can lose committed data through the last ISR member (KIP-966's Last Replica Standing)", () => {
    const lrs = run(loadScenario("scenarios/anomalies/last-replica-standing.yaml"));
    expect(lrs.violationCounts["replicas-agree"]).toBeGreaterThan(0);
    expect(lrs.faults.some((f) => f.kind === "crash" && f.loseUnflushed)).toBe(true);
    // The same seed with process crashes only (the page cache survives) holds every invariant.
    expect(run(variant("scenarios/anomalies/last-replica-standing.yaml", "loseUnflushedRatio: 0.5", "loseUnflushedRatio: 0")).verdict).toBe("pass");
  });
});
