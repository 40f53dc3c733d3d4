import type { Rng } from "../../sim/rng.js";
import type { TimedFault } from "./fault.js";

/** The fault families a nemesis draws from. Each family brings its own recovery. */
export const NEMESIS_KINDS = ["partition", "crash", "pause", "clock", "clog", "reset"] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

export interface NemesisOptions {
  /** Families to draw from. Default: all. In swarm mode, the pool a seed draws its subset from. */
  readonly kinds: readonly NemesisKind[];
  /** Each seed enables a random subset of `kinds` with random weights (TigerBeetle/FoundationDB swarm testing). */
  readonly swarm: boolean;
  /** Time between the starts of two faults. */
  readonly intervalMsMin: number;
  readonly intervalMsMax: number;
  /** How long one fault lasts before its recovery (heal, restart, resume, clock reset). */
  readonly faultMsMin: number;
  readonly faultMsMax: number;
  /** When the first fault may start. */
  readonly startMs: number;
  /** Probability that a crash loses the node's unflushed data. */
  readonly loseUnflushedRatio: number;
  readonly clockOffsetMsMax: number;
  readonly clockDriftPpmMax: number;
}

/** Everything the nemesis drew for a seed: printed before the run, kept in the result. */
export interface NemesisPlan {
  readonly kinds: readonly NemesisKind[];
  readonly weights: Readonly<Record<string, number>>;
  readonly intervalMsMin: number;
  readonly intervalMsMax: number;
  readonly faults: readonly TimedFault[];
}

export interface NemesisTargets {
  /** Nodes that crash, pause and have their clocks disturbed. */
  readonly servers: readonly string[];
  /** Every node: partition and connection-reset peers. */
  readonly all: readonly string[];
}

/**
 * Draws the whole fault schedule up front from the seed, so that a run's faults are explicit
 * data (printable, replayable, shrinkable). Nothing is drawn after `windowEndMs`.
 */
export function planNemesis(options: NemesisOptions, targets: NemesisTargets, windowEndMs: number, rng: Rng): NemesisPlan {
  const draw = rng.fork("plan");
  const { kinds, weights, intervalScale } = options.swarm ? drawSwarm(options.kinds, rng.fork("swarm")) : uniform(options.kinds);
  const intervalMsMin = Math.max(1, Math.round(options.intervalMsMin * intervalScale));
  const intervalMsMax = Math.max(intervalMsMin, Math.round(options.intervalMsMax * intervalScale));
  const faults: TimedFault[] = [];
  const busyUntil = new Map<string, number>();
  let atMs = options.startMs + draw.int(intervalMsMin, intervalMsMax);
  while (atMs < windowEndMs && kinds.length > 0) {
    const kind = pickWeighted(kinds, weights, draw);
    const durationMs = draw.int(options.faultMsMin, options.faultMsMax);
    const endMs = Math.min(atMs + durationMs, windowEndMs);
    faults.push(...drawFault(kind, atMs, endMs, options, targets, busyUntil, draw));
    atMs += draw.int(intervalMsMin, intervalMsMax);
  }
  faults.sort((a, b) => a.atMs - b.atMs);
  return { kinds, weights, intervalMsMin, intervalMsMax, faults };
}

function uniform(kinds: readonly NemesisKind[]) {
  const weights: Record<string, number> = {};
  for (const kind of kinds) weights[kind] = 1;
  return { kinds: [...kinds], weights, intervalScale: 1 };
}

function drawSwarm(pool: readonly NemesisKind[], rng: Rng) {
  let kinds = pool.filter(() => rng.chance(0.5));
  if (kinds.length === 0 && pool.length > 0) kinds = [rng.pick(pool)];
  const weights: Record<string, number> = {};
  for (const kind of kinds) weights[kind] = rng.int(1, 10);
  const intervalScale = rng.int(50, 200) / 100;
  return { kinds, weights, intervalScale };
}

function pickWeighted(kinds: readonly NemesisKind[], weights: Readonly<Record<string, number>>, rng: Rng): NemesisKind {
  let total = 0;
  for (const kind of kinds) total += weights[kind] ?? 0;
  let ticket = rng.int(1, total);
  for (const kind of kinds) {
    ticket -= weights[kind] ?? 0;
    if (ticket <= 0) return kind;
  }
  return kinds[kinds.length - 1] as NemesisKind;
}

/** One fault and its recovery. Nodes and the partition are busy until their recovery. */
function drawFault(
  kind: NemesisKind,
  atMs: number,
  endMs: number,
  options: NemesisOptions,
  targets: NemesisTargets,
  busyUntil: Map<string, number>,
  rng: Rng,
): TimedFault[] {
  const free = (key: string) => (busyUntil.get(key) ?? -1) < atMs;
  const freeServers = targets.servers.filter((n) => free(n));
  const reserve = (key: string) => busyUntil.set(key, endMs);
  switch (kind) {
    case "partition": {
      if (!free("partition") || targets.all.length < 2) return [];
      reserve("partition");
      const shape = rng.pick(["isolate", "halves", "majorities-ring", "one-way"] as const);
      const start: TimedFault =
        shape === "isolate"
          ? { atMs, kind, shape, node: rng.pick(targets.servers.length > 0 ? targets.servers : targets.all) }
          : shape === "one-way"
            ? oneWay(atMs, targets.all, rng)
            : { atMs, kind, shape };
      return [start, { atMs: endMs, kind: "heal" }];
    }
    case "crash": {
      if (freeServers.length === 0) return [];
      const node = rng.pick(freeServers);
      reserve(node);
      const loseUnflushed = rng.chance(options.loseUnflushedRatio);
      return [
        { atMs, kind: "crash", node, loseUnflushed },
        { atMs: endMs, kind: "restart", node },
      ];
    }
    case "pause": {
      if (freeServers.length === 0) return [];
      const node = rng.pick(freeServers);
      reserve(node);
      return [
        { atMs, kind: "pause", node },
        { atMs: endMs, kind: "resume", node },
      ];
    }
    case "clock": {
      if (targets.servers.length === 0) return [];
      const node = rng.pick(targets.servers);
      const start: TimedFault = rng.chance(0.5)
        ? { atMs, kind: "clock-step", node, deltaMs: rng.int(-options.clockOffsetMsMax, options.clockOffsetMsMax) }
        : { atMs, kind: "clock-drift", node, driftPpm: rng.int(-options.clockDriftPpmMax, options.clockDriftPpmMax) };
      return [start, { atMs: endMs, kind: "clock-reset", node }];
    }
    case "clog": {
      if (targets.all.length < 2) return [];
      const [from, to] = twoDistinct(targets.all, rng);
      return [{ atMs, kind: "clog", from, to, durationMs: endMs - atMs }];
    }
    case "reset": {
      if (targets.all.length < 2) return [];
      return [{ atMs, kind: "reset", nodes: twoDistinct(targets.all, rng) }];
    }
  }
}

function oneWay(atMs: number, nodes: readonly string[], rng: Rng): TimedFault {
  const shuffled = rng.shuffle(nodes);
  const cut = rng.int(1, shuffled.length - 1);
  return { atMs, kind: "partition", shape: "one-way", from: shuffled.slice(0, cut), to: shuffled.slice(cut) };
}

function twoDistinct(nodes: readonly string[], rng: Rng): [string, string] {
  const [a, b] = rng.shuffle(nodes);
  return [a as string, b as string];
}
