import type { DiagramEvent } from "./recording.js";

/**
 * The causal past (Lamport's happened-before) of the anchor events within a window of diagram
 * events: an event is in it when it precedes an anchor on the same node, or precedes the send
 * of a message whose delivery is in it. Returns the trace indices of the events in the cone,
 * anchors included, and the ids of messages whose send lies before the window but whose
 * delivery is in the cone (drawn as stubs entering from the top).
 *
 * One backward pass: `frontier[node]` is the latest index on that node known to be in the
 * past; walking back, every event at or below its node's frontier is in the cone, and a
 * delivery in the cone pulls its send (and everything before it on the sender) in too.
 */
export function causalPast(events: readonly DiagramEvent[], anchors: readonly number[]): { cone: Set<number>; enteringMessages: Set<number> } {
  const cone = new Set<number>();
  const frontier = new Map<string, number>();
  const wanted = new Set<number>();
  const anchorSet = new Set(anchors);
  let last = -1;
  for (const event of events) {
    if (!anchorSet.has(event.index)) continue;
    last = Math.max(last, event.index);
    if (event.node === "") cone.add(event.index);
    else frontier.set(event.node, Math.max(frontier.get(event.node) ?? -1, event.index));
  }
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i] as DiagramEvent;
    if (event.index > last || event.node === "") continue;
    const isSend = event.kind === "net.send" || event.kind === "net.hold" || event.kind === "net.duplicate";
    let inCone = (frontier.get(event.node) ?? -1) >= event.index;
    if (!inCone && isSend && event.msgId !== undefined && wanted.has(event.msgId)) {
      inCone = true;
      frontier.set(event.node, event.index);
    }
    if (!inCone) continue;
    cone.add(event.index);
    if (event.kind === "net.deliver" && event.msgId !== undefined) wanted.add(event.msgId);
    if (isSend && event.msgId !== undefined && event.kind === "net.send") wanted.delete(event.msgId);
  }
  return { cone, enteringMessages: wanted };
}
