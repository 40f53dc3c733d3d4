import { describe, it, expect } from "vitest";
import { buildSystem, collectTrace, msg, recordsOf } from "../helpers/recorder.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("clog", () => {
  it("holds a link's traffic until the clog ends, then releases all of it in order", () => {
    const sys = buildSystem(["a", "b"], { seed: 2, network: { latency: { model: "uniform", msMin: 1, msMax: 20 } } });
    const trace = collectTrace(sys.sim);
    sys.net.clog("a", "b", 1_000_000);
    for (const i of range(100)) sys.sendAt(i * 5_000, "a", "b", msg("m", i));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b")).toEqual([]);
    sys.sim.runUntil(10_000_000);
    expect(sys.rec.numbers("b")).toEqual(range(100));
    for (const m of sys.rec.messages("b")) expect(m.atUs).toBeGreaterThan(1_000_000);
    expect(recordsOf(trace, "net.drop")).toEqual([]);
    expect(sys.rec.disconnects()).toEqual([]);
  });

  it("released messages arrive one latency after the clog ends", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2 } } });
    sys.net.clog("a", "b", 500_000);
    sys.sendAt(100_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => m.atUs)).toEqual([502_000]);
  });

  it("clogs one direction only", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2 } } });
    sys.net.clog("a", "b", 500_000);
    sys.sendAt(0, "b", "a", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("a").map((m) => m.atUs)).toEqual([2_000]);
  });

  it("traffic sent after the clog ends is not delayed", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2 } } });
    sys.net.clog("a", "b", 500_000);
    sys.sendAt(600_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => m.atUs)).toEqual([602_000]);
  });

  it("messages already in flight when the clog starts are not held", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2 } } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(1_000, () => sys.net.clog("a", "b", 500_000));
    sys.sendAt(1_000, "a", "b", msg("m", 1));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => [m.n, m.atUs])).toEqual([
      [0, 2_000],
      [1, 502_000],
    ]);
  });

  it("heal ends a clog for traffic sent afterwards", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2 } } });
    sys.net.clog("a", "b", 5_000_000);
    sys.sim.at(100_000, () => sys.net.heal());
    sys.sendAt(200_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => m.atUs)).toEqual([202_000]);
  });
});
