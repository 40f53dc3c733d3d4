import { describe, it, expect } from "vitest";
import { Rng } from "../../sim/rng.js";
import { applyPartition, PartitionTable, type PartitionShape } from "../../src/network/partitions.js";
import { buildSystem, collectTrace, msg, recordsOf } from "../helpers/recorder.js";

const FIVE = ["n1", "n2", "n3", "n4", "n5"] as const;
const CONSTANT = { model: "constant", ms: 1 } as const;

/** Does one message from → to get through on a fresh system with `shape` applied? (connection mode) */
function delivers(shape: PartitionShape, from: string, to: string, seed = 1): boolean {
  const sys = buildSystem(FIVE, { seed, network: { latency: CONSTANT } });
  sys.net.applyPartition(shape, FIVE);
  sys.ctx(from).send(to, msg("m", 0));
  sys.sim.runUntil(100_000);
  return sys.rec.messages(to, from).length === 1;
}

/** Ordered pairs (from, to) that cannot talk, checked by sending real messages. */
function blockedBySending(shape: PartitionShape, seed = 1): string[] {
  const out: string[] = [];
  for (const from of FIVE) for (const to of FIVE) if (from !== to && !delivers(shape, from, to, seed)) out.push(`${from}->${to}`);
  return out;
}

function tablePairs(shape: PartitionShape, seed = 1): string[] {
  const table = new PartitionTable();
  applyPartition(table, shape, FIVE, new Rng(seed).fork("network"));
  return table.pairs().map(([a, b]) => `${a}->${b}`);
}

function crossPairs(groups: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const g of groups) for (const h of groups) if (g !== h) for (const a of g) for (const b of h) out.push(`${a}->${b}`);
  return out.sort();
}

describe("partition shapes", () => {
  it("a symmetric partition drops traffic both ways, and only across the cut", () => {
    const shape: PartitionShape = { shape: "groups", groups: [["n1", "n2"], ["n3", "n4", "n5"]] };
    expect(blockedBySending(shape).sort()).toEqual(crossPairs([["n1", "n2"], ["n3", "n4", "n5"]]));
  });

  it("a one-way partition drops only the blocked direction", () => {
    const shape: PartitionShape = { shape: "one-way", from: ["n1"], to: ["n2", "n3"] };
    expect(blockedBySending(shape)).toEqual(["n1->n2", "n1->n3"]);
    expect(delivers(shape, "n2", "n1")).toBe(true);
    expect(delivers(shape, "n3", "n1")).toBe(true);
  });

  it("isolate blocks exactly the traffic to and from the isolated node", () => {
    const shape: PartitionShape = { shape: "isolate", node: "n3" };
    const expected = FIVE.filter((n) => n !== "n3").flatMap((n) => [`n3->${n}`, `${n}->n3`]).sort();
    expect(blockedBySending(shape).sort()).toEqual(expected);
    expect(tablePairs(shape)).toEqual(expected);
  });

  it("halves splits the nodes into two groups of floor(n/2) and ceil(n/2), cut both ways", () => {
    for (const seed of [1, 2, 3, 4]) {
      const blocked = tablePairs({ shape: "halves" }, seed);
      const cutFrom = (n: string): string[] => blocked.filter((p) => p.startsWith(`${n}->`)).map((p) => p.slice(n.length + 2));
      const small = FIVE.filter((n) => cutFrom(n).length === 3);
      const large = FIVE.filter((n) => cutFrom(n).length === 2);
      expect(small).toHaveLength(2);
      expect(large).toHaveLength(3);
      expect(blocked).toEqual(crossPairs([small, large]));
    }
  });

  it("halves is seeded: the same seed gives the same split, and the network applies it as resolved", () => {
    expect(tablePairs({ shape: "halves" }, 7)).toEqual(tablePairs({ shape: "halves" }, 7));
    const splits = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => tablePairs({ shape: "halves" }, seed).join()));
    expect(splits.size).toBeGreaterThan(1);
    expect(blockedBySending({ shape: "halves" }, 7).sort()).toEqual(tablePairs({ shape: "halves" }, 7));
  });

  it("majorities-ring: each of 5 nodes reaches exactly a majority (itself and two others), and no two see the same majority", () => {
    for (const seed of [1, 2, 3]) {
      const blocked = new Set(blockedBySending({ shape: "majorities-ring" }, seed));
      const sees = FIVE.map((a) => FIVE.filter((b) => a === b || !blocked.has(`${a}->${b}`)).join(","));
      for (const view of sees) expect(view.split(",")).toHaveLength(3);
      expect(new Set(sees).size).toBe(5);
      // Reachability is symmetric: a sees b iff b sees a.
      for (const a of FIVE) for (const b of FIVE) expect(blocked.has(`${a}->${b}`)).toBe(blocked.has(`${b}->${a}`));
    }
  });

  it("the partition is traced with its blocked pairs", () => {
    const sys = buildSystem(FIVE);
    const trace = collectTrace(sys.sim);
    sys.net.applyPartition({ shape: "isolate", node: "n1" }, FIVE);
    const [rec] = recordsOf(trace, "net.partition");
    expect(rec?.fields?.shape).toBe("isolate");
    expect(String(rec?.fields?.blocked).split(",").sort()).toEqual(tablePairs({ shape: "isolate", node: "n1" }));
  });
});

describe("PartitionTable", () => {
  it("blocks nothing until told, ignores self-pairs and counts each pair once", () => {
    const table = new PartitionTable();
    expect(table.active).toBe(false);
    expect(table.isBlocked("a", "b")).toBe(false);
    table.blockOneWay("a", "a");
    expect(table.active).toBe(false);
    table.blockOneWay("a", "b");
    table.blockOneWay("a", "b");
    expect(table.active).toBe(true);
    expect(table.isBlocked("a", "b")).toBe(true);
    expect(table.isBlocked("b", "a")).toBe(false);
    expect(table.pairs()).toEqual([["a", "b"]]);
  });

  it("heal unblocks everything", () => {
    const table = new PartitionTable();
    table.separate([["a"], ["b", "c"]]);
    table.heal();
    expect(table.active).toBe(false);
    expect(table.pairs()).toEqual([]);
    expect(table.isBlocked("a", "b")).toBe(false);
  });
});

describe("partitions on live connections", () => {
  it("heal before any traffic crossed restores traffic at once", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: CONSTANT } });
    sys.net.applyPartition({ shape: "isolate", node: "a" }, ["a", "b"]);
    sys.net.heal();
    sys.ctx("a").send("b", msg("m", 0));
    sys.ctx("b").send("a", msg("m", 1));
    sys.sim.runUntil(100_000);
    expect(sys.rec.numbers("b")).toEqual([0]);
    expect(sys.rec.numbers("a")).toEqual([1]);
  });

  it("a message dropped by a partition breaks the connection: both ends get onDisconnect after brokenConnectionDetectMs, not before", () => {
    const sys = buildSystem(["a", "b", "c"], { network: { latency: CONSTANT, brokenConnectionDetectMs: 500 } });
    sys.net.applyPartition({ shape: "isolate", node: "a" }, ["a", "b", "c"]);
    sys.sendAt(10_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(509_999);
    expect(sys.rec.disconnects()).toEqual([]);
    sys.sim.runUntil(2_000_000);
    expect(sys.rec.disconnects()).toEqual([
      { kind: "disconnect", atUs: 510_000, node: "a", peer: "b" },
      { kind: "disconnect", atUs: 510_000, node: "b", peer: "a" },
    ]);
    expect(sys.rec.messages()).toEqual([]);
  });

  it("a direction that lost a message carries nothing more, even after heal, until the ends notice; the other direction still delivers", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: CONSTANT, brokenConnectionDetectMs: 500 } });
    const trace = collectTrace(sys.sim);
    sys.net.applyPartition({ shape: "isolate", node: "a" }, ["a", "b"]);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(100_000, () => sys.net.heal());
    sys.sendAt(200_000, "a", "b", msg("m", 1));
    sys.sendAt(200_000, "b", "a", msg("m", 2));
    sys.sendAt(600_000, "a", "b", msg("m", 3));
    sys.sendAt(600_000, "b", "a", msg("m", 4));
    sys.sim.runUntil(2_000_000);
    expect(sys.rec.numbers("b")).toEqual([3]);
    expect(sys.rec.numbers("a")).toEqual([2, 4]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["partition", "broken-connection"]);
  });

  it("a message in flight when a partition starts is dropped on arrival and breaks its connection", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 10 }, brokenConnectionDetectMs: 100 } });
    const trace = collectTrace(sys.sim);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(5_000, () => sys.net.applyPartition({ shape: "groups", groups: [["a"], ["b"]] }, ["a", "b"]));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages()).toEqual([]);
    expect(recordsOf(trace, "net.drop").map((r) => [r.timeUs, r.fields?.reason])).toEqual([[10_000, "partition"]]);
    expect(sys.rec.disconnects().map((d) => [d.node, d.atUs])).toEqual([
      ["a", 110_000],
      ["b", 110_000],
    ]);
  });

  it("a partition between two nodes leaves other connections alone", () => {
    const sys = buildSystem(["a", "b", "c"], { network: { latency: CONSTANT, brokenConnectionDetectMs: 100 } });
    sys.net.applyPartition({ shape: "groups", groups: [["a"], ["b"]] }, ["a", "b"]);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(0, "a", "c", msg("m", 1));
    sys.sendAt(0, "c", "b", msg("m", 2));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.numbers("c")).toEqual([1]);
    expect(sys.rec.numbers("b")).toEqual([2]);
    expect(sys.rec.disconnects("c")).toEqual([]);
  });
});
