import { describe, it, expect } from "vitest";
import { buildSystem, collectTrace, msg, recordsOf } from "../helpers/recorder.js";

const LATENCY = { model: "constant", ms: 10 } as const;

describe("connection reset", () => {
  it("messages in flight on a reset connection are lost, both ways", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    const trace = collectTrace(sys.sim);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(1_000, "b", "a", msg("m", 1));
    sys.sim.at(5_000, () => sys.net.reset("a", "b"));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages()).toEqual([]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["connection-reset", "connection-reset"]);
  });

  it("both ends are told at once with onDisconnect", () => {
    const sys = buildSystem(["a", "b", "c"], { network: { latency: LATENCY } });
    sys.sim.at(5_000, () => sys.net.reset("a", "b"));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.disconnects()).toEqual([
      { kind: "disconnect", atUs: 5_000, node: "a", peer: "b" },
      { kind: "disconnect", atUs: 5_000, node: "b", peer: "a" },
    ]);
  });

  it("messages sent after a reset travel on the new connection", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(5_000, () => sys.net.reset("a", "b"));
    sys.sendAt(6_000, "a", "b", msg("m", 1));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.numbers("b")).toEqual([1]);
  });

  it("messages that arrived before the reset stay delivered", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(8_000, "a", "b", msg("m", 1));
    sys.sim.at(15_000, () => sys.net.reset("a", "b"));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.numbers("b")).toEqual([0]);
  });

  it("a reset leaves other connections alone", () => {
    const sys = buildSystem(["a", "b", "c"], { network: { latency: LATENCY } });
    sys.sendAt(0, "a", "c", msg("m", 0));
    sys.sendAt(0, "b", "c", msg("m", 1));
    sys.sim.at(5_000, () => sys.net.reset("a", "b"));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.numbers("c").sort()).toEqual([0, 1]);
    expect(sys.rec.disconnects("c")).toEqual([]);
  });
});

describe("crash resets connections", () => {
  it("a crash resets every connection of the node: each peer gets onDisconnect at the crash", () => {
    const sys = buildSystem(["a", "b", "c", "d"], { network: { latency: LATENCY } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(0, "c", "a", msg("m", 1));
    sys.sim.runUntil(100_000);
    sys.sim.at(200_000, () => sys.sim.node("a").crash(false));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.disconnects().map((d) => [d.node, d.peer, d.atUs])).toEqual([
      ["b", "a", 200_000],
      ["c", "a", 200_000],
    ]);
    // d never talked to a: no connection, nothing to tell.
    expect(sys.rec.disconnects("d")).toEqual([]);
  });

  it("messages in flight from or to the crashed node are lost", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    const trace = collectTrace(sys.sim);
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sendAt(0, "b", "a", msg("m", 1));
    sys.sim.at(5_000, () => sys.sim.node("a").crash(false));
    sys.sim.at(6_000, () => sys.sim.node("a").start());
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages()).toEqual([]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["connection-reset", "connection-reset"]);
  });

  it("after a restart, the node talks on a fresh connection", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    sys.sendAt(0, "a", "b", msg("m", 0));
    sys.sim.at(50_000, () => sys.sim.node("a").crash(true));
    sys.sim.at(60_000, () => sys.sim.node("a").start());
    sys.sendAt(70_000, "a", "b", msg("m", 1));
    sys.sendAt(70_000, "b", "a", msg("m", 2));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.numbers("b")).toEqual([0, 1]);
    expect(sys.rec.numbers("a")).toEqual([2]);
  });

  it("a message to a crashed node is refused: the sender is told at once instead of waiting for a timeout", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    const trace = collectTrace(sys.sim);
    sys.sim.at(1_000, () => sys.sim.node("b").crash(false));
    sys.sendAt(100_000, "a", "b", msg("m", 0));
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.messages()).toEqual([]);
    const lost = recordsOf(trace, "net.lost");
    expect(lost).toHaveLength(1);
    expect(recordsOf(trace, "net.reset").map((r) => r.fields?.reason)).toEqual(["refused"]);
    // a hears of the refusal when its message arrives, not after a request timeout.
    expect(sys.rec.disconnects("a").map((d) => d.atUs)).toEqual([lost[0]?.timeUs]);
  });

  it("a message to a paused node is not refused: it waits for the node to resume", () => {
    const sys = buildSystem(["a", "b"], { network: { latency: LATENCY } });
    sys.sim.at(1_000, () => sys.sim.node("b").pause());
    sys.sendAt(100_000, "a", "b", msg("m", 0));
    sys.sim.at(500_000, () => sys.sim.node("b").resume());
    sys.sim.runUntil(1_000_000);
    expect(sys.rec.disconnects("a")).toEqual([]);
    expect(sys.rec.numbers("b")).toEqual([0]);
  });
});
