import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HistoryOp } from "../../sim/history.js";
import type { RunResult } from "../run/result.js";

/** The folder a run's files go to: `<out>/<scenario>-<seed>/`. */
export function reportDir(outDir: string, result: Pick<RunResult, "scenario" | "seed">): string {
  return join(outDir, `${result.scenario}-${result.seed}`);
}

/** Writes result.json, history.jsonl and summary.txt for one run; returns the folder. */
export function writeRunArtifacts(outDir: string, result: RunResult, history: readonly HistoryOp[], summary: string): string {
  const dir = reportDir(outDir, result);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "result.json"), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(dir, "history.jsonl"), history.map((op) => JSON.stringify(op)).join("\n") + (history.length ? "\n" : ""));
  writeFileSync(join(dir, "summary.txt"), summary);
  return dir;
}
