import type { Rng } from "../../sim/rng.js";

/** Which nodes cannot reach which: a set of blocked ordered (from, to) pairs. */
export class PartitionTable {
  private readonly blocked = new Map<string, Set<string>>();
  private blockedPairs = 0;

  get active(): boolean {
    return this.blockedPairs > 0;
  }

  isBlocked(from: string, to: string): boolean {
    return this.blockedPairs > 0 && this.blocked.get(from)?.has(to) === true;
  }

  blockOneWay(from: string, to: string): void {
    if (from === to) return;
    let targets = this.blocked.get(from);
    if (targets === undefined) {
      targets = new Set();
      this.blocked.set(from, targets);
    }
    if (!targets.has(to)) {
      targets.add(to);
      this.blockedPairs++;
    }
  }

  /** Blocks traffic between every pair of nodes that are in different groups. */
  separate(groups: readonly (readonly string[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i] ?? []) for (const b of groups[j] ?? []) this.blockOneWay(a, b);
      }
    }
  }

  /** Blocked pairs, sorted: for reports and tests. */
  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (const [from, targets] of this.blocked) for (const to of targets) out.push([from, to]);
    return out.sort((x, y) => (x[0] + "\u0000" + x[1] < y[0] + "\u0000" + y[1] ? -1 : 1));
  }

  heal(): void {
    this.blocked.clear();
    this.blockedPairs = 0;
  }
}

/** The shapes a partition can take, as Jepsen names them. */
export type PartitionShape =
  | { readonly shape: "groups"; readonly groups: readonly (readonly string[])[] }
  | { readonly shape: "isolate"; readonly node: string }
  | { readonly shape: "one-way"; readonly from: readonly string[]; readonly to: readonly string[] }
  | { readonly shape: "halves" }
  | { readonly shape: "majorities-ring" };

/**
 * Resolves a shape into blocked pairs over `nodes`. `halves` splits a seeded shuffle in two;
 * `majorities-ring` lets each node see a majority, but no two nodes the same one.
 */
export function applyPartition(table: PartitionTable, shape: PartitionShape, nodes: readonly string[], rng: Rng): void {
  switch (shape.shape) {
    case "groups":
      table.separate(shape.groups);
      return;
    case "isolate":
      table.separate([[shape.node], nodes.filter((n) => n !== shape.node)]);
      return;
    case "one-way":
      for (const from of shape.from) for (const to of shape.to) table.blockOneWay(from, to);
      return;
    case "halves": {
      const shuffled = rng.shuffle(nodes);
      const cut = Math.floor(shuffled.length / 2);
      table.separate([shuffled.slice(0, cut), shuffled.slice(cut)]);
      return;
    }
    case "majorities-ring":
      blockMajoritiesRing(table, rng.shuffle(nodes));
      return;
    default: {
      const unknown: never = shape;
      throw new Error(`unknown partition shape ${JSON.stringify(unknown)}`);
    }
  }
}

function blockMajoritiesRing(table: PartitionTable, ring: readonly string[]): void {
  const n = ring.length;
  const reach = Math.ceil(Math.floor(n / 2) / 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const distance = Math.min((i - j + n) % n, (j - i + n) % n);
      if (distance > reach) table.blockOneWay(ring[i] as string, ring[j] as string);
    }
  }
}
