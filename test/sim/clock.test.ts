import { describe, it, expect } from "vitest";
import type { NodeContext } from "../../sim/actor.js";
import { NodeClock } from "../../sim/clock.js";
import { Simulation } from "../../sim/simulation.js";

/** A simulation with idle nodes; returns their contexts. */
function system(ids: readonly string[]): { sim: Simulation; ctx: (id: string) => NodeContext } {
  const sim = new Simulation({ seed: 1 });
  const contexts = new Map<string, NodeContext>();
  for (const id of ids) {
    sim.addNode(id, (ctx) => {
      contexts.set(id, ctx);
      return {};
    });
    sim.node(id).start();
  }
  return { sim, ctx: (id) => contexts.get(id) as NodeContext };
}

describe("NodeClock", () => {
  it("reads simulated time when untouched", () => {
    const clock = new NodeClock();
    expect(clock.wallUs(0)).toBe(0);
    expect(clock.wallUs(123_456)).toBe(123_456);
    expect(clock.toSimDurationUs(5_000)).toBe(5_000);
  });

  it("step shifts the wall clock by the delta, from then on, and steps add up", () => {
    const clock = new NodeClock();
    clock.step(5_000_000);
    expect(clock.wallUs(1_000)).toBe(5_001_000);
    clock.step(-7_000_000);
    expect(clock.wallUs(1_000)).toBe(-1_999_000);
    expect(clock.describe(1_000)).toEqual({ offsetUs: -2_000_000, driftPpm: 0 });
  });

  it("drift accumulates with simulated time at the configured rate", () => {
    const clock = new NodeClock();
    clock.setDrift(0, 100);
    expect(clock.wallUs(0)).toBe(0);
    expect(clock.wallUs(1_000_000)).toBe(1_000_100);
    expect(clock.wallUs(10_000_000)).toBe(10_001_000);
  });

  it("changing the drift rate keeps the drift accumulated so far", () => {
    const clock = new NodeClock();
    clock.setDrift(0, 100);
    clock.setDrift(1_000_000, -50);
    expect(clock.wallUs(1_000_000)).toBe(1_000_100);
    expect(clock.wallUs(2_000_000)).toBe(2_000_050);
  });

  it("setOffset sets the wall clock's offset now, whatever drift accumulated", () => {
    const clock = new NodeClock();
    clock.setDrift(0, 1_000);
    clock.setOffset(1_000_000, 500);
    expect(clock.wallUs(1_000_000)).toBe(1_000_500);
    // Drift keeps running after the offset was set.
    expect(clock.wallUs(2_000_000)).toBe(2_001_500);
  });

  it("reset returns to a true clock", () => {
    const clock = new NodeClock();
    clock.step(99);
    clock.setDrift(0, 1_000);
    clock.reset(5_000_000);
    expect(clock.wallUs(5_000_000)).toBe(5_000_000);
    expect(clock.wallUs(9_000_000)).toBe(9_000_000);
    expect(clock.toSimDurationUs(1_000)).toBe(1_000);
  });
});

describe("node clocks in a simulation", () => {
  it("a step shifts only that node's wall clock; another node's clock is unchanged", () => {
    const { sim, ctx } = system(["a", "b"]);
    sim.runUntil(1_000_000);
    sim.node("a").clock.step(30_000_000);
    expect(ctx("a").wallClockUs()).toBe(31_000_000);
    expect(ctx("b").wallClockUs()).toBe(1_000_000);
    sim.runUntil(2_000_000);
    expect(ctx("a").wallClockUs()).toBe(32_000_000);
    expect(ctx("b").wallClockUs()).toBe(2_000_000);
  });

  it("drift on one node accumulates on that node only", () => {
    const { sim, ctx } = system(["a", "b"]);
    sim.node("a").clock.setDrift(sim.nowUs, 200);
    sim.runUntil(5_000_000);
    expect(ctx("a").wallClockUs()).toBe(5_001_000);
    expect(ctx("b").wallClockUs()).toBe(5_000_000);
  });

  it("timers run on the monotonic clock: a step does not move a pending timer", () => {
    const { sim, ctx } = system(["a"]);
    const fired: number[] = [];
    ctx("a").after(1_000_000, "t", () => fired.push(sim.nowUs));
    sim.at(200_000, () => sim.node("a").clock.step(60_000_000));
    sim.at(400_000, () => sim.node("a").clock.step(-120_000_000));
    sim.runUntil(999_999);
    expect(fired).toEqual([]);
    sim.runUntil(5_000_000);
    expect(fired).toEqual([1_000_000]);
  });

  it("timers set after a step still last their duration in simulated time", () => {
    const { sim, ctx } = system(["a"]);
    sim.node("a").clock.step(-3_600_000_000);
    const fired: number[] = [];
    ctx("a").after(250_000, "t", () => fired.push(sim.nowUs));
    sim.runUntil(10_000_000);
    expect(fired).toEqual([250_000]);
  });

  it("a fast clock (positive drift) makes timers fire earlier in simulated time", () => {
    const { sim, ctx } = system(["a", "b"]);
    sim.node("a").clock.setDrift(0, 100_000); // 10% fast
    const fired: string[] = [];
    ctx("a").after(1_100_000, "t", () => fired.push(`a@${sim.nowUs}`));
    ctx("b").after(1_100_000, "t", () => fired.push(`b@${sim.nowUs}`));
    sim.runUntil(10_000_000);
    expect(fired).toEqual(["a@1000000", "b@1100000"]);
  });

  it("a slow clock (negative drift) makes timers fire later in simulated time", () => {
    const { sim, ctx } = system(["a"]);
    sim.node("a").clock.setDrift(0, -500_000); // half speed
    const fired: number[] = [];
    ctx("a").after(1_000_000, "t", () => fired.push(sim.nowUs));
    sim.runUntil(1_999_999);
    expect(fired).toEqual([]);
    sim.runUntil(10_000_000);
    expect(fired).toEqual([2_000_000]);
  });

  it("a timer fires once, and a cancelled timer never fires", () => {
    const { sim, ctx } = system(["a"]);
    const fired: string[] = [];
    const kept = ctx("a").after(10, "kept", () => fired.push("kept"));
    const cancelled = ctx("a").after(10, "cancelled", () => fired.push("cancelled"));
    expect(kept.pending).toBe(true);
    cancelled.cancel();
    expect(cancelled.pending).toBe(false);
    sim.runUntil(100);
    expect(fired).toEqual(["kept"]);
    expect(kept.pending).toBe(false);
  });
});
