import { describe, it, expect } from "vitest";
import { History, opAt } from "../../sim/history.js";
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
    expect(history.invocationOf(ok)).toEqual(invoke);
    expect(history.invocationOf(invoke)).toBe(invoke);
    expect(history.all()).toEqual([invoke, ok]);
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

  it("op(i) rebuilds each op from its columns, field for field, with a fresh object each time", () => {
    const { history, setNow } = standalone();
    setNow(5);
    const invoke = history.invoke("p1", "send", { topic: "t", key: null, value: "v-1", nested: [1, -2, 0.5, "x", undefined, true] });
    setNow(9);
    const info = history.info("p1", { topic: "t", partition: 0 }, "REQUEST_TIMED_OUT");
    expect(history.length).toBe(2);
    expect(history.op(0)).toStrictEqual(invoke);
    expect(history.op(1)).toStrictEqual(info);
    expect(history.op(0)).not.toBe(history.op(0));
    expect(Object.keys(history.op(1))).toEqual(Object.keys(info));
    expect([...history]).toEqual([invoke, info]);
  });

  it("a value is kept as it was when recorded: later changes to the object do not reach the history", () => {
    const { history } = standalone();
    const value = { sends: [{ value: "a" }] };
    history.invoke("p1", "txn", value);
    value.sends.push({ value: "b" });
    expect(history.op(0).value).toEqual({ sends: [{ value: "a" }] });
  });

  it("asking for an op the history does not have is a RangeError, not an undefined op", () => {
    const { history } = standalone();
    history.invoke("p1", "send", 1);
    expect(() => history.op(1)).toThrow(RangeError);
    expect(() => history.op(-1)).toThrow(RangeError);
    expect(opAt(history, 1)).toBeUndefined();
    expect(opAt(history, 0)?.value).toBe(1);
  });

  it("holds ops across many storage blocks, each value and error where it was recorded", () => {
    const { history, setNow } = standalone();
    const count = 20_000;
    for (let i = 0; i < count; i++) {
      setNow(i);
      history.invoke(`p${i % 7}`, "send", { value: `v-${i}`, n: i });
      if (i % 3 === 0) history.fail(`p${i % 7}`, null, `E${i % 5}`);
      else history.ok(`p${i % 7}`, { offset: i });
    }
    expect(history.length).toBe(2 * count);
    for (const i of [0, 1, 4095, 4096, 4097, 12_345, count - 1]) {
      const invoke = history.op(2 * i);
      const done = history.op(2 * i + 1);
      expect(invoke).toMatchObject({ index: 2 * i, type: "invoke", process: `p${i % 7}`, f: "send", value: { value: `v-${i}`, n: i }, timeUs: i });
      expect(done.invokeIndex).toBe(2 * i);
      if (i % 3 === 0) expect(done).toMatchObject({ type: "fail", value: null, error: `E${i % 5}` });
      else expect(done).toMatchObject({ type: "ok", value: { offset: i } });
    }
  });

  it("openProcesses lists the processes with an open operation, in the order they invoked it", () => {
    const { history } = standalone();
    history.invoke("p2", "send", 1);
    history.invoke("p1", "send", 1);
    history.invoke("p3", "send", 1);
    history.ok("p1", 1);
    expect(history.openProcesses()).toEqual(["p2", "p3"]);
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
    expect(history.all()).toHaveLength(1);
  });

  it("completing without an open invoke throws and records nothing", () => {
    const { history } = standalone();
    expect(() => history.ok("p1", 1)).toThrow(/never invoked/);
    expect(() => history.fail("p1", 1)).toThrow(/never invoked/);
    expect(() => history.info("p1", 1)).toThrow(/never invoked/);
    history.invoke("p1", "send", 1);
    history.ok("p1", 1);
    expect(() => history.ok("p1", 1)).toThrow(/never invoked/);
    expect(history.all()).toHaveLength(2);
  });

  it("in a simulation, each op is traced and its traceIndex points at its trace record", () => {
    const sim = new Simulation({ seed: 1 });
    const trace = collectTrace(sim);
    sim.record("something", "x");
    sim.at(40, () => sim.history.invoke("p1", "send", 1));
    sim.at(90, () => sim.history.ok("p1", 1));
    sim.runUntil(100);
    const [invoke, ok] = sim.history.all();
    expect(invoke?.traceIndex).toBe(1);
    expect(ok?.traceIndex).toBe(2);
    expect(trace[1]).toMatchObject({ kind: "op.invoke", node: "p1", timeUs: 40, fields: { f: "send" } });
    expect(trace[2]).toMatchObject({ kind: "op.ok", node: "p1", timeUs: 90, fields: { f: "send" } });
    expect(invoke?.timeUs).toBe(40);
    expect(ok?.timeUs).toBe(90);
  });

  it("listeners see every op once it is recorded, traced and appended, in history order", () => {
    const sim = new Simulation({ seed: 1 });
    const seen: { index: number; traceIndex: number; type: string; length: number }[] = [];
    sim.history.listen((op) => seen.push({ index: op.index, traceIndex: op.traceIndex, type: op.type, length: sim.history.all().length }));
    sim.at(10, () => sim.history.invoke("p1", "send", 1));
    sim.at(20, () => sim.history.invoke("p2", "poll", null));
    sim.at(30, () => sim.history.fail("p1", 1, "TIMEOUT"));
    sim.at(40, () => sim.history.info("p2", null));
    sim.runUntil(50);
    expect(seen).toEqual([
      { index: 0, traceIndex: 0, type: "invoke", length: 1 },
      { index: 1, traceIndex: 1, type: "invoke", length: 2 },
      { index: 2, traceIndex: 2, type: "fail", length: 3 },
      { index: 3, traceIndex: 3, type: "info", length: 4 },
    ]);
  });

  it("a listener that stops sees nothing more", () => {
    const { history } = standalone();
    const seen: number[] = [];
    const stop = history.listen((op) => seen.push(op.index));
    history.invoke("p1", "send", 1);
    stop();
    history.ok("p1", 1);
    expect(seen).toEqual([0]);
    expect(history.all()).toHaveLength(2);
  });

  it("an op's trace record folds into the hash exactly as record(now, `op.${type}`, process, { f }) does", () => {
    const sim = new Simulation({ seed: 1 });
    sim.history.invoke("p1", "send", 1);
    sim.history.ok("p1", 1);
    sim.history.invoke("p1", "poll", null);
    sim.history.fail("p1", null, "E");
    sim.history.invoke("p2", "seek", 3);
    sim.history.info("p2", 3);
    const reference = new Simulation({ seed: 1 }).trace;
    const expected = [["invoke", "p1", "send"], ["ok", "p1", "send"], ["invoke", "p1", "poll"], ["fail", "p1", "poll"], ["invoke", "p2", "seek"], ["info", "p2", "seek"]] as const;
    for (const [type, process, f] of expected) reference.record(0, `op.${type}`, process, { f });
    expect(sim.trace.count).toBe(6);
    expect(sim.trace.hash).toBe(reference.hash);
  });
});
