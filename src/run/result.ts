import type { AssertionStat } from "../../sim/assertions.js";
import type { Violation } from "../checks/violation.js";
import type { TimedFault } from "../faults/fault.js";
import type { NemesisPlan } from "../faults/nemesis.js";

export type Verdict = "pass" | "safety-violation" | "liveness-violation";

/** Exit codes of the contract: see README. */
export const EXIT = {
  pass: 0,
  safety: 1,
  usage: 2,
  liveness: 3,
  nondeterminism: 4,
  internal: 70,
} as const;

/** One run, as `--json` prints it and result.json stores it. */
export interface RunResult {
  readonly eosimVersion: string;
  readonly scenario: string;
  readonly scenarioFile: string;
  readonly scenarioHash: string;
  readonly seed: number;
  readonly bugs: readonly string[];
  readonly verdict: Verdict;
  readonly exitCode: number;
  /** The first violations of each invariant (at most 20 each), in the order found. */
  readonly violations: readonly Violation[];
  /** How many violations each broken invariant had in all. */
  readonly violationCounts: Readonly<Record<string, number>>;
  readonly traceHash: string;
  readonly traceRecords: number;
  readonly events: number;
  readonly simTimeMs: number;
  readonly wallMs: number;
  /** Every fault applied, scheduled or drawn, as data in the scenario's own form. */
  readonly faults: readonly TimedFault[];
  /** What the nemesis drew for this seed, or null without a nemesis. */
  readonly nemesis: Omit<NemesisPlan, "faults"> | null;
  readonly assertions: readonly AssertionStat[];
  readonly historyOps: number;
}

export function verdictOf(violations: readonly Violation[]): Verdict {
  if (violations.some((v) => v.kind === "safety")) return "safety-violation";
  if (violations.length > 0) return "liveness-violation";
  return "pass";
}

export function exitCodeOf(verdict: Verdict): number {
  switch (verdict) {
    case "pass":
      return EXIT.pass;
    case "safety-violation":
      return EXIT.safety;
    case "liveness-violation":
      return EXIT.liveness;
  }
}
