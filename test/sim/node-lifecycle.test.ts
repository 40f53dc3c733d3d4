import { describe, it, expect } from "vitest";
import type { Message, NodeContext } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { Network } from "../../src/network/network.js";
import { collectTrace, recordsOf } from "../helpers/recorder.js";

interface Handled {
  readonly atUs: number;
  readonly incarnation: number;
  readonly what: string;
  /** Messages this actor object had handled before, counting this one: volatile state. */
  readonly count: number;
}

interface Start {
  readonly incarnation: number;
  readonly diskAtStart: readonly string[];
}

/**
 * One node "n" whose actor counts messages in volatile state, appends each message to
 * its disk file "log" (flushing when the message says so) and logs what it handles.
 */
function system(): {
  sim: Simulation;
  handled: Handled[];
  starts: Start[];
  ctx: () => NodeContext;
  deliver: (atUs: number, what: string) => void;
} {
  const sim = new Simulation({ seed: 1 });
  new Network(sim, { latency: { model: "constant", ms: 1 } });
  const handled: Handled[] = [];
  const starts: Start[] = [];
  let current: NodeContext | undefined;
  sim.addNode("n", (ctx) => {
    current = ctx;
    const log = ctx.disk.file<string>("log");
    starts.push({ incarnation: ctx.incarnation, diskAtStart: [...log.entries] });
    let count = 0;
    return {
      onMessage(_from: string, message: Message) {
        count++;
        log.append(message.type);
        if (message.type.startsWith("flush")) log.flush();
        handled.push({ atUs: sim.nowUs, incarnation: ctx.incarnation, what: message.type, count });
      },
    };
  });
  sim.addNode("peer", () => ({}));
  sim.node("n").start();
  sim.node("peer").start();
  return {
    sim,
    handled,
    starts,
    ctx: () => current as NodeContext,
    deliver: (atUs, what) => sim.at(atUs, () => void sim.node("n").deliver("peer", { type: what })),
  };
}

describe("node start and crash", () => {
  it("a node starts with incarnation 0 and a fresh actor", () => {
    const { sim, starts } = system();
    expect(sim.node("n").status).toBe("up");
    expect(sim.node("n").incarnation).toBe(0);
    expect(starts).toEqual([{ incarnation: 0, diskAtStart: [] }]);
    expect(sim.node("n").current).toBeDefined();
  });

  it("starting a running node throws", () => {
    const { sim } = system();
    expect(() => sim.node("n").start()).toThrow();
  });

  it("a crashed node handles nothing: a message to it is lost", () => {
    const { sim, handled } = system();
    sim.node("n").crash(false);
    expect(sim.node("n").status).toBe("crashed");
    expect(sim.node("n").current).toBeUndefined();
    expect(sim.node("n").deliver("peer", { type: "m" })).toBe(false);
    expect(handled).toEqual([]);
  });

  it("a restart builds a fresh actor: volatile state is gone, the incarnation goes up", () => {
    const { sim, handled, deliver } = system();
    for (const [t, w] of [[10, "a"], [20, "b"], [30, "c"]] as const) deliver(t, w);
    sim.runUntil(100);
    const before = sim.node("n").current;
    sim.node("n").crash(false);
    sim.node("n").start();
    expect(sim.node("n").incarnation).toBe(1);
    expect(sim.node("n").current).not.toBe(before);
    deliver(200, "d");
    sim.runUntil(300);
    expect(handled.map((h) => [h.incarnation, h.what, h.count])).toEqual([
      [0, "a", 1],
      [0, "b", 2],
      [0, "c", 3],
      [1, "d", 1],
    ]);
  });

  it("a restarted actor sees the disk: flushed entries survive a lossy crash, the unflushed tail does not", () => {
    const { sim, starts, deliver } = system();
    deliver(10, "a");
    deliver(20, "flush-b");
    deliver(30, "c");
    deliver(40, "d");
    sim.runUntil(100);
    sim.node("n").crash(true);
    sim.node("n").start();
    expect(starts[1]).toEqual({ incarnation: 1, diskAtStart: ["a", "flush-b"] });
  });

  it("a restarted actor sees the whole disk after a crash that keeps unflushed data", () => {
    const { sim, starts, deliver } = system();
    deliver(10, "a");
    deliver(20, "flush-b");
    deliver(30, "c");
    sim.runUntil(100);
    sim.node("n").crash(false);
    sim.node("n").start();
    expect(starts[1]).toEqual({ incarnation: 1, diskAtStart: ["a", "flush-b", "c"] });
  });

  it("a crash is traced with how many entries it lost", () => {
    const { sim, deliver } = system();
    const trace = collectTrace(sim);
    deliver(10, "a");
    deliver(20, "b");
    sim.runUntil(100);
    sim.node("n").crash(true);
    expect(recordsOf(trace, "node.crash").map((r) => r.fields)).toEqual([{ loseUnflushed: true, lostEntries: 2 }]);
  });

  it("timers of the previous incarnation never fire, even after a restart", () => {
    const { sim, ctx } = system();
    const trace = collectTrace(sim);
    const fired: string[] = [];
    const old = ctx();
    old.after(1_000, "old", () => fired.push("old"));
    sim.runUntil(500);
    sim.node("n").crash(false);
    sim.node("n").start();
    ctx().after(1_000, "new", () => fired.push("new"));
    sim.runUntil(10_000);
    expect(fired).toEqual(["new"]);
    expect(recordsOf(trace, "timer").map((r) => r.fields?.label)).toEqual(["new"]);
  });

  it("a previous incarnation's context cannot send after a restart", () => {
    const { sim, ctx } = system();
    const trace = collectTrace(sim);
    const old = ctx();
    sim.node("n").crash(false);
    old.send("peer", { type: "zombie" });
    sim.node("n").start();
    old.send("peer", { type: "zombie" });
    ctx().send("peer", { type: "live" });
    sim.runUntil(10_000);
    expect(recordsOf(trace, "net.send").map((r) => r.fields?.type)).toEqual(["live"]);
  });
});

describe("node pause", () => {
  it("a paused node handles no messages and no timers until resumed", () => {
    const { sim, handled, ctx, deliver } = system();
    const fired: number[] = [];
    ctx().after(150, "t", () => fired.push(sim.nowUs));
    sim.at(100, () => sim.node("n").pause());
    deliver(120, "m1");
    deliver(200, "m2");
    sim.runUntil(1_000);
    expect(sim.node("n").status).toBe("paused");
    expect(handled).toEqual([]);
    expect(fired).toEqual([]);
    expect(sim.node("n").pendingInputs).toBe(3);
  });

  it("on resume, a node handles everything queued for it in arrival order, at resume time", () => {
    const { sim, handled, deliver } = system();
    sim.at(100, () => sim.node("n").pause());
    deliver(120, "m1");
    deliver(200, "m2");
    sim.at(1_000, () => sim.node("n").resume());
    deliver(1_500, "m3");
    sim.runUntil(2_000);
    expect(handled.map((h) => [h.what, h.atUs])).toEqual([
      ["m1", 1_000],
      ["m2", 1_000],
      ["m3", 1_500],
    ]);
    expect(sim.node("n").pendingInputs).toBe(0);
    expect(sim.node("n").status).toBe("up");
  });

  it("queued inputs are replayed in arrival order, timers and messages interleaved", () => {
    const sim = new Simulation({ seed: 1 });
    const log: string[] = [];
    let ctxRef: NodeContext | undefined;
    sim.addNode("n", (ctx) => {
      ctxRef = ctx;
      return { onMessage: (_from, m) => log.push(m.type) };
    });
    sim.node("n").start();
    const ctx = ctxRef as NodeContext;
    ctx.after(150, "t", () => log.push("timer"));
    sim.at(100, () => sim.node("n").pause());
    sim.at(120, () => void sim.node("n").deliver("x", { type: "m1" }));
    sim.at(200, () => void sim.node("n").deliver("x", { type: "m2" }));
    sim.at(300, () => void sim.node("n").disconnect("x"));
    sim.at(1_000, () => sim.node("n").resume());
    sim.runUntil(999);
    expect(log).toEqual([]);
    sim.runUntil(2_000);
    expect(log).toEqual(["m1", "timer", "m2"]);
  });

  it("a paused node's wall clock keeps running", () => {
    const { sim, ctx } = system();
    sim.node("n").pause();
    sim.runUntil(5_000_000);
    expect(ctx().wallClockUs()).toBe(5_000_000);
  });

  it("messages sent over the network to a paused node wait for it and are not lost", () => {
    const { sim, handled } = system();
    let peer: NodeContext | undefined;
    sim.addNode("p2", (c) => {
      peer = c;
      return {};
    });
    sim.node("p2").start();
    sim.node("n").pause();
    for (let i = 0; i < 5; i++) sim.at(i * 10, () => (peer as NodeContext).send("n", { type: `m${i}` }));
    sim.runUntil(100_000);
    expect(handled).toEqual([]);
    sim.node("n").resume();
    expect(handled.map((h) => h.what)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });

  it("a crash while paused discards the queued inputs", () => {
    const { sim, handled, deliver } = system();
    sim.node("n").pause();
    deliver(10, "m1");
    sim.runUntil(100);
    expect(sim.node("n").pendingInputs).toBe(1);
    sim.node("n").crash(false);
    expect(sim.node("n").pendingInputs).toBe(0);
    sim.node("n").start();
    sim.runUntil(200);
    expect(handled).toEqual([]);
  });

  it("pause and resume are no-ops in the wrong state", () => {
    const { sim } = system();
    sim.node("n").resume();
    expect(sim.node("n").status).toBe("up");
    sim.node("n").crash(false);
    sim.node("n").pause();
    expect(sim.node("n").status).toBe("crashed");
  });
});
