import { describe, expect, it } from "vitest";
import { Rng } from "../../sim/rng.js";
import { NEMESIS_KINDS, planNemesis, type NemesisOptions } from "../../src/faults/nemesis.js";

const OPTIONS: NemesisOptions = {
  kinds: [...NEMESIS_KINDS],
  swarm: false,
  intervalMsMin: 500,
  intervalMsMax: 2000,
  faultMsMin: 100,
  faultMsMax: 1000,
  startMs: 1000,
  loseUnflushedRatio: 0.5,
  clockOffsetMsMax: 10_000,
  clockDriftPpmMax: 500,
};
const TARGETS = { servers: ["b1", "b2", "b3"], all: ["b1", "b2", "b3", "c1", "c2"] };
const WINDOW_MS = 60_000;

describe("nemesis", () => {
  it("draws the same schedule for the same seed and a different one for another seed", () => {
    const a = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(7));
    const b = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(7));
    const c = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(8));
    expect(a).toEqual(b);
    expect(a.faults).not.toEqual(c.faults);
  });

  it("draws faults only inside the fault window, sorted by time", () => {
    const plan = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(3));
    expect(plan.faults.length).toBeGreaterThan(20);
    for (const fault of plan.faults) {
      expect(fault.atMs).toBeGreaterThanOrEqual(OPTIONS.startMs);
      expect(fault.atMs).toBeLessThanOrEqual(WINDOW_MS);
    }
    const times = plan.faults.map((f) => f.atMs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it("gives every crash a restart and every pause a resume on the same node, later", () => {
    const plan = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(11));
    for (const [start, end] of [
      ["crash", "restart"],
      ["pause", "resume"],
    ] as const) {
      const starts = plan.faults.filter((f) => f.kind === start);
      expect(starts.length).toBeGreaterThan(0);
      for (const fault of starts) {
        const node = (fault as { node: string }).node;
        const recovery = plan.faults.find((f) => f.kind === end && (f as { node: string }).node === node && f.atMs >= fault.atMs);
        expect(recovery, `${start} of ${node} at ${fault.atMs}`).toBeDefined();
      }
    }
  });

  it("crashes, pauses and skews only servers; never a node that is still down", () => {
    const plan = planNemesis(OPTIONS, TARGETS, WINDOW_MS, new Rng(5));
    const down = new Set<string>();
    for (const fault of plan.faults) {
      if (fault.kind === "crash" || fault.kind === "pause" || fault.kind.startsWith("clock")) {
        expect(TARGETS.servers).toContain((fault as { node: string }).node);
      }
      if (fault.kind === "crash" || fault.kind === "pause") {
        expect(down.has(fault.node)).toBe(false);
        down.add(fault.node);
      }
      if (fault.kind === "restart" || fault.kind === "resume") down.delete(fault.node);
    }
  });

  it("draws from the enabled kinds only", () => {
    const plan = planNemesis({ ...OPTIONS, kinds: ["pause"] }, TARGETS, WINDOW_MS, new Rng(1));
    expect(new Set(plan.faults.map((f) => f.kind))).toEqual(new Set(["pause", "resume"]));
  });

  it("in swarm mode, enables a seed-dependent subset of kinds with seed-dependent weights", () => {
    const swarm = { ...OPTIONS, swarm: true };
    const subsets = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const plan = planNemesis(swarm, TARGETS, WINDOW_MS, new Rng(seed));
      expect(plan.kinds.length).toBeGreaterThan(0);
      for (const kind of plan.kinds) expect(NEMESIS_KINDS).toContain(kind);
      const families = new Set(plan.faults.map((f) => familyOf(f.kind)));
      for (const family of families) expect(plan.kinds).toContain(family);
      subsets.add(plan.kinds.join(","));
    }
    expect(subsets.size).toBeGreaterThan(5);
  });
});

function familyOf(kind: string): string {
  if (kind === "heal") return "partition";
  if (kind === "restart") return "crash";
  if (kind === "resume") return "pause";
  if (kind.startsWith("clock")) return "clock";
  return kind;
}
