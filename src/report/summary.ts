import { Chalk, type ChalkInstance } from "chalk";
import { formatUs } from "../../sim/time.js";
import { describeFault } from "../faults/fault.js";
import type { NemesisPlan } from "../faults/nemesis.js";
import type { RunResult } from "../run/result.js";

const VIOLATIONS_SHOWN_PER_INVARIANT = 3;

export interface SummaryStyle {
  readonly color: boolean;
}

function palette(style: SummaryStyle): ChalkInstance {
  return new Chalk({ level: style.color ? 1 : 0 });
}

/** The header a run prints before it starts: seed and every drawn nemesis parameter first. */
export function formatHeader(
  info: { scenario: string; file: string; seed: number; bugs: readonly string[]; nemesis: NemesisPlan | null; eosimVersion: string },
  style: SummaryStyle,
): string {
  const c = palette(style);
  const lines = [
    `${c.bold("eosim")} ${info.eosimVersion} · scenario ${c.bold(info.scenario)} (${info.file}) · seed ${c.bold(String(info.seed))} · bugs ${info.bugs.length ? info.bugs.join(",") : "none"}`,
  ];
  if (info.nemesis) {
    const weights = info.nemesis.kinds.map((k) => `${k}:${info.nemesis?.weights[k]}`).join(" ");
    lines.push(`  nemesis kinds ${weights} · interval ${info.nemesis.intervalMsMin}-${info.nemesis.intervalMsMax}ms · ${info.nemesis.faults.length} faults drawn`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The terminal summary of a finished run: verdict, each violation with its evidence, the trace
 * hash, the replay command and where the report is. Plain text when `style.color` is false (the
 * CLI turns colour off for NO_COLOR and for output that is not a terminal; summary.txt never has it).
 */
export function formatSummary(result: RunResult, replayCommand: string, reportPath: string | undefined, style: SummaryStyle): string {
  const c = palette(style);
  const verdict =
    result.verdict === "pass" ? c.green.bold("PASS") : result.verdict === "safety-violation" ? c.red.bold("FAIL (safety)") : c.yellow.bold("FAIL (liveness)");
  const lines = [
    `${verdict} ${result.scenario} seed ${result.seed} · ${result.events} events · ${result.simTimeMs} ms simulated in ${result.wallMs} ms · trace ${result.traceHash}`,
  ];
  if (result.faults.length > 0) {
    const shown = result.faults.slice(0, 8).map((f) => describeFault(f));
    lines.push(`  faults (${result.faults.length}): ${shown.join("; ")}${result.faults.length > 8 ? "; …" : ""}`);
  }
  for (const [invariant, count] of Object.entries(result.violationCounts)) {
    const shown = result.violations.filter((v) => v.invariant === invariant).slice(0, VIOLATIONS_SHOWN_PER_INVARIANT);
    const kind = shown[0]?.kind ?? "safety";
    lines.push(`  ${c.red("✗")} ${c.bold(invariant)} (${kind}): ${count} violation${count === 1 ? "" : "s"}${count > shown.length ? `, first ${shown.length}` : ""}`);
    for (const v of shown) {
      lines.push(`      at ${formatUs(v.evidence.timeUs)}: ${v.message}`);
      lines.push(`        ${c.dim(`evidence: ops [${v.evidence.ops.join(", ")}] trace [${v.evidence.traceIndices.join(", ")}] ${JSON.stringify(v.evidence.data)}`)}`);
    }
  }
  lines.push(`  ${c.bold("replay:")} ${replayCommand}`);
  if (reportPath !== undefined) lines.push(`  ${c.bold("report:")} ${reportPath}`);
  return lines.join("\n") + "\n";
}
