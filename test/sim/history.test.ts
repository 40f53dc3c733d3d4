import { describe, it, expect } from "vitest";
import { History } from "../../sim/history.js";
import { Simulation } from "../../sim/simulation.js";
import { collectTrace } from "../helpers/recorder.js";

function standalone(): { history: History; setNow: (us: number) => void } {
  let now = 0;
  let traceIndex = 0;
  const history = new History({ nowUs: () => now, traceOp: () => traceIndex++ });
  return { history, setNow: (us) => (now = us) };
}

describe("History", () => {
  it("an ok completes the process's open invoke: same f, invokeIndex points at the invoke", () => {
    const { history, setNow } = standalone();
    setNow(100);
    const invoke = history.invoke("p1", "send", { key: "k", value: 1 });
    setNow(250);
    const ok = history.ok("p1", { offset: 7 });
    expect(invoke).toMatchObject({ index: 0, type: "invoke", process: "p1", f: "send", value: { key: "k", value: 1 }, timeUs: 100 });
    expect(invoke.invokeIndex).toBeUndefined();
    expect(ok).toMatchObject({ index: 1, type: "ok", process: "p1", f: "send", value: { offset: 7 }, timeUs: 250, invokeIndex: 0 });
    expect(ok.error).toBeUndefined();
    expect(history.invocationOf(ok)).toBe(invoke);
    expect(history.invocationOf(invoke)).toBe(invoke);
    expect(history.ops).toEqual([invoke, ok]);
  });

  it("fail and info complete the open invoke and carry their error", () => {
    const { history } = standalone();
    history.invoke("p1", "commit", null);
    const fail = history.fail("p1", null, "INVALID_TXN_STATE");
    history.invoke("p1", "commit", null);
    const info = history.info("p1", null, "timeout");
    expect(fail).toMatchObject({ type: "fail", f: "commit", invokeIndex: 0, error: "INVALID_TXN_STATE" });
    expect(info).toMatchObject({ type: "info", f: "commit", invokeIndex: 2, error: "timeout" });
  });

  it("a process is open from its invoke until its completion", () => {
    const { history } = standalone();
    expect(history.isOpen("p1")).toBe(false);
    history.invoke("p1", "send", 1);
    expect(history.isOpen("p1")).toBe(true);
    history.info("p1", 1);
    expect(history.isOpen("p1")).toBe(false);
  });

  it("pairs completions per process when processes interleave", () => {
    const { history } = standalone();
    history.invoke("p1", "send", "a");
    history.invoke("p2", "poll", null);
    const p2done = history.ok("p2", ["x"]);
    const p1done = history.fail("p1", "a");
    expect(p2done).toMatchObject({ process: "p2", f: "poll", invokeIndex: 1 });
    expect(p1done).toMatchObject({ process: "p1", f: "send", invokeIndex: 0 });
  });

  it("invoking while the process has an open operation throws and records nothing", () => {
    const { history } = standalone();
    history.invoke("p1", "send", 1);
    expect(() => history.invoke("p1", "send", 2)).toThrow(/still open/);
    expect(history.ops).toHaveLength(1);
  });

  it("completing without an open invoke throws and records nothing", () => {
    const { history } = standalone();
    expect(() => history.ok("p1", 1)).toThrow(/never invoked/);
    expect(() => history.fail("p1", 1)).toThrow(/never invoked/);
    expect(() => history.info("p1", 1)).toThrow(/never invoked/);
    history.invoke("p1", "send", 1);
    history.ok("p1", 1);
    expect(() => history.ok("p1", 1)).toThrow(/never invoked/);
    expect(history.ops).toHaveLength(2);
  });

  it("in a simulation, each op is traced and its traceIndex points at its trace record", () => {
    const sim = new Simulation({ seed: 1 });
    const trace = collectTrace(sim);
    sim.record("something", "x");
    sim.at(40, () => sim.history.invoke("p1", "send", 1));
    sim.at(90, () => sim.history.ok("p1", 1));
    sim.runUntil(100);
    const [invoke, ok] = sim.history.ops;
    expect(invoke?.traceIndex).toBe(1);
    expect(ok?.traceIndex).toBe(2);
    expect(trace[1]).toMatchObject({ kind: "op.invoke", node: "p1", timeUs: 40, fields: { f: "send" } });
    expect(trace[2]).toMatchObject({ kind: "op.ok", node: "p1", timeUs: 90, fields: { f: "send" } });
    expect(invoke?.timeUs).toBe(40);
    expect(ok?.timeUs).toBe(90);
  });
});
