import { describe, it, expect } from "vitest";
import type { NetworkOptions } from "../../src/network/network.js";
import { buildSystem, collectTrace, msg, recordsOf, type TestSystem } from "../helpers/recorder.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const CONSTANT = { model: "constant", ms: 1 } as const;

function run(count: number, network: NetworkOptions, seed = 1): TestSystem & { drops: string[] } {
  const sys = buildSystem(["a", "b"], { seed, network: { mode: "datagram", ...network } });
  const trace = collectTrace(sys.sim);
  for (const i of range(count)) sys.sendAt(i * 100, "a", "b", msg("m", i));
  sys.sim.runUntil(600_000_000);
  return { ...sys, drops: recordsOf(trace, "net.drop").map((r) => String(r.fields?.reason)) };
}

function counts(ns: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const n of ns) out.set(n, (out.get(n) ?? 0) + 1);
  return out;
}

describe("datagram mode", () => {
  it("with no loss, duplication or reordering, every message arrives once", () => {
    const sys = run(1000, { latency: CONSTANT });
    expect(sys.rec.numbers("b")).toEqual(range(1000));
    expect(sys.drops).toEqual([]);
  });

  it("lossRatio drops about that fraction of messages, and each lost message is traced", () => {
    const sys = run(5000, { latency: CONSTANT, lossRatio: 0.2 });
    const lost = sys.drops.filter((r) => r === "loss").length;
    expect(lost / 5000).toBeGreaterThan(0.17);
    expect(lost / 5000).toBeLessThan(0.23);
    expect(sys.rec.numbers("b")).toHaveLength(5000 - lost);
    // What arrives arrives once.
    expect(new Set(sys.rec.numbers("b")).size).toBe(5000 - lost);
  });

  it("duplicateRatio delivers about that fraction twice, never more, and loses nothing", () => {
    const sys = run(5000, { latency: CONSTANT, duplicateRatio: 0.3 });
    const c = counts(sys.rec.numbers("b"));
    expect(c.size).toBe(5000);
    const twice = [...c.values()].filter((k) => k === 2).length;
    expect([...c.values()].every((k) => k === 1 || k === 2)).toBe(true);
    expect(twice / 5000).toBeGreaterThan(0.27);
    expect(twice / 5000).toBeLessThan(0.33);
  });

  it("reorderRatio makes some messages overtake others; without it constant latency keeps order", () => {
    const reordered = run(2000, { latency: CONSTANT, reorderRatio: 0.2, reorderMsMax: 10 }).rec.numbers("b");
    expect([...reordered].sort((x, y) => x - y)).toEqual(range(2000));
    let inversions = 0;
    for (let i = 1; i < reordered.length; i++) if ((reordered[i] as number) < (reordered[i - 1] as number)) inversions++;
    expect(inversions).toBeGreaterThan(100);
    expect(run(2000, { latency: CONSTANT }).rec.numbers("b")).toEqual(range(2000));
  });

  it("a partition drops datagrams without breaking anything: no disconnect, traffic resumes at heal", () => {
    const sys = buildSystem(["a", "b"], { network: { mode: "datagram", latency: CONSTANT } });
    const trace = collectTrace(sys.sim);
    sys.net.applyPartition({ shape: "groups", groups: [["a"], ["b"]] }, ["a", "b"]);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(0, "b", "a", msg("m", 1));
    sys.sim.at(10_000, () => sys.net.heal());
    sys.sendAt(20_000, "a", "b", msg("m", 2));
    sys.sim.runUntil(10_000_000);
    expect(sys.rec.numbers("b")).toEqual([2]);
    expect(sys.rec.numbers("a")).toEqual([]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["partition", "partition"]);
    expect(sys.rec.disconnects()).toEqual([]);
  });

  it("a crash does not send disconnects in datagram mode", () => {
    const sys = buildSystem(["a", "b"], { network: { mode: "datagram", latency: CONSTANT } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(10_000, () => sys.sim.node("a").crash(false));
    sys.sim.runUntil(100_000);
    expect(sys.rec.disconnects()).toEqual([]);
  });

  it("loss, duplication and reordering are deterministic per seed", () => {
    const options: NetworkOptions = {
      latency: { model: "uniform", msMin: 0.5, msMax: 5 },
      lossRatio: 0.1,
      duplicateRatio: 0.1,
      reorderRatio: 0.1,
    };
    const a = run(2000, options, 11);
    const b = run(2000, options, 11);
    const c = run(2000, options, 12);
    expect(b.rec.seen).toEqual(a.rec.seen);
    expect(b.sim.trace.hash).toBe(a.sim.trace.hash);
    expect(c.rec.numbers("b")).not.toEqual(a.rec.numbers("b"));
    expect(c.sim.trace.hash).not.toBe(a.sim.trace.hash);
  });
});
