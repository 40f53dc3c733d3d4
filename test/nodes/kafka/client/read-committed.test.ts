import { describe, expect, it } from "vitest";
import type { KafkaConsumer, PollResult } from "../../../../src/nodes/kafka/client/consumer.js";
import type { ConsumerOptions } from "../../../../src/nodes/kafka/client/consumer-config.js";
import { KafkaReader } from "../../../../src/nodes/kafka/client/reader-app.js";
import type { AssignValue, EndOffsetsValue, PollValue } from "../../../../src/nodes/kafka/history-values.js";
import { appendMarker, appendTransactional, buildFakeGroupSystem, type FakeGroupSystem } from "../../../helpers/kafka-fake-group-coordinator.js";
import { addConsumer } from "./harness.js";

const t0 = { topic: "t", partition: 0 };

function committedConsumer(sys: FakeGroupSystem, options: Partial<ConsumerOptions> = {}, id = "app"): KafkaConsumer {
  return addConsumer(sys, { isolationLevel: "read_committed", autoOffsetReset: "earliest", ...options }, id).consumer;
}

function pollOnce(sys: FakeGroupSystem, consumer: KafkaConsumer, timeoutMs = 300): PollResult {
  let result: PollResult | undefined;
  consumer.poll(timeoutMs, (r) => (result = r));
  expect(sys.runUntil(() => result !== undefined, timeoutMs + 60_000)).toBe(true);
  return result as PollResult;
}

function valuesOf(result: PollResult): string[] {
  return result.ok ? result.records.map((r) => r.value) : [];
}

function endOffsetOf(sys: FakeGroupSystem, consumer: KafkaConsumer): number | undefined {
  let end: number | undefined;
  let done = false;
  consumer.endOffsets([t0], (r) => {
    done = true;
    end = r.ok ? r.offsets.get("t-0") : undefined;
  });
  expect(sys.runUntil(() => done)).toBe(true);
  return end;
}

/** 0-1 committed txn of pid 1, 2 its COMMIT, 3 an open txn of pid 2, 4 a plain record. */
function committedThenOpen(sys: FakeGroupSystem): void {
  appendTransactional(sys.cluster, "t-0", 1, ["a", "b"]);
  appendMarker(sys.cluster, "t-0", 1, "COMMIT");
  appendTransactional(sys.cluster, "t-0", 2, ["x"]);
  sys.cluster.appendBatch("t-0", ["c"]);
}

describe("read_committed reads stop at the LSO", () => {
  it("a poll returns nothing at or beyond the first offset of an open transaction", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    const consumer = committedConsumer(sys);
    consumer.assign([t0]);
    expect(valuesOf(pollOnce(sys, consumer))).toEqual(["a", "b"]);
    expect(pollOnce(sys, consumer)).toEqual({ ok: true, records: [] });
    expect(consumer.position(t0)).toBe(3);
    expect(consumer.fetchedOffsets(t0)).toMatchObject({ highWatermark: 5, lastStableOffset: 3 });
  });

  it("once the open transaction commits, the records behind it follow in offset order", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    const consumer = committedConsumer(sys);
    consumer.assign([t0]);
    expect(valuesOf(pollOnce(sys, consumer))).toEqual(["a", "b"]);
    appendMarker(sys.cluster, "t-0", 2, "COMMIT");
    expect(valuesOf(pollOnce(sys, consumer, 1000))).toEqual(["x", "c"]);
    expect(consumer.position(t0)).toBe(6);
  });

  it("read_uncommitted reads past the LSO up to the high watermark", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    const consumer = committedConsumer(sys, { isolationLevel: "read_uncommitted" });
    consumer.assign([t0]);
    expect(valuesOf(pollOnce(sys, consumer))).toEqual(["a", "b", "x", "c"]);
  });
});

describe("read_committed drops aborted transactions", () => {
  it("records of an aborted transaction interleaved with a committed one are skipped, and the position passes its marker", () => {
    const sys = buildFakeGroupSystem();
    appendTransactional(sys.cluster, "t-0", 1, ["a"]);
    appendTransactional(sys.cluster, "t-0", 2, ["x1"]);
    appendTransactional(sys.cluster, "t-0", 1, ["b"]);
    appendTransactional(sys.cluster, "t-0", 2, ["x2"]);
    appendMarker(sys.cluster, "t-0", 2, "ABORT");
    appendMarker(sys.cluster, "t-0", 1, "COMMIT");
    const consumer = committedConsumer(sys);
    consumer.assign([t0]);
    expect(valuesOf(pollOnce(sys, consumer))).toEqual(["a", "b"]);
    expect(consumer.position(t0)).toBe(6);
  });

  it("a later transaction of the aborted producer is returned once committed", () => {
    const sys = buildFakeGroupSystem();
    appendTransactional(sys.cluster, "t-0", 2, ["x"]);
    appendMarker(sys.cluster, "t-0", 2, "ABORT");
    appendTransactional(sys.cluster, "t-0", 2, ["y"]);
    appendMarker(sys.cluster, "t-0", 2, "COMMIT");
    const consumer = committedConsumer(sys);
    consumer.assign([t0]);
    expect(valuesOf(pollOnce(sys, consumer))).toEqual(["y"]);
  });
});

describe("end offsets under read_committed", () => {
  it("endOffsets is the LSO under read_committed and the high watermark under read_uncommitted", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    expect(endOffsetOf(sys, committedConsumer(sys, {}, "rc"))).toBe(3);
    expect(endOffsetOf(sys, committedConsumer(sys, { isolationLevel: "read_uncommitted" }, "ru"))).toBe(5);
  });

  it("seekToEnd positions a read_committed consumer at the LSO", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    const consumer = committedConsumer(sys);
    consumer.assign([t0]);
    consumer.seekToEnd([t0]);
    expect(pollOnce(sys, consumer)).toEqual({ ok: true, records: [] });
    expect(consumer.position(t0)).toBe(3);
  });
});

describe("KafkaReader under read_committed", () => {
  function addReader(sys: FakeGroupSystem): { reader: () => KafkaReader; drain: { active: boolean } } {
    const drain = { active: false };
    let reader: KafkaReader | undefined;
    sys.sim.addNode("r1", (ctx) => (reader = new KafkaReader(ctx, { bootstrapBrokers: sys.cluster.brokers, topics: ["t"], drain, pollTimeoutMs: 200, isolationLevel: "read_committed" })));
    sys.sim.node("r1").start();
    return { reader: () => reader as KafkaReader, drain };
  }

  it("records its isolation level in the assign and the LSO as its end offset", () => {
    const sys = buildFakeGroupSystem();
    committedThenOpen(sys);
    const { reader, drain } = addReader(sys);
    sys.runMs(1000);
    drain.active = true;
    expect(sys.runUntil(() => reader().hasDrained, 10_000)).toBe(true);
    const ops = sys.sim.history.all().filter((op) => op.type === "ok");
    expect(ops.find((op) => op.f === "assign")?.value as AssignValue).toEqual({ partitions: [["t", 0]], isolationLevel: "read_committed" });
    const polled = ops.filter((op) => op.f === "poll").flatMap((op) => (op.value as PollValue).records.map((r) => r[3]));
    expect(polled).toEqual(["a", "b"]);
    expect(ops.find((op) => op.f === "end-offsets")?.value as EndOffsetsValue).toEqual({ offsets: [["t", 0, 3]] });
  });
});
