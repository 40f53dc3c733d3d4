import { describe, expect, it } from "vitest";
import { causalPast } from "../../src/report/causal.js";
import type { DiagramEvent } from "../../src/report/recording.js";

let next = 0;
const ev = (kind: string, node: string, extra: Partial<DiagramEvent> = {}): DiagramEvent => ({ index: next++, timeUs: next * 10, kind, node, ...extra });

describe("causal past (happened-before) within a diagram window", () => {
  it("follows same-node order and message send→deliver edges, and nothing else", () => {
    next = 0;
    const events = [
      ev("op.invoke", "c"), // 0: c, before c's send: in the past
      ev("net.send", "c", { peer: "a", msgId: 1 }), // 1
      ev("net.send", "b", { peer: "d", msgId: 2 }), // 2: b→d, not connected to the anchor
      ev("net.deliver", "a", { peer: "c", msgId: 1 }), // 3
      ev("net.send", "a", { peer: "b", msgId: 3 }), // 4
      ev("net.deliver", "d", { peer: "b", msgId: 2 }), // 5: d is not in the past
      ev("net.deliver", "b", { peer: "a", msgId: 3 }), // 6
      ev("assert.fail", "b"), // 7: anchor
      ev("net.send", "a", { peer: "c", msgId: 4 }), // 8: after the anchor
    ];
    const { cone, enteringMessages } = causalPast(events, [7]);
    expect([...cone].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(enteringMessages.size).toBe(0);
  });

  it("reports deliveries in the past whose send lies before the window", () => {
    next = 0;
    const events = [ev("net.deliver", "a", { peer: "z", msgId: 9 }), ev("op.ok", "a")];
    const { cone, enteringMessages } = causalPast(events, [1]);
    expect([...cone].sort()).toEqual([0, 1]);
    expect([...enteringMessages]).toEqual([9]);
  });

  it("is empty without an anchor in the window", () => {
    next = 0;
    expect(causalPast([ev("op.ok", "a")], [99]).cone.size).toBe(0);
  });
});
