/**
 * Shrinking a failing run to a scenario a person can read. Given a scenario, a seed and bug
 * switches under which an invariant breaks, it keeps the seed and searches for a smaller
 * scenario where the SAME invariant still breaks:
 *
 * 1. the nemesis is replaced by the faults it drew for that seed, as an explicit list (the run
 *    is unchanged: Rng streams fork by label, so no other component's randomness moves);
 * 2. delta debugging removes faults;
 * 3. a binary search (on a 100 ms grid) shortens `durationMs`, dropping faults after the new end;
 * 4. binary searches lower client counts and rates and what the system offers (`shrinkKnobs`),
 *    then whole client entries are dropped;
 * and 2-4 repeat while anything changed (at most a few rounds). Candidates that are not valid
 * scenarios (a fault naming a node that no longer exists) count as not failing.
 */
import { parse as parseYaml } from "yaml";
import type { TimedFault } from "../faults/fault.js";
import type { RunResult } from "../run/result.js";
import { prepareRun, run } from "../run/run.js";
import { ScenarioError } from "../scenario/errors.js";
import { scenarioFromObject, type Scenario } from "../scenario/load.js";
import { ddmin } from "./ddmin.js";
import { formatPath, numberAt, shrinkKnobs, withValueAt } from "./knobs.js";

export type RawScenario = Record<string, unknown>;

export interface ShrinkOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  /** Bug switches added to the scenario's own. */
  readonly bugs?: readonly string[];
  /** The invariant that must keep breaking; default: the first one the run breaks. */
  readonly invariant?: string;
  /** Stop searching after this many runs and keep the smallest scenario so far. Default 5000. */
  readonly maxRuns?: number;
  /** Called with a line for each step that made the scenario smaller. */
  readonly onStep?: (step: string) => void;
}

export interface ScenarioSize {
  readonly faults: number;
  readonly durationMs: number;
  /** Client instances (the sum of every entry's `count`). */
  readonly clients: number;
}

export interface ShrinkOutcome {
  readonly invariant: string;
  readonly seed: number;
  readonly bugs: readonly string[];
  readonly before: ScenarioSize;
  readonly after: ScenarioSize;
  /** The smallest scenario found, as a plain object (seed and bug switches written into it). */
  readonly scenario: RawScenario;
  /** What each step changed. */
  readonly steps: readonly string[];
  readonly runs: number;
  /** The run of the smallest scenario. */
  readonly result: RunResult;
  /** The run budget ran out before the search finished. */
  readonly budgetExhausted: boolean;
}

/** The seed does not break the invariant: there is nothing to shrink. */
export class NothingToShrink extends Error {}

const DURATION_GRID_MS = 100;
const ROUNDS_MAX = 4;

export function shrink(options: ShrinkOptions): ShrinkOutcome {
  const { scenario, seed } = options;
  const bugs = [...new Set([...scenario.config.bugs, ...(options.bugs ?? [])])].sort();
  const original = run(scenario, { seed, bugs });
  const broken = Object.keys(original.violationCounts);
  const invariant = options.invariant ?? broken[0];
  if (invariant === undefined || !broken.includes(invariant)) {
    const what = options.invariant === undefined ? "any invariant" : `invariant ${options.invariant}`;
    const found = broken.length === 0 ? "it passes" : `it breaks ${broken.join(", ")}`;
    throw new NothingToShrink(`${scenario.file} with seed ${seed}${bugs.length ? ` and bugs ${bugs.join(",")}` : ""} does not break ${what}: ${found}`);
  }

  const maxRuns = options.maxRuns ?? 5000;
  let runs = 1;
  const steps: string[] = [];
  const step = (text: string) => {
    steps.push(text);
    options.onStep?.(text);
  };
  let budgetExhausted = false;
  const fails = (raw: RawScenario): boolean => {
    if (runs >= maxRuns) {
      budgetExhausted = true;
      return false;
    }
    let candidate: Scenario;
    try {
      candidate = scenarioFromObject(raw, scenario.file);
    } catch (error) {
      if (error instanceof ScenarioError) return false;
      throw error;
    }
    runs++;
    return (run(candidate, { seed, bugs }).violationCounts[invariant] ?? 0) > 0;
  };

  // 1. The nemesis's faults for this seed, explicit, in the order the run scheduled them.
  const prepared = prepareRun(scenario, { seed, bugs });
  const explicit: TimedFault[] = [...scenario.config.faults, ...(prepared.nemesis?.faults ?? [])].sort((a, b) => a.atMs - b.atMs);
  const { nemesis: _nemesis, ...withoutNemesis } = rawOf(scenario);
  let current: RawScenario = { ...withoutNemesis, seed, bugs, faults: explicit };
  const before = sizeOf(scenario, explicit.length);
  if (!fails(current)) throw new Error(`shrink: writing the ${explicit.length} faults out explicitly changed the run of seed ${seed} (nondeterminism?)`);
  if (prepared.nemesis !== null) step(`nemesis replaced by the ${prepared.nemesis.faults.length} faults it drew`);

  for (let round = 0; round < ROUNDS_MAX && !budgetExhausted; round++) {
    const start = JSON.stringify(current);
    current = shrinkFaults(current, fails, step);
    current = shrinkDuration(current, fails, step);
    current = shrinkKnobValues(current, fails, step);
    current = dropClients(current, fails, step);
    if (JSON.stringify(current) === start) break;
  }
  // Every accepted candidate failed; run the final one once more for its result.
  const finalScenario = scenarioFromObject(current, scenario.file);
  const final = run(finalScenario, { seed, bugs });
  runs++;
  if ((final.violationCounts[invariant] ?? 0) === 0) throw new Error("shrink: the smallest scenario no longer fails (nondeterminism?)");
  return {
    invariant,
    seed,
    bugs,
    before,
    after: sizeOf(finalScenario, finalScenario.config.faults.length),
    scenario: current,
    steps,
    runs,
    result: final,
    budgetExhausted,
  };
}

function shrinkFaults(current: RawScenario, fails: (raw: RawScenario) => boolean, step: (text: string) => void): RawScenario {
  const faults = current["faults"] as TimedFault[];
  if (faults.length === 0) return current;
  const kept = ddmin(faults, (subset) => fails({ ...current, faults: subset }));
  if (kept.length === faults.length) return current;
  step(`faults ${faults.length} -> ${kept.length} (delta debugging)`);
  return { ...current, faults: kept };
}

function shrinkDuration(current: RawScenario, fails: (raw: RawScenario) => boolean, step: (text: string) => void): RawScenario {
  const durationMs = current["durationMs"] as number;
  const faults = current["faults"] as TimedFault[];
  const at = (ms: number): RawScenario => ({ ...current, durationMs: ms, faults: faults.filter((f) => f.atMs <= ms) });
  let lo = 1;
  let hi = Math.ceil(durationMs / DURATION_GRID_MS);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fails(at(mid * DURATION_GRID_MS))) hi = mid;
    else lo = mid + 1;
  }
  const shortest = Math.min(hi * DURATION_GRID_MS, durationMs);
  if (shortest >= durationMs) return current;
  const next = at(shortest);
  const dropped = faults.length - (next["faults"] as TimedFault[]).length;
  step(`durationMs ${durationMs} -> ${shortest}${dropped > 0 ? ` (${dropped} later fault${dropped === 1 ? "" : "s"} dropped)` : ""}`);
  return next;
}

function shrinkKnobValues(current: RawScenario, fails: (raw: RawScenario) => boolean, step: (text: string) => void): RawScenario {
  let raw = current;
  const config = scenarioFromObject(raw).config;
  for (const knob of shrinkKnobs(config)) {
    const value = numberAt(config, knob.path);
    if (value === undefined || value <= knob.min) continue;
    let lo = Math.ceil(knob.min);
    let hi = Math.floor(value);
    if (hi < lo) continue;
    // The smallest whole value that still fails; `value` itself fails.
    let best = value;
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (mid < value && fails(withValueAt(raw, knob.path, mid))) {
        best = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    if (best < value) {
      raw = withValueAt(raw, knob.path, best);
      step(`${formatPath(knob.path)} ${value} -> ${best}`);
    }
  }
  return raw;
}

function dropClients(current: RawScenario, fails: (raw: RawScenario) => boolean, step: (text: string) => void): RawScenario {
  let raw = current;
  const clients = () => (Array.isArray(raw["clients"]) ? (raw["clients"] as unknown[]) : []);
  for (let i = clients().length - 1; i >= 0; i--) {
    const entry = clients()[i] as { kind?: unknown };
    const candidate = { ...raw, clients: clients().filter((_, j) => j !== i) };
    if (fails(candidate)) {
      raw = candidate;
      step(`clients[${i}] (${String(entry.kind)}) removed`);
    }
  }
  return raw;
}

/** The scenario as the plain object its file holds (defaults not filled in). */
function rawOf(scenario: Scenario): RawScenario {
  const raw: unknown = parseYaml(scenario.source);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`shrink: ${scenario.file} is not a mapping`);
  return { ...(raw as RawScenario) };
}

function sizeOf(scenario: Scenario, faults: number): ScenarioSize {
  const clients = scenario.config.clients.reduce((sum, c) => sum + (typeof (c as { count?: unknown }).count === "number" ? (c as { count: number }).count : 1), 0);
  return { faults, durationMs: scenario.config.durationMs, clients };
}
