import type { FaultKind } from "./fault.js";

/** What each fault kind does, for `eosim list faults` and the docs. */
export const FAULT_CATALOG: Readonly<Record<FaultKind, string>> = {
  partition: "block traffic: shape groups | isolate | one-way | halves | majorities-ring",
  heal: "remove every partition, targeted hold and clog",
  "heal-all": "heal the network, restart crashed nodes, resume paused ones, reset every clock (the liveness phase starts with this)",
  crash: "stop a node; with loseUnflushed its disk loses the unflushed tail (page cache, no fsync)",
  restart: "start a crashed node again from its disk",
  pause: "freeze a node: it handles nothing until resumed, then everything queued (the zombie maker)",
  resume: "unfreeze a paused node",
  "clock-offset": "set a node's wall clock to simulated time + offsetMs",
  "clock-step": "jump a node's wall clock by deltaMs (timers are not affected)",
  "clock-drift": "make a node's clocks run fast or slow by driftPpm",
  "clock-reset": "give a node a true clock again",
  clog: "hold traffic from one node to another for durationMs, then release it in order",
  reset: "reset the connection between two nodes: in-flight messages are lost and both ends are told",
  hold: "delay the next `count` messages matching type/from/to by durationMs (they arrive even if the connection resets)",
};
