import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { anchorOf, firstViolation } from "../../src/report/report-html.js";
import { formatSummary } from "../../src/report/summary.js";
import type { RunResult } from "../../src/run/result.js";
import type { HistoryOp } from "../../sim/history.js";
import { BUNDLED_SCENARIO, runMain, tempDir } from "../helpers/cli.js";

const tmp = tempDir("eosim-report-cli-");
afterAll(() => tmp.remove());

describe("eosim run writes report.html", () => {
  it("draws the first violation even when it lies outside the windows a run keeps, by running the seed again", async () => {
    const out = join(tmp.dir, "dedup");
    const { code, stdout } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "1", "--bug", "no-dedup", "--out", out, "--json"]);
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as RunResult;
    const folder = join(out, "primary-backup-1");
    const html = readFileSync(join(folder, "report.html"), "utf8");
    const history = readFileSync(join(folder, "history.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as HistoryOp);
    const first = firstViolation(result, history);
    expect(first?.violation.invariant).toBe("duplicate");
    const anchor = anchorOf(first?.violation as RunResult["violations"][number], history);
    expect(html.includes(`id="t-${anchor}"`), `the diagram has the first violation's trace record #${anchor}`).toBe(true);
    expect(html.includes("first violation: duplicate")).toBe(true);
    expect(html.includes(`The seed was run a second time to draw the first violation (same trace hash ${result.traceHash}).`)).toBe(true);
    expect(html.includes("eosim run scenarios/primary-backup.yaml --seed 1 --bug no-dedup")).toBe(true);
  });

  it("the text summary names report.html and the replay command, without colour when colour is off", async () => {
    const out = join(tmp.dir, "text");
    const { code, stdout } = await runMain(["run", BUNDLED_SCENARIO, "--seed", "2", "--out", out]);
    expect(code).toBe(0);
    const path = join(out, "primary-backup-2", "report.html");
    expect(existsSync(path)).toBe(true);
    expect(stdout).toContain(`report: ${path}`);
    expect(stdout).toContain("replay: eosim run scenarios/primary-backup.yaml --seed 2");
    expect(stdout).not.toContain("\u001b[");
    expect(readFileSync(join(out, "primary-backup-2", "summary.txt"), "utf8")).toContain(`report: ${path}`);
  });
});

describe("terminal summary", () => {
  const result: RunResult = {
    eosimVersion: "0.1.0",
    scenario: "s",
    scenarioFile: "s.yaml",
    scenarioHash: "0",
    seed: 3,
    bugs: ["no-dedup"],
    verdict: "safety-violation",
    exitCode: 1,
    violations: [{ invariant: "duplicate", kind: "safety", message: "value a appears twice", evidence: { ops: [1, 2], traceIndices: [40], timeUs: 1_500_000, data: { value: "a" } } }],
    violationCounts: { duplicate: 1 },
    traceHash: "00112233aabbccdd",
    traceRecords: 50,
    events: 40,
    simTimeMs: 2000,
    wallMs: 3,
    faults: [],
    nemesis: null,
    assertions: [],
    historyOps: 3,
  };

  it("gives the verdict, each violation with its evidence, the trace hash, the replay command and the report path", () => {
    const text = formatSummary(result, "eosim run s.yaml --seed 3 --bug no-dedup", "reports/s-3/report.html", { color: false });
    expect(text).toContain("FAIL (safety) s seed 3");
    expect(text).toContain("trace 00112233aabbccdd");
    expect(text).toContain("duplicate (safety): 1 violation");
    expect(text).toContain("at 1.500000s: value a appears twice");
    expect(text).toContain('evidence: ops [1, 2] trace [40] {"value":"a"}');
    expect(text).toContain("replay: eosim run s.yaml --seed 3 --bug no-dedup");
    expect(text).toContain("report: reports/s-3/report.html");
    expect(text).not.toContain("\u001b[");
  });

  it("uses colour only when asked", () => {
    expect(formatSummary(result, "r", undefined, { color: true })).toContain("\u001b[");
  });
});
