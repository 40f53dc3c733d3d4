import { describe, expect, it } from "vitest";
import type { Message } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import { FaultInjector } from "../../src/faults/injector.js";
import { Network } from "../../src/network/network.js";

interface Received {
  readonly at: number;
  readonly from: string;
  readonly type: string;
}

/** Two nodes that log what reaches them; `a` keeps an unflushed entry on disk. */
function twoNodes(seed = 1) {
  const sim = new Simulation({ seed });
  const network = new Network(sim, { latency: { model: "constant", ms: 1 } });
  const received: Record<string, Received[]> = { a: [], b: [] };
  for (const id of ["a", "b"]) {
    sim.addNode(id, (ctx) => ({
      onMessage: (from: string, message: Message) => received[id]?.push({ at: sim.nowUs, from, type: message.type }),
      onStart: () => {
        const log = ctx.disk.file<string>("log");
        if (log.length === 0) {
          log.append("durable");
          log.flush();
          log.append("volatile");
        }
      },
    }));
    sim.node(id).start();
  }
  const injector = new FaultInjector(sim, network, ["a", "b"]);
  const send = (atMs: number, from: string, to: string, type = "Ping") =>
    sim.at(msToUs(atMs), () => network.send(from, to, { type }));
  return { sim, network, injector, received, send };
}

describe("fault injector", () => {
  it("applies scheduled faults at their time and keeps them as data", () => {
    const { sim, injector } = twoNodes();
    injector.schedule([
      { atMs: 10, kind: "pause", node: "a" },
      { atMs: 20, kind: "resume", node: "a" },
    ]);
    sim.runUntil(msToUs(15));
    expect(sim.node("a").status).toBe("paused");
    sim.runUntil(msToUs(25));
    expect(sim.node("a").status).toBe("up");
    expect(injector.log.map((f) => f.kind)).toEqual(["pause", "resume"]);
  });

  it("a crash with loseUnflushed loses exactly the unflushed tail; without it, nothing", () => {
    const lossy = twoNodes();
    lossy.injector.apply({ atMs: 0, kind: "crash", node: "a", loseUnflushed: true });
    expect(lossy.sim.node("a").disk.file<string>("log").entries).toEqual(["durable"]);
    const clean = twoNodes();
    clean.injector.apply({ atMs: 0, kind: "crash", node: "a", loseUnflushed: false });
    expect(clean.sim.node("a").disk.file<string>("log").entries).toEqual(["durable", "volatile"]);
  });

  it("a symmetric partition drops traffic both ways; a one-way partition only one way", () => {
    const both = twoNodes();
    both.injector.schedule([{ atMs: 1, kind: "partition", shape: "groups", groups: [["a"], ["b"]] }]);
    both.send(5, "a", "b");
    both.send(5, "b", "a");
    both.sim.runUntil(msToUs(50));
    expect(both.received["a"]).toEqual([]);
    expect(both.received["b"]).toEqual([]);

    const oneWay = twoNodes();
    oneWay.injector.schedule([{ atMs: 1, kind: "partition", shape: "one-way", from: ["a"], to: ["b"] }]);
    oneWay.send(5, "b", "a");
    oneWay.send(6, "a", "b");
    oneWay.sim.runUntil(msToUs(50));
    expect(oneWay.received["a"]?.map((r) => r.from)).toEqual(["b"]);
    expect(oneWay.received["b"]).toEqual([]);
  });

  it("a paused node handles nothing until resumed, then everything queued, in order", () => {
    const { sim, injector, received, send } = twoNodes();
    injector.schedule([
      { atMs: 1, kind: "pause", node: "b" },
      { atMs: 100, kind: "resume", node: "b" },
    ]);
    send(10, "a", "b", "First");
    send(20, "a", "b", "Second");
    sim.runUntil(msToUs(99));
    expect(received["b"]).toEqual([]);
    sim.runUntil(msToUs(100));
    expect(received["b"]?.map((r) => [r.type, r.at])).toEqual([
      ["First", msToUs(100)],
      ["Second", msToUs(100)],
    ]);
  });

  it("a clock step shifts only that node's wall clock", () => {
    const { sim, injector } = twoNodes();
    injector.apply({ atMs: 0, kind: "clock-step", node: "a", deltaMs: 5000 });
    expect(sim.node("a").clock.wallUs(sim.nowUs) - sim.nowUs).toBe(msToUs(5000));
    expect(sim.node("b").clock.wallUs(sim.nowUs)).toBe(sim.nowUs);
  });

  it("a targeted hold delays only the matching message", () => {
    const { sim, injector, received, send } = twoNodes();
    injector.apply({ atMs: 0, kind: "hold", type: "EndTxn", from: "a", durationMs: 30_000, count: 1 });
    send(1, "a", "b", "Produce");
    send(2, "a", "b", "EndTxn");
    send(3, "a", "b", "Produce");
    send(4, "a", "b", "EndTxn");
    sim.runUntil(msToUs(60_000));
    const arrivals = received["b"]?.map((r) => [r.type, r.at]);
    expect(arrivals).toEqual([
      ["Produce", msToUs(2)],
      ["Produce", msToUs(4)],
      ["EndTxn", msToUs(5)],
      ["EndTxn", msToUs(30_003)],
    ]);
  });

  it("heal-all heals partitions, restarts crashed nodes, resumes paused ones and resets clocks", () => {
    const { sim, injector, network } = twoNodes();
    injector.apply({ atMs: 0, kind: "partition", shape: "isolate", node: "a" });
    injector.apply({ atMs: 0, kind: "crash", node: "a", loseUnflushed: false });
    injector.apply({ atMs: 0, kind: "pause", node: "b" });
    injector.apply({ atMs: 0, kind: "clock-drift", node: "b", driftPpm: 1000 });
    injector.apply({ atMs: 0, kind: "heal-all" });
    expect(network.partitions.active).toBe(false);
    expect(sim.node("a").status).toBe("up");
    expect(sim.node("b").status).toBe("up");
    sim.runUntil(msToUs(10_000));
    expect(sim.node("b").clock.wallUs(sim.nowUs)).toBe(sim.nowUs);
  });
});
