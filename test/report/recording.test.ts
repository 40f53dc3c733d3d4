import { describe, expect, it } from "vitest";
import type { TraceFields, TraceListener } from "../../sim/trace.js";
import { composeListeners, RECORDING_LIMITS, RunRecording } from "../../src/report/recording.js";

/** Feeds records to a recording with consecutive trace indices. */
function feeder(recording: RunRecording): { emit: (timeUs: number, kind: string, node: string, fields?: TraceFields) => number } {
  let index = 0;
  return {
    emit: (timeUs, kind, node, fields) => {
      const i = index++;
      recording.listener({ index: i, timeUs, kind, node, fields }, "h");
      return i;
    },
  };
}

function messages(emit: ReturnType<typeof feeder>["emit"], count: number, startUs = 0): void {
  for (let i = 0; i < count; i++) {
    const t = startUs + i * 1000;
    emit(t, "net.send", "a", { to: "b", type: "Ping", id: startUs + i });
    emit(t + 500, "net.deliver", "b", { from: "a", type: "Ping", id: startUs + i });
  }
}

describe("RunRecording: what the report keeps from the trace", () => {
  it("freezes a window around the first assertion failure: `before` events up to it, `after` events from it", () => {
    const recording = new RunRecording({ before: 40, after: 10 });
    const { emit } = feeder(recording);
    emit(0, "node.start", "a", { incarnation: 0 });
    emit(0, "node.start", "b", { incarnation: 0 });
    messages(emit, 100);
    const failure = emit(100_000, "assert.fail", "sim", { name: "replicas-agree" });
    messages(emit, 100, 200_000);
    const window = recording.windowShowing(failure);
    expect(window?.reason).toBe("first-assertion");
    const events = window?.events ?? [];
    const at = events.findIndex((e) => e.index === failure);
    expect(at).toBe(40);
    expect(events.length).toBe(50);
    expect(window?.skippedBefore).toBe(2 + 200 - 40);
  });

  it("attributes an assertion (traced by the kernel as `sim`) to the node whose event ran just before it", () => {
    const recording = new RunRecording();
    const { emit } = feeder(recording);
    emit(5, "net.deliver", "r2", { from: "r1", type: "Replicate", id: 1 });
    const failure = emit(5, "assert.fail", "sim", { name: "replicas-agree" });
    expect(recording.windowShowing(failure)?.events.find((e) => e.index === failure)?.node).toBe("r2");
  });

  it("keeps a window around a focus index given up front (the first violation of an earlier run of the seed)", () => {
    const recording = new RunRecording({ before: 20, after: 5, focus: 1001 });
    const { emit } = feeder(recording);
    messages(emit, 2000);
    const window = recording.windowShowing(1001);
    expect(window?.reason).toBe("focus");
    expect(window?.events.map((e) => e.index)).toEqual(Array.from({ length: 25 }, (_, i) => 981 + i));
    // Without the focus, index 1001 is in no window: the head and the tail are elsewhere.
    const plain = new RunRecording({ before: 20, after: 5 });
    messages(feeder(plain).emit, 2000);
    expect(plain.windowShowing(1001)).toBeUndefined();
    expect(plain.windows().map((w) => w.reason)).toEqual(["head", "tail"]);
  });

  it("turns node and network records into intervals: crashed, paused, partitioned, clogged", () => {
    const recording = new RunRecording();
    const { emit } = feeder(recording);
    emit(0, "node.start", "a", { incarnation: 0 });
    emit(10, "node.crash", "a", { loseUnflushed: true, lostEntries: 2 });
    emit(20, "node.start", "a", { incarnation: 1 });
    emit(30, "node.pause", "a");
    emit(40, "node.resume", "a", { queued: 0 });
    emit(50, "net.partition", "network", { shape: "isolate", blocked: "a->b,b->a" });
    emit(60, "net.clog", "a", { to: "b", untilUs: 90 });
    emit(70, "net.heal", "network");
    emit(80, "node.pause", "a");
    const intervals = recording.intervals.items.map((i) => [i.kind, i.node, i.fromUs, i.toUs]);
    expect(intervals).toEqual([
      ["crashed", "a", 10, 20],
      ["paused", "a", 30, 40],
      ["partition", "", 50, 70],
      ["clog", "a", 60, 70],
      ["paused", "a", 80, undefined],
    ]);
    expect(recording.nodes).toEqual(["a"]);
  });

  it("stays bounded on a long stream: windows, series, tracks and lists have fixed limits", () => {
    const recording = new RunRecording();
    const { emit } = feeder(recording);
    for (const node of ["b1", "b2", "p1"]) emit(0, "node.start", node, { incarnation: 0 });
    const sec = 1_000_000;
    for (let s = 0; s < 3600; s++) {
      const t = s * sec;
      for (let k = 0; k < 20; k++) {
        emit(t + k, "net.send", "p1", { to: "b1", type: "Produce", id: s * 100 + k });
        emit(t + k + 400, "net.deliver", "b1", { from: "p1", type: "Produce", id: s * 100 + k });
      }
      for (let p = 0; p < 3; p++) emit(t + 500, "partition.offsets", "b1", { topic: "t", partition: p, leo: s * 4, hw: s * 4 - 1, lso: s * 4 - 2 });
      emit(t + 600, "txn.state", "b1", { txnId: `tx-${s % 300}`, state: "Ongoing", producerId: s % 300, epoch: 0 });
      emit(t + 900, "txn.state", "b1", { txnId: `tx-${s % 300}`, state: "CompleteCommit", producerId: s % 300, epoch: 0 });
      for (const at of [950, 990]) emit(t + at, "fault", "nemesis", { kind: "clock-step", detail: JSON.stringify({ atMs: s * 1000, kind: "clock-step", node: "b2", deltaMs: 5 }) });
    }
    recording.finish();
    for (const window of recording.windows()) expect(window.events.length).toBeLessThanOrEqual(recording.before + recording.after);
    expect(recording.partitions.size).toBe(3);
    for (const track of recording.partitions.values()) {
      for (const series of track.replicas.values()) expect(series.leo.buckets().length).toBeLessThanOrEqual(300);
    }
    expect(recording.txns.size).toBe(RECORDING_LIMITS.txnIds);
    expect(recording.omittedTxnIds).toBeGreaterThan(0);
    for (const track of recording.txns.values()) expect(track.starts.length).toBeLessThanOrEqual(500);
    expect(recording.faults.items.length).toBe(RECORDING_LIMITS.faults);
    expect(recording.faults.omitted).toBe(7200 - RECORDING_LIMITS.faults);
    expect(recording.metrics.commits.buckets().length).toBeLessThanOrEqual(400);
  });

  it("counts malformed report records instead of drawing them", () => {
    const recording = new RunRecording();
    const { emit } = feeder(recording);
    emit(0, "txn.state", "b1", { txnId: "t", state: "Ongoing" });
    emit(0, "partition.offsets", "b1", { topic: "t", partition: 0, leo: 1 });
    expect(recording.malformed).toBe(1);
    expect(recording.partitions.size).toBe(1);
  });
});

describe("composeListeners", () => {
  it("calls every listener in order with the same record and hash, skipping undefined ones", () => {
    const seen: string[] = [];
    const a: TraceListener = (r, h) => seen.push(`a${r.index}${h}`);
    const b: TraceListener = (r, h) => seen.push(`b${r.index}${h}`);
    const both = composeListeners(a, undefined, b);
    both?.({ index: 7, timeUs: 0, kind: "k", node: "n", fields: undefined }, "h");
    expect(seen).toEqual(["a7h", "b7h"]);
    expect(composeListeners(undefined, a)).toBe(a);
    expect(composeListeners(undefined)).toBeUndefined();
  });
});

describe("the Kafka model's report records", () => {
  it("every report record a transactional Kafka run emits follows the contract of record-kinds.ts (none malformed)", async () => {
    const { prepareRun } = await import("../../src/run/run.js");
    const { loadScenario } = await import("../../src/scenario/load.js");
    const recording = new RunRecording();
    const prepared = prepareRun(loadScenario("scenarios/transactional-writer.yaml"), { seed: 1, onTrace: recording.listener });
    prepared.execute();
    expect(recording.malformed).toBe(0);
  });
});
