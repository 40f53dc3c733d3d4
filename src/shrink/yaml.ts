/**
 * Writes a shrunk scenario as YAML a person can read: a header comment saying where it came
 * from, the keys in a fixed order, one line per fault and per client entry.
 */
import { Document, isMap, isSeq } from "yaml";
import { describeFault } from "../faults/fault.js";
import type { TimedFault } from "../faults/fault.js";
import type { RawScenario, ShrinkOutcome } from "./shrink.js";

/** Key order of the written scenario; keys not listed follow in their own order. */
const KEY_ORDER = ["$schema", "name", "description", "seed", "durationMs", "shuffleTies", "bugs", "invariants", "cluster", "clients", "network", "faults", "liveness"];

export interface ShrunkFileInfo {
  /** The scenario file it was shrunk from. */
  readonly from: string;
  /** The file being written (for the run command in the header). */
  readonly file: string;
}

/** The minimal scenario as YAML, with its provenance in a header comment. */
export function shrunkScenarioYaml(outcome: ShrinkOutcome, info: ShrunkFileInfo): string {
  const ordered: RawScenario = {};
  for (const key of KEY_ORDER) if (key in outcome.scenario) ordered[key] = outcome.scenario[key];
  for (const [key, value] of Object.entries(outcome.scenario)) if (!(key in ordered)) ordered[key] = value;
  const name = String(ordered["name"] ?? "scenario");
  ordered["name"] = name.endsWith("-min") ? name : `${name.slice(0, 76)}-min`;
  ordered["description"] =
    `Shrunk from ${info.from} (seed ${outcome.seed}${outcome.bugs.length ? `, bugs ${outcome.bugs.join(",")}` : ""}): ` +
    `the smallest scenario found in which ${outcome.invariant} still breaks.`;

  const doc = new Document(ordered);
  for (const key of ["faults", "clients"]) {
    const seq = doc.get(key, true);
    if (isSeq(seq)) for (const item of seq.items) if (isMap(item)) item.flow = true;
  }
  for (const key of ["cluster", "liveness"]) {
    const map = doc.get(key, true);
    if (isMap(map)) map.flow = true;
  }
  const bugs = doc.get("bugs", true);
  if (isSeq(bugs)) bugs.flow = true;
  const { before, after } = outcome;
  doc.commentBefore = [
    ` Minimal reproduction written by eosim shrink.`,
    ` original: ${info.from} · seed ${outcome.seed} · bugs ${outcome.bugs.length ? outcome.bugs.join(",") : "none"}`,
    ` invariant that still breaks: ${outcome.invariant}`,
    ` before: ${sizeText(before)}`,
    ` after:  ${sizeText(after)}`,
    ` (${outcome.runs} runs${outcome.budgetExhausted ? "; the run budget ran out before the search finished" : ""})`,
    ` reproduce: eosim run ${info.file}   (the seed and bug switches are in the file)`,
    ...((ordered["faults"] as TimedFault[] | undefined)?.length ? [` faults: ${(ordered["faults"] as TimedFault[]).map(describeFault).join("; ")}`] : []),
  ].join("\n");
  return doc.toString({ lineWidth: 0 });
}

export function sizeText(size: { faults: number; durationMs: number; clients: number }): string {
  return `${size.faults} fault${size.faults === 1 ? "" : "s"}, durationMs ${size.durationMs}, ${size.clients} client${size.clients === 1 ? "" : "s"}`;
}
