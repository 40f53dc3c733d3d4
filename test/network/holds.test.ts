import { describe, it, expect } from "vitest";
import { HoldTable, matches } from "../../src/network/holds.js";
import { buildSystem, collectTrace, msg, recordsOf } from "../helpers/recorder.js";

const LATENCY = { model: "constant", ms: 1 } as const;
const HOLD_US = 30_000_000;

describe("targeted holds", () => {
  it("delay only the matching message type; other messages on the same link pass", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY } });
    sys.net.hold({ type: "EndTxn" }, HOLD_US, 1);
    sys.sendAt(0, "p1", "b1", msg("Produce", 0));
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 1));
    sys.sendAt(0, "p1", "b1", msg("Produce", 2));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => [m.n, m.atUs])).toEqual([
      [0, 1_000],
      [2, 1_001],
      [1, 30_001_000],
    ]);
  });

  it("match by sender: the same type from another sender is not held", () => {
    const sys = buildSystem(["p1", "p2", "b1"], { network: { latency: LATENCY } });
    sys.net.hold({ type: "EndTxn", from: "p1" }, HOLD_US, 1);
    sys.sendAt(0, "p2", "b1", msg("EndTxn", 0));
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 1));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => [m.from, m.atUs])).toEqual([
      ["p2", 1_000],
      ["p1", 30_001_000],
    ]);
  });

  it("match by receiver: the same message to another receiver is not held", () => {
    const sys = buildSystem(["p1", "b1", "b2"], { network: { latency: LATENCY } });
    sys.net.hold({ to: "b2" }, HOLD_US, 1);
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 0));
    sys.sendAt(0, "p1", "b2", msg("EndTxn", 1));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => m.atUs)).toEqual([1_000]);
    expect(sys.rec.messages("b2").map((m) => m.atUs)).toEqual([30_001_000]);
  });

  it("catch only `count` messages; later matches pass", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY } });
    sys.net.hold({ type: "EndTxn" }, HOLD_US, 2);
    for (const i of [0, 1, 2, 3]) sys.sendAt(i * 10_000, "p1", "b1", msg("EndTxn", i));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => [m.n, m.atUs])).toEqual([
      [2, 21_000],
      [3, 31_000],
      [0, 30_001_000],
      [1, 30_011_000],
    ]);
    expect(sys.net.holds.size).toBe(0);
  });

  it("a held message still arrives after its connection was reset", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY } });
    const trace = collectTrace(sys.sim);
    sys.net.hold({ type: "EndTxn" }, HOLD_US, 1);
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 0));
    sys.sendAt(0, "p1", "b1", msg("Produce", 1));
    sys.sim.at(100, () => sys.net.reset("p1", "b1"));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => [m.n, m.atUs])).toEqual([[0, 30_001_000]]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["connection-reset"]);
  });

  it("a message sent on a broken connection is dropped even if a hold matches it, and the hold stays armed", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY, brokenConnectionDetectMs: 1_000 } });
    const trace = collectTrace(sys.sim);
    sys.net.applyPartition({ shape: "isolate", node: "p1" }, ["p1", "b1"]);
    sys.sendAt(0, "p1", "b1", msg("Produce", 0));
    sys.sim.at(100_000, () => {
      sys.net.heal();
      sys.net.hold({ type: "EndTxn" }, 5_000, 1);
    });
    sys.sendAt(200_000, "p1", "b1", msg("EndTxn", 1));
    sys.sim.runUntil(60_000_000);
    // The Produce was lost, so the connection is dead: the EndTxn must not arrive after a gap.
    expect(sys.rec.messages("b1")).toEqual([]);
    expect(recordsOf(trace, "net.drop").map((r) => r.fields?.reason)).toEqual(["partition", "broken-connection"]);
    expect(recordsOf(trace, "net.hold")).toEqual([]);
    expect(sys.net.holds.size).toBe(1);
  });

  it("holding and arming are traced", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY } });
    const trace = collectTrace(sys.sim);
    sys.net.hold({ type: "EndTxn", from: "p1" }, HOLD_US, Infinity);
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 0));
    sys.sim.runUntil(1_000);
    expect(recordsOf(trace, "net.hold-armed")[0]?.fields).toMatchObject({ type: "EndTxn", from: "p1", holdUs: HOLD_US, count: -1 });
    expect(recordsOf(trace, "net.hold")[0]?.fields).toMatchObject({ to: "b1", type: "EndTxn", holdUs: HOLD_US });
  });

  it("heal removes armed holds", () => {
    const sys = buildSystem(["p1", "b1"], { network: { latency: LATENCY } });
    sys.net.hold({ type: "EndTxn" }, HOLD_US, 1);
    sys.net.heal();
    sys.sendAt(0, "p1", "b1", msg("EndTxn", 0));
    sys.sim.runUntil(60_000_000);
    expect(sys.rec.messages("b1").map((m) => m.atUs)).toEqual([1_000]);
  });
});

describe("HoldTable", () => {
  it("unset match fields match anything; set fields must all match", () => {
    expect(matches({}, "a", "b", "T")).toBe(true);
    expect(matches({ type: "T", from: "a", to: "b" }, "a", "b", "T")).toBe(true);
    expect(matches({ type: "T", from: "a" }, "a", "b", "U")).toBe(false);
    expect(matches({ type: "T", from: "a" }, "x", "b", "T")).toBe(false);
    expect(matches({ to: "c" }, "a", "b", "T")).toBe(false);
  });

  it("a hold with count Infinity keeps catching until cleared", () => {
    const table = new HoldTable();
    table.add({ type: "T" }, 5, Infinity);
    for (let i = 0; i < 100; i++) expect(table.take("a", "b", "T")).toBeDefined();
    expect(table.take("a", "b", "U")).toBeUndefined();
    table.clear();
    expect(table.take("a", "b", "T")).toBeUndefined();
  });

  it("the first armed matching hold catches the message", () => {
    const table = new HoldTable();
    const first = table.add({ type: "T" }, 5, 1);
    const second = table.add({}, 7, 1);
    expect(table.take("a", "b", "T")?.id).toBe(first.id);
    expect(table.take("a", "b", "T")?.id).toBe(second.id);
    expect(table.take("a", "b", "T")).toBeUndefined();
  });
});
