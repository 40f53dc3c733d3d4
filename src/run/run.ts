import { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import type { TraceListener } from "../../sim/trace.js";
import type { Violation } from "../checks/violation.js";
import type { TimedFault } from "../faults/fault.js";
import { FaultInjector } from "../faults/injector.js";
import { planNemesis, type NemesisPlan } from "../faults/nemesis.js";
import { Network } from "../network/network.js";
import type { Scenario } from "../scenario/load.js";
import { validateReferences } from "../scenario/load.js";
import { systemFor } from "../systems/index.js";
import type { BuiltSystem } from "../systems/system-model.js";
import { EOSIM_VERSION } from "../version.js";
import { exitCodeOf, verdictOf, type RunResult } from "./result.js";
import { wallClockMs } from "./wall-clock.js";

export interface RunOptions {
  /** Default: the scenario's seed. */
  readonly seed?: number;
  /** Bug switches added to the scenario's own. */
  readonly bugs?: readonly string[];
  /** Receives every trace record (the JSONL writer is one). */
  readonly onTrace?: TraceListener;
}

/** A run that is built and ready: its seed, bugs and drawn faults can be printed before it starts. */
export interface PreparedRun {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly bugs: readonly string[];
  readonly nemesis: NemesisPlan | null;
  readonly sim: Simulation;
  execute(): RunResult;
}

/** Runs a scenario with a seed and returns its verdict. Deterministic: same inputs, same traceHash. */
export function run(scenario: Scenario, options: RunOptions = {}): RunResult {
  return prepareRun(scenario, options).execute();
}

export function prepareRun(scenario: Scenario, options: RunOptions = {}): PreparedRun {
  const config = scenario.config;
  const seed = options.seed ?? config.seed;
  const bugs = [...new Set([...config.bugs, ...(options.bugs ?? [])])].sort();
  validateReferences(config, scenario.file, options.bugs);
  const sim = new Simulation({ seed, bugs, shuffleTies: config.shuffleTies, diskWritebackMs: config.disk.writebackMs ?? Number.POSITIVE_INFINITY });
  if (options.onTrace) sim.trace.listen(options.onTrace);
  sim.record("run.start", "eosim", { scenario: config.name, scenarioHash: scenario.contentHash, seed, bugs: bugs.join(","), version: EOSIM_VERSION });
  const network = new Network(sim, config.network);
  const system = systemFor(config.cluster.kind);
  const built = system.build({ sim, network, cluster: config.cluster, clients: config.clients });
  const injector = new FaultInjector(sim, network, built.nodes);
  const nemesis = config.nemesis
    ? planNemesis(
        config.nemesis,
        { servers: config.nemesis.targets ?? built.servers, all: built.nodes },
        config.durationMs,
        sim.rng.fork("nemesis"),
      )
    : null;
  const faults: TimedFault[] = [...config.faults, ...(nemesis?.faults ?? [])].sort((a, b) => a.atMs - b.atMs);
  injector.schedule(faults);
  sim.at(msToUs(config.durationMs), () => {
    built.stopWorkload();
    if (config.liveness.enabled) injector.apply({ atMs: config.durationMs, kind: "heal-all" });
  });
  const endMs = config.durationMs + (config.liveness.enabled ? config.liveness.durationMs : 0);

  return {
    scenario,
    seed,
    bugs,
    nemesis,
    sim,
    execute: () => {
      const started = wallClockMs();
      sim.runUntil(msToUs(endMs));
      const { all, counts: violationCounts } = collectViolations(scenario, sim, built);
      const verdict = verdictOf(all);
      const violations = keepFirstPerInvariant(all);
      const { faults: _drawn, ...nemesisParams } = nemesis ?? { faults: [] };
      return {
        eosimVersion: EOSIM_VERSION,
        scenario: config.name,
        scenarioFile: scenario.file,
        scenarioHash: scenario.contentHash,
        seed,
        bugs,
        verdict,
        exitCode: exitCodeOf(verdict),
        violations,
        violationCounts,
        traceHash: sim.trace.hash,
        traceRecords: sim.trace.count,
        events: sim.eventCount,
        simTimeMs: sim.nowUs / 1000,
        wallMs: Math.round(wallClockMs() - started),
        faults: injector.log,
        nemesis: nemesis ? (nemesisParams as Omit<NemesisPlan, "faults">) : null,
        assertions: sim.assert.snapshot(),
        historyOps: sim.history.length,
      };
    },
  };
}

function collectViolations(scenario: Scenario, sim: Simulation, built: BuiltSystem): { all: Violation[]; counts: Record<string, number> } {
  const config = scenario.config;
  const fromAssertions: Violation[] = sim.assert.failures.map((failure) => ({
    invariant: failure.name,
    kind: "safety",
    message: `${failure.name} broke: ${JSON.stringify(failure.details ?? {})}`,
    evidence: { ops: [], traceIndices: [failure.traceIndex], timeUs: failure.timeUs, data: { details: failure.details } },
  }));
  const selected = config.invariants;
  const wanted = (invariant: string) => selected === undefined || selected.includes(invariant);
  const counts: Record<string, number> = {};
  for (const failure of sim.assert.failures) if (wanted(failure.name)) counts[failure.name] = sim.assert.failureCount(failure.name);
  const checked = [...built.checkHistory(), ...(config.liveness.enabled ? built.checkLiveness() : [])].filter((v) => wanted(v.invariant));
  for (const violation of checked) counts[violation.invariant] = (counts[violation.invariant] ?? 0) + 1;
  return { all: [...fromAssertions.filter((v) => wanted(v.invariant)), ...checked], counts };
}

/** Violations kept per invariant in a result; the rest are only counted. */
export const VIOLATIONS_KEPT_PER_INVARIANT = 20;

function keepFirstPerInvariant(all: readonly Violation[]): Violation[] {
  const kept = new Map<string, number>();
  return all.filter((violation) => {
    const count = (kept.get(violation.invariant) ?? 0) + 1;
    kept.set(violation.invariant, count);
    return count <= VIOLATIONS_KEPT_PER_INVARIANT;
  });
}
