/** The same scenario and seed give the same trace hash in separate processes; other seeds do not. */
import { describe, expect, test } from "vitest";
import type { RunResult } from "../../src/run/result.js";
import { BUNDLED_SCENARIO, runCli, runMain } from "../helpers/cli.js";

function onlyResult(stdout: string): RunResult {
  const lines = stdout.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as RunResult;
}

describe("determinism across processes", () => {
  test("same scenario + seed in two processes: the same trace hash; another seed: a different one", async () => {
    const args = (seed: number) => ["run", BUNDLED_SCENARIO, "--seed", String(seed), "--json", "--no-report"];
    const [first, second, other] = await Promise.all([runCli(args(11)), runCli(args(11)), runCli(args(12))]);
    for (const r of [first, second, other]) expect(r.code).toBe(0);
    const [a, b, c] = [onlyResult(first.stdout), onlyResult(second.stdout), onlyResult(other.stdout)];
    expect(a.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(b.traceRecords).toBe(a.traceRecords);
    expect(b.faults).toEqual(a.faults);
    expect(c.traceHash).not.toBe(a.traceHash);
    // And the same again in this process.
    const here = onlyResult((await runMain(args(11))).stdout);
    expect(here.traceHash).toBe(a.traceHash);
  });

  test("seeds 1..5 give five different trace hashes, each stable on a rerun", async () => {
    const hashes: string[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const args = ["run", BUNDLED_SCENARIO, "--seed", String(seed), "--json", "--no-report"];
      const once = onlyResult((await runMain(args)).stdout);
      const again = onlyResult((await runMain(args)).stdout);
      expect(again.traceHash).toBe(once.traceHash);
      hashes.push(once.traceHash);
    }
    expect(new Set(hashes).size).toBe(5);
  });

  test("a bug switch changes the trace hash", async () => {
    const base = ["run", BUNDLED_SCENARIO, "--seed", "1", "--json", "--no-report"];
    const plain = onlyResult((await runMain(base)).stdout);
    const buggy = onlyResult((await runMain([...base, "--bug", "no-dedup"])).stdout);
    expect(buggy.traceHash).not.toBe(plain.traceHash);
  });
});
