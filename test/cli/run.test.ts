import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { RunResult } from "../../src/run/result.js";
import { BUNDLED_SCENARIO, FIXTURES, runCli, runMain, tempDir } from "../helpers/cli.js";

const tmp = tempDir("eosim-cli-run-");
afterAll(() => tmp.remove());

const JSON_KEYS = ["scenario", "seed", "verdict", "violations", "violationCounts", "traceHash", "events", "simTimeMs", "wallMs"];

/** Every stdout line of a --json run, parsed; each line must be one whole JSON object. */
function jsonLines(stdout: string): RunResult[] {
  expect(stdout.endsWith("\n")).toBe(true);
  return stdout
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const value: unknown = JSON.parse(line);
      expect(typeof value === "object" && value !== null && !Array.isArray(value)).toBe(true);
      return value as RunResult;
    });
}

describe("eosim run", () => {
  test("the bundled scenario with its own seed passes in a real process: exit 0, PASS, seed, trace hash", async () => {
    const { code, stdout, stderr } = await runCli(["run", BUNDLED_SCENARIO, "--no-report"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS primary-backup seed 1 · .*· trace [0-9a-f]{16}$/m);
    expect(stdout).toContain("seed 1");
    // No colour codes with NO_COLOR=1 and a pipe.
    expect(stdout).not.toContain("\u001b[");
  });

  test("--json prints exactly one JSON object with the result keys", async () => {
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--json", "--no-report"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const results = jsonLines(stdout);
    expect(results).toHaveLength(1);
    const result = results[0] as RunResult;
    for (const key of JSON_KEYS) expect(result).toHaveProperty(key);
    expect(result).toMatchObject({ scenario: "primary-backup", seed: 1, verdict: "pass", violations: [], violationCounts: {}, exitCode: 0 });
    expect(result.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(result.events).toBeGreaterThan(0);
    expect(result.simTimeMs).toBe(40_000);
    expect(result.wallMs).toBeGreaterThanOrEqual(0);
  });

  test("--seed overrides the scenario's seed and shows in the text output", async () => {
    const { code, stdout } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "7", "--no-report"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS primary-backup seed 7 /m);
  });

  test("--bug no-dedup with seed 1 breaks `duplicate`: exit 1 and evidence in the JSON", async () => {
    const { code, stdout, stderr } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "1", "--bug", "no-dedup", "--json", "--no-report"]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const [result] = jsonLines(stdout) as [RunResult];
    expect(result).toMatchObject({ verdict: "safety-violation", exitCode: 1, bugs: ["no-dedup"], seed: 1 });
    const duplicates = result.violations.filter((v) => v.invariant === "duplicate");
    expect(duplicates.length).toBeGreaterThan(0);
    expect(result.violationCounts.duplicate).toBeGreaterThanOrEqual(duplicates.length);
    for (const violation of duplicates) {
      expect(violation.kind).toBe("safety");
      expect(violation.message).toMatch(/appears twice/);
      expect(violation.evidence.ops.length).toBeGreaterThan(0);
      expect(violation.evidence.traceIndices.length).toBeGreaterThan(0);
      for (const index of violation.evidence.traceIndices) {
        expect(Number.isInteger(index) && index >= 0 && index < result.traceRecords).toBe(true);
      }
      for (const op of violation.evidence.ops) expect(op >= 0 && op < result.historyOps).toBe(true);
    }
  });

  test("--bug no-dedup exits 1 in a real process and the text says how to replay", async () => {
    const { code, stdout } = await runCli(["run", BUNDLED_SCENARIO, "--seed", "1", "--bug", "no-dedup", "--no-report"]);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/^PASS/m);
    expect(stdout).toContain("duplicate");
    expect(stdout).toContain(`eosim run ${BUNDLED_SCENARIO} --seed 1 --bug no-dedup`);
  });

  test("a folder runs every scenario in it, in name order, one JSON object each", async () => {
    const { code, stdout, stderr } = await runMain(["run", join(FIXTURES, "pair"), "--json", "--no-report"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const results = jsonLines(stdout);
    expect(results.map((r) => [r.scenario, r.seed, r.verdict])).toEqual([
      ["fixture-a-crash", 3, "pass"],
      ["fixture-b-partition", 4, "pass"],
    ]);
    for (const result of results) for (const key of JSON_KEYS) expect(result).toHaveProperty(key);
  });

  test("several arguments run in the order given; the worst exit code wins", async () => {
    const { code, stdout } = await runMain([
      "run",
      join(FIXTURES, "pair", "b-partition.yaml"),
      BUNDLED_SCENARIO,
      "--bug",
      "no-dedup",
      "--seed",
      "1",
      "--json",
      "--no-report",
    ]);
    const results = jsonLines(stdout);
    expect(results.map((r) => r.scenario)).toEqual(["fixture-b-partition", "primary-backup"]);
    expect(results[1]?.verdict).toBe("safety-violation");
    expect(code).toBe(1);
  });

  test("--trace writes a JSONL trace whose last record's hash is the result's traceHash", async () => {
    const trace = join(tmp.dir, "trace.jsonl");
    const { code, stdout } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "3", "--trace", trace, "--json", "--no-report"]);
    expect(code).toBe(0);
    const [result] = jsonLines(stdout) as [RunResult];
    const lines = readFileSync(trace, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(result.traceRecords);
    const first = JSON.parse(lines[0] as string) as { i: number; kind: string; seed: number };
    expect(first).toMatchObject({ i: 0, kind: "run.start", seed: 3 });
    const last = JSON.parse(lines[lines.length - 1] as string) as { i: number; hash: string };
    expect(last.i).toBe(result.traceRecords - 1);
    expect(last.hash).toBe(result.traceHash);
  });

  test("--out DIR writes DIR/<scenario>-<seed>/{result.json,history.jsonl,summary.txt,report.html}", async () => {
    const out = join(tmp.dir, "out");
    const { code, stdout } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "2", "--out", out, "--json"]);
    expect(code).toBe(0);
    const [result] = jsonLines(stdout) as [RunResult];
    const folder = join(out, "primary-backup-2");
    expect(readdirSync(out)).toEqual(["primary-backup-2"]);
    expect(readdirSync(folder).sort()).toEqual(["history.jsonl", "report.html", "result.json", "summary.txt"]);
    const stored = JSON.parse(readFileSync(join(folder, "result.json"), "utf8")) as RunResult;
    expect(stored).toEqual(result);
    const history = readFileSync(join(folder, "history.jsonl"), "utf8").trimEnd().split("\n");
    expect(history).toHaveLength(result.historyOps);
    for (const line of history.slice(0, 5)) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const summary = readFileSync(join(folder, "summary.txt"), "utf8");
    expect(summary).toContain(result.traceHash);
    expect(summary).not.toContain("\u001b[");
  });

  test("--out in text mode names the run folder", async () => {
    const out = join(tmp.dir, "out-text");
    const { code, stdout } = await runMain(["run", join(FIXTURES, "pair", "a-crash.yaml"), "--out", out]);
    expect(code).toBe(0);
    expect(existsSync(join(out, "fixture-a-crash-3", "result.json"))).toBe(true);
    expect(stdout).toContain(join(out, "fixture-a-crash-3"));
  });

  test("--no-report writes nothing", async () => {
    const out = join(tmp.dir, "not-written");
    const { code } = await runMain(["run", join(FIXTURES, "pair"), "--out", out, "--no-report", "--json"]);
    expect(code).toBe(0);
    expect(existsSync(out)).toBe(false);
  });
});
