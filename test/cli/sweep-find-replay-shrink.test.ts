/**
 * The whole loop a user runs, through the CLI: a sweep under a bug switch finds a failing seed
 * and writes its result file; `replay` re-runs it from that file with the identical trace hash;
 * `shrink` turns it into a scenario with fewer faults and a shorter duration that, with its
 * seed, still breaks the same invariant.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunResult } from "../../src/run/result.js";
import { runMain, tempDir } from "../helpers/cli.js";
import { PB_SMALL_YAML, writeScenario } from "../sweep/fixtures/scenarios.js";

const tmp = tempDir("eosim-cli-loop-");
afterAll(() => tmp.remove());

describe("sweep → replay → shrink", () => {
  it("a violation found by a sweep under no-fsync-before-ack replays identically from its result file and shrinks", async () => {
    const scenario = writeScenario(tmp.dir, "pb-small.yaml", PB_SMALL_YAML);
    const out = join(tmp.dir, "reports");
    const sweep = await runMain(["sweep", scenario, "--seeds", "1..20", "--jobs", "2", "--bug", "no-fsync-before-ack", "--stop-on-first", "--out", out, "--json"]);
    expect(sweep.code).toBe(1);
    const summary = JSON.parse(sweep.stdout) as { failures: { seed: number; report: string; traceHash: string; violationCounts: Record<string, number> }[] };
    const failure = summary.failures[0];
    if (failure === undefined) throw new Error("the sweep found no failing seed");
    expect(readdirSync(failure.report).sort()).toContain("result.json");
    const resultFile = join(failure.report, "result.json");
    const recorded = JSON.parse(readFileSync(resultFile, "utf8")) as RunResult;
    expect(recorded).toMatchObject({ seed: failure.seed, bugs: ["no-fsync-before-ack"], traceHash: failure.traceHash, scenarioFile: scenario });

    // Replay: same seed, bugs and scenario bytes, the same trace hash, the verdict's exit code.
    const replay = await runMain(["replay", resultFile, "--json"]);
    expect(replay.stderr).toBe("");
    expect(replay.code).toBe(1);
    const replayed = JSON.parse(replay.stdout) as RunResult;
    expect(replayed.traceHash).toBe(recorded.traceHash);
    expect(replayed.violationCounts).toEqual(recorded.violationCounts);
    const replayText = await runMain(["replay", resultFile]);
    expect(replayText.stdout).toContain(`replay: trace hash ${recorded.traceHash} matches ${resultFile}`);

    // Shrink the same seed: fewer faults, a shorter run, the same invariant still broken.
    const invariant = Object.keys(recorded.violationCounts)[0] as string;
    const minFile = join(tmp.dir, "min.yaml");
    const shrink = await runMain(["shrink", scenario, "--seed", String(failure.seed), "--bug", "no-fsync-before-ack", "-o", minFile]);
    expect(shrink.stderr).toBe("");
    expect(shrink.code).toBe(0);
    expect(shrink.stdout).toContain(`invariant ${invariant} still breaks after`);
    const before = /^ {2}before: (\d+) faults?, durationMs (\d+), (\d+) clients?$/m.exec(shrink.stdout);
    const after = /^ {2}after: {2}(\d+) faults?, durationMs (\d+), (\d+) clients?$/m.exec(shrink.stdout);
    expect(before).not.toBeNull();
    expect(after).not.toBeNull();
    expect(Number(after?.[1])).toBeLessThan(Number(before?.[1]));
    expect(Number(after?.[2])).toBeLessThan(Number(before?.[2]));
    expect(shrink.stdout).toContain(`wrote ${minFile} · reproduce: eosim run ${minFile}`);

    const rerun = await runMain(["run", minFile, "--json", "--no-report"]);
    expect(rerun.code).toBe(1);
    const minimal = JSON.parse(rerun.stdout) as RunResult;
    expect(minimal.seed).toBe(failure.seed);
    expect(minimal.bugs).toEqual(["no-fsync-before-ack"]);
    expect(minimal.violationCounts[invariant]).toBeGreaterThan(0);
    // The run's fault log also holds the heal-all that starts the liveness phase.
    expect(minimal.faults.filter((f) => f.kind !== "heal-all")).toHaveLength(Number(after?.[1]));
    expect(minimal.simTimeMs).toBeLessThan(recorded.simTimeMs);
  });
});
