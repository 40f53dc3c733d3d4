import { describe, it, expect } from "vitest";
import { buildSystem, collectTrace, msg, recordsOf } from "../helpers/recorder.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("connection mode: FIFO per direction", () => {
  it("1000 messages sent at once with random latency arrive in send order, each exactly once", () => {
    const sys = buildSystem(["a", "b"], { seed: 3, network: { latency: { model: "uniform", msMin: 0, msMax: 50 } } });
    for (const i of range(1000)) sys.ctx("a").send("b", msg("m", i));
    sys.sim.runUntil(10_000_000);
    expect(sys.rec.numbers("b", "a")).toEqual(range(1000));
  });

  it("1000 messages sent over time with long-tail latency arrive in send order", () => {
    const sys = buildSystem(["a", "b"], { seed: 4, network: { latency: { model: "long-tail", medianMs: 1, p99Ms: 200 } } });
    for (const i of range(1000)) sys.sendAt(i * 100, "a", "b", msg("m", i));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.numbers("b", "a")).toEqual(range(1000));
  });

  it("each direction is FIFO on its own, and arrival times strictly increase", () => {
    const sys = buildSystem(["a", "b"], { seed: 5, network: { latency: { model: "exponential", meanMs: 10 } } });
    for (const i of range(300)) {
      sys.sendAt(i * 50, "a", "b", msg("ab", i));
      sys.sendAt(i * 50, "b", "a", msg("ba", i));
    }
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.numbers("b", "a")).toEqual(range(300));
    expect(sys.rec.numbers("a", "b")).toEqual(range(300));
    const times = sys.rec.messages("b", "a").map((m) => m.atUs);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number);
  });

  it("no message is delivered before it was sent, and none is dropped without faults", () => {
    const sys = buildSystem(["a", "b"], { seed: 6, network: { latency: { model: "normal", meanMs: 5, stddevMs: 5 } } });
    const trace = collectTrace(sys.sim);
    for (const i of range(200)) sys.sendAt(i * 1_000, "a", "b", msg("m", i));
    sys.sim.runUntil(60_000_000);
    for (const m of sys.rec.messages("b")) expect(m.atUs).toBeGreaterThanOrEqual(m.n * 1_000);
    expect(recordsOf(trace, "net.drop")).toEqual([]);
    expect(sys.rec.disconnects()).toEqual([]);
  });

  it("constant latency delivers after exactly that latency", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 2.5 } } });
    sys.sendAt(1_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => m.atUs)).toEqual([3_500]);
  });

  it("a per-link latency overrides the default for that direction only", () => {
    const sys = buildSystem(["a", "b"], {
      network: { latency: { model: "constant", ms: 1 }, links: [{ from: "a", to: "b", latency: { model: "constant", ms: 7 } }] },
    });
    sys.ctx("a").send("b", msg("m", 0));
    sys.ctx("b").send("a", msg("m", 1));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b").map((m) => m.atUs)).toEqual([7_000]);
    expect(sys.rec.messages("a").map((m) => m.atUs)).toEqual([1_000]);
  });

  it("send and delivery are traced with the same message id", () => {
    const sys = buildSystem(["a", "b"]);
    const trace = collectTrace(sys.sim);
    sys.ctx("a").send("b", msg("Produce", 0));
    sys.sim.runUntil(1_000_000);
    const [send] = recordsOf(trace, "net.send");
    const [deliver] = recordsOf(trace, "net.deliver");
    expect(send).toMatchObject({ node: "a", fields: { to: "b", type: "Produce" } });
    expect(deliver).toMatchObject({ node: "b", fields: { from: "a", type: "Produce" } });
    expect(deliver?.fields?.id).toBe(send?.fields?.id);
  });

  it("a message to a crashed node is lost and traced as such", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: { model: "constant", ms: 1 } } });
    const trace = collectTrace(sys.sim);
    sys.sim.node("b").crash(false);
    sys.ctx("a").send("b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages("b")).toEqual([]);
    expect(recordsOf(trace, "net.lost").map((r) => r.fields?.reason)).toEqual(["node-down"]);
  });

  it("a message to an unknown node is dropped", () => {
    const sys = buildSystem(["a"]);
    const trace = collectTrace(sys.sim);
    sys.ctx("a").send("nobody", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["no-such-node"]);
  });
});
