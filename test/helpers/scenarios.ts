import { parseScenario, type Scenario } from "../../src/scenario/load.js";
import { run } from "../../src/run/run.js";
import type { RunResult } from "../../src/run/result.js";

/** A small primary-backup scenario; `extra` is YAML appended at the top level. */
export function pbScenario(extra = "", durationMs = 20_000): Scenario {
  return parseScenario(
    `name: pb-test
durationMs: ${durationMs}
cluster: { kind: primary-backup, replicas: 3 }
clients:
  - { kind: pb-writer, count: 3, opsPerSec: 20, requestTimeoutMs: 300, retries: 10 }
  - { kind: pb-reader, count: 1, readIntervalMs: 1000 }
${extra.includes("liveness:") ? "" : "liveness: { durationMs: 10000 }\n"}${extra}`,
    "pb-test.yaml",
  );
}

export const DEFAULT_NEMESIS = `nemesis:
  intervalMsMin: 1000
  intervalMsMax: 4000
  faultMsMin: 300
  faultMsMax: 3000
`;

/** Runs seeds [from, to] and returns every result. */
export function sweep(scenario: Scenario, from: number, to: number, bugs: string[] = []): RunResult[] {
  const results: RunResult[] = [];
  for (let seed = from; seed <= to; seed++) results.push(run(scenario, { seed, bugs }));
  return results;
}

export function invariantsBroken(results: readonly RunResult[]): string[] {
  return [...new Set(results.flatMap((r) => Object.keys(r.violationCounts)))].sort();
}
