import { describe, it, expect } from "vitest";
import { Assertions, FAILURES_KEPT_PER_ASSERTION } from "../../sim/assertions.js";
import { Simulation } from "../../sim/simulation.js";

function standalone(): { assert: Assertions; set: (now: number, traceCount: number) => void } {
  let now = 0;
  let count = 0;
  const assert = new Assertions({ nowUs: () => now, traceFailure: () => count });
  return { assert, set: (n, c) => ((now = n), (count = c)) };
}

describe("Assertions.always", () => {
  it("a holding condition counts a hit and records no failure", () => {
    const { assert } = standalone();
    expect(assert.always(true, "lso<=hw")).toBe(true);
    expect(assert.failures).toEqual([]);
    expect(assert.snapshot()).toEqual([{ name: "lso<=hw", kind: "always", evaluations: 1, hits: 1 }]);
  });

  it("a failing condition records a failure with the time, trace index and details", () => {
    const { assert, set } = standalone();
    set(1_234, 56);
    expect(assert.always(false, "lso<=hw", () => ({ lso: 5, hw: 4 }))).toBe(false);
    expect(assert.failures).toEqual([{ name: "lso<=hw", timeUs: 1_234, traceIndex: 56, details: { lso: 5, hw: 4 } }]);
    expect(assert.snapshot()).toEqual([{ name: "lso<=hw", kind: "always", evaluations: 1, hits: 0 }]);
  });

  it("details are computed only when the condition fails", () => {
    const { assert } = standalone();
    let computed = 0;
    assert.always(true, "x", () => computed++);
    expect(computed).toBe(0);
    assert.always(false, "x", () => computed++);
    expect(computed).toBe(1);
  });

  it("in a simulation, a failure carries the simulated time and the trace position", () => {
    const sim = new Simulation({ seed: 1 });
    sim.at(500, () => {
      sim.record("a", "n");
      sim.record("b", "n");
      sim.assert.always(false, "broken");
    });
    sim.runUntil(1_000);
    expect(sim.assert.failures).toEqual([{ name: "broken", timeUs: 500, traceIndex: 2, details: undefined }]);
  });

  it("a failure is itself a trace record, so the trace hash covers it", () => {
    const sim = new Simulation({ seed: 1 });
    const kinds: string[] = [];
    sim.trace.listen((record) => kinds.push(`${record.kind}:${String(record.fields?.["name"])}`));
    sim.at(1, () => sim.assert.always(false, "broken"));
    sim.runUntil(10);
    expect(kinds).toEqual(["assert.fail:broken"]);
  });

  it("keeps the first failures of an assertion and counts the rest", () => {
    const { assert } = standalone();
    for (let i = 0; i < FAILURES_KEPT_PER_ASSERTION + 5; i++) assert.always(false, "again");
    assert.always(false, "other");
    expect(assert.failureCount("again")).toBe(FAILURES_KEPT_PER_ASSERTION + 5);
    expect(assert.failures.filter((f) => f.name === "again")).toHaveLength(FAILURES_KEPT_PER_ASSERTION);
    expect(assert.failures.filter((f) => f.name === "other")).toHaveLength(1);
  });
});

describe("Assertions.sometimes and reachable", () => {
  it("sometimes counts evaluations and hits and never records a failure", () => {
    const { assert } = standalone();
    expect(assert.sometimes(false, "fenced")).toBe(false);
    expect(assert.sometimes(true, "fenced")).toBe(true);
    assert.sometimes(false, "fenced");
    expect(assert.snapshot()).toEqual([{ name: "fenced", kind: "sometimes", evaluations: 3, hits: 1 }]);
    expect(assert.failures).toEqual([]);
  });

  it("reachable counts every time it is reached", () => {
    const { assert } = standalone();
    assert.reachable("abort-path");
    assert.reachable("abort-path");
    expect(assert.snapshot()).toEqual([{ name: "abort-path", kind: "reachable", evaluations: 2, hits: 2 }]);
  });

  it("declare reports a zero count for a property never reached", () => {
    const { assert } = standalone();
    assert.declare("never", "reachable");
    assert.declare("rare", "sometimes");
    assert.declare("inv", "always");
    expect(assert.snapshot()).toEqual([
      { name: "inv", kind: "always", evaluations: 0, hits: 0 },
      { name: "never", kind: "reachable", evaluations: 0, hits: 0 },
      { name: "rare", kind: "sometimes", evaluations: 0, hits: 0 },
    ]);
  });

  it("declaring keeps counts made before and after", () => {
    const { assert } = standalone();
    assert.reachable("r");
    assert.declare("r", "reachable");
    assert.reachable("r");
    expect(assert.snapshot()).toEqual([{ name: "r", kind: "reachable", evaluations: 2, hits: 2 }]);
  });

  it("using one name as two kinds throws", () => {
    const { assert } = standalone();
    assert.declare("x", "sometimes");
    expect(() => assert.always(true, "x")).toThrow();
    expect(() => assert.reachable("x")).toThrow();
  });

  it("snapshot is sorted by name and is a copy", () => {
    const { assert } = standalone();
    assert.reachable("b");
    assert.reachable("a");
    const snap = assert.snapshot();
    expect(snap.map((s) => s.name)).toEqual(["a", "b"]);
    (snap[0] as { hits: number }).hits = 99;
    expect(assert.snapshot()[0]?.hits).toBe(1);
  });
});
