/**
 * Seed sweeps in child processes (and worker threads): verdicts, determinism across processes
 * and threads, re-checks that catch injected nondeterminism, coverage aggregation,
 * --stop-on-first, crashed workers. Small scenarios: CI time.
 */
import { describe, expect, it } from "vitest";
import { run } from "../../src/run/run.js";
import { parseScenario } from "../../src/scenario/load.js";
import { SeedList } from "../../src/sweep/seeds.js";
import { failuresByInvariant, RecheckPicker, runSweep, sweepExitCodes, uncoveredProperties } from "../../src/sweep/sweep.js";
import { COUNTER_SYSTEM_MODULE, counterScenarioYaml } from "./fixtures/counter-system.js";
import { PB_SMALL_YAML } from "./fixtures/scenarios.js";

const pbSmall = parseScenario(PB_SMALL_YAML, "pb-small.yaml");

describe("sweep", () => {
  it("runs seeds in child processes with the same trace hash as the main thread, and aggregates coverage as the runs report it", async () => {
    const summary = await runSweep({ scenario: pbSmall, seeds: SeedList.parse("1..6"), jobs: 2 });
    expect(summary.outcomes.map((o) => o.seed)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(summary.jobs).toBe(2);
    const inMain = [1, 2, 3, 4, 5, 6].map((seed) => run(pbSmall, { seed }));
    // Determinism across processes: each worker process's hash equals the main thread's.
    expect(summary.outcomes.map((o) => o.traceHash)).toEqual(inMain.map((r) => r.traceHash));
    expect(summary.outcomes.every((o) => o.verdict === "pass" && o.exitCode === 0)).toBe(true);
    expect(sweepExitCodes(summary).every((code) => code === 0)).toBe(true);
    // Coverage: per property, the hits of every run summed, and the seeds that hit it.
    for (const entry of summary.coverage) {
      const stats = inMain.map((r) => r.assertions.find((a) => a.name === entry.name));
      expect(entry.hits).toBe(stats.reduce((sum, s) => sum + (s?.hits ?? 0), 0));
      expect(entry.seedsHit).toBe(stats.filter((s) => (s?.hits ?? 0) > 0).length);
    }
    expect(summary.coverage.map((c) => c.name)).toContain("pb: retried append answered from the index");
    expect(summary.coverage.some((c) => (c.kind as string) === "always")).toBe(false);
    // At least one seed is re-run to check determinism, and it agreed.
    expect(summary.rechecks.length).toBeGreaterThanOrEqual(1);
    expect(summary.rechecks.every((r) => r.match)).toBe(true);
  });

  it("worker threads trace every seed as the main thread and child processes do", async () => {
    const seeds = SeedList.parse("1..4");
    const inThreads = await runSweep({ scenario: pbSmall, seeds, jobs: 2, isolation: "thread" });
    const inProcesses = await runSweep({ scenario: pbSmall, seeds, jobs: 2, isolation: "process" });
    const inMain = [1, 2, 3, 4].map((seed) => run(pbSmall, { seed }).traceHash);
    expect(inThreads.outcomes.map((o) => o.traceHash)).toEqual(inMain);
    expect(inProcesses.outcomes.map((o) => o.traceHash)).toEqual(inMain);
    expect(inThreads.rechecks.every((r) => r.match)).toBe(true);
  });

  it("a worker process that dies fails the seed it was running (exit 70); the seeds sent behind it run on its replacement", async () => {
    const crashing = parseScenario(counterScenarioYaml({ leak: false, exitOnSeed: 2 }), "counter-crashing.yaml");
    const summary = await runSweep({ scenario: crashing, seeds: SeedList.parse("1..5"), jobs: 1, recheckRatio: 0, workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(summary.outcomes.map((o) => [o.seed, o.verdict])).toEqual([
      [1, "pass"],
      [2, "error"],
      [3, "pass"],
      [4, "pass"],
      [5, "pass"],
    ]);
    expect(summary.outcomes[1]?.error).toBe("worker 0 exited with code 9");
    expect(summary.outcomes.slice(2).map((o) => o.traceHash)).toEqual([3, 4, 5].map((seed) => run(crashing, { seed }).traceHash));
  });

  it("a bug switch: failing seeds are grouped by invariant, with exit code 1", async () => {
    const summary = await runSweep({ scenario: pbSmall, seeds: SeedList.parse("1..4"), bugs: ["no-dedup"], jobs: 1 });
    expect(summary.bugs).toEqual(["no-dedup"]);
    const groups = failuresByInvariant(summary);
    expect(groups.map((g) => g.invariant)).toContain("duplicate");
    const duplicate = groups.find((g) => g.invariant === "duplicate");
    expect(duplicate?.kind).toBe("safety");
    expect(duplicate?.seeds.map((o) => o.seed)).toEqual(summary.outcomes.filter((o) => (o.violationCounts["duplicate"] ?? 0) > 0).map((o) => o.seed));
    expect(sweepExitCodes(summary)).toContain(1);
    // Under no-dedup the primary never answers a retry from its index: coverage shows it.
    expect(uncoveredProperties(summary).map((u) => u.name)).toContain("pb: retried append answered from the index");
  });

  it("--stop-on-first starts no new seed after a failure", async () => {
    const summary = await runSweep({ scenario: pbSmall, seeds: SeedList.parse("1..200"), bugs: ["no-dedup"], jobs: 1, stopOnFirst: true });
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.outcomes.length).toBeLessThan(10);
    expect(summary.outcomes[0]?.verdict).toBe("safety-violation");
  });

  it("re-checks catch injected nondeterminism (an actor reading a counter that persists across runs): exit 4", async () => {
    const leaky = parseScenario(counterScenarioYaml({ leak: true }), "counter-leaky.yaml");
    const summary = await runSweep({ scenario: leaky, seeds: SeedList.parse("1..5"), jobs: 1, workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(summary.outcomes.every((o) => o.verdict === "pass")).toBe(true);
    expect(summary.rechecks.length).toBeGreaterThanOrEqual(1);
    expect(summary.rechecks.some((r) => !r.match && r.firstHash !== r.secondHash)).toBe(true);
    expect(sweepExitCodes(summary)).toContain(4);
  });

  it("the same test system without the leak passes its re-checks (the control)", async () => {
    const steady = parseScenario(counterScenarioYaml({ leak: false }), "counter-steady.yaml");
    const summary = await runSweep({ scenario: steady, seeds: SeedList.parse("1..5"), jobs: 2, recheckRatio: 1, workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(summary.rechecks).toHaveLength(5);
    expect(summary.rechecks.every((r) => r.match)).toBe(true);
    // With two workers, a re-check runs on the other worker.
    expect(summary.rechecks.every((r) => r.firstWorker !== r.secondWorker)).toBe(true);
    expect(sweepExitCodes(summary)).not.toContain(4);
  });

  it("a run that throws is an internal error of that seed (exit 70); the other seeds still run", async () => {
    const throwing = parseScenario(counterScenarioYaml({ leak: false, throwOnSeedsDivisibleBy: 2 }), "counter-throwing.yaml");
    const summary = await runSweep({ scenario: throwing, seeds: SeedList.parse("1..4"), jobs: 1, workerImports: [COUNTER_SYSTEM_MODULE] });
    expect(summary.outcomes.map((o) => [o.seed, o.verdict, o.exitCode])).toEqual([
      [1, "pass", 0],
      [2, "error", 70],
      [3, "pass", 0],
      [4, "error", 70],
    ]);
    expect(summary.outcomes[1]?.error).toContain("test-counter: seed 2 throws on purpose");
    expect(sweepExitCodes(summary)).toContain(70);
    // Failed runs are not re-checked.
    expect(summary.rechecks.every((r) => r.seed % 2 === 1)).toBe(true);
  });

  it("a worker that cannot start fails the sweep with the reason", async () => {
    const missing = new URL("./fixtures/no-such-module.ts", import.meta.url).href;
    await expect(runSweep({ scenario: pbSmall, seeds: SeedList.parse("1"), jobs: 1, workerImports: [missing] })).rejects.toThrow(/sweep worker could not start: .*no-such-module/);
  });

  it("an empty shard runs nothing and starts no worker", async () => {
    const summary = await runSweep({ scenario: pbSmall, seeds: SeedList.parse("1..2").shard(3, 3), jobs: 2 });
    expect(summary).toMatchObject({ planned: 0, outcomes: [], rechecks: [], stoppedEarly: false });
  });

  it("a liveness phase too short to converge gives exit 3 and names what is pending", async () => {
    const tooShort = parseScenario(
      `name: pb-liveness
durationMs: 3000
cluster: { kind: primary-backup }
clients: [{ kind: pb-writer, count: 2, opsPerSec: 20, requestTimeoutMs: 300, retries: 10 }]
faults: [{ atMs: 2500, kind: partition, shape: isolate, node: r1 }]
liveness: { durationMs: 1 }
`,
      "pb-liveness.yaml",
    );
    expect(tooShort.config.liveness.enabled).toBe(true);
    const summary = await runSweep({ scenario: tooShort, seeds: SeedList.parse("1..2"), jobs: 1 });
    expect(summary.outcomes.every((o) => o.verdict === "liveness-violation" && o.exitCode === 3)).toBe(true);
    expect(summary.outcomes[0]?.violations[0]?.message).toMatch(/not converged.*(without outcome|committed entries)/);
  });
});

describe("re-check picks", () => {
  it("about 5% of seeds, the same ones for the same sweep key", () => {
    const draws = (key: string): boolean[] => {
      const picker = new RecheckPicker(key, 0.05);
      return Array.from({ length: 4000 }, () => picker.next());
    };
    const a = draws("k");
    expect(draws("k")).toEqual(a);
    expect(draws("other")).not.toEqual(a);
    const picked = a.filter(Boolean).length;
    expect(picked).toBeGreaterThan(4000 * 0.03);
    expect(picked).toBeLessThan(4000 * 0.07);
  });
});
