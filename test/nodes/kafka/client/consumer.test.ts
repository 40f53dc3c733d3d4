import { describe, expect, it } from "vitest";
import { CompletedFetch } from "../../../../src/nodes/kafka/client/completed-fetch.js";
import type { KafkaConsumer, PollResult } from "../../../../src/nodes/kafka/client/consumer.js";
import { markerRecord } from "../../../../src/nodes/kafka/control-records.js";
import type { FetchPartitionResponse, RecordBatch } from "../../../../src/nodes/kafka/protocol.js";
import type { TransactionResult } from "../../../../src/nodes/kafka/txn/protocol.js";
import { buildFakeSystem, type FakeSystem } from "../../../helpers/kafka-fake-broker.js";
import { addConsumer, values } from "./harness.js";

const t0 = { topic: "t", partition: 0 };

/** Polls once and runs the simulation until the poll completes. */
function pollOnce(sys: FakeSystem, consumer: KafkaConsumer, timeoutMs = 1000): PollResult {
  let result: PollResult | undefined;
  consumer.poll(timeoutMs, (r) => (result = r));
  expect(sys.runUntil(() => result !== undefined, timeoutMs + 60_000)).toBe(true);
  return result as PollResult;
}

function offsetsOf(result: PollResult): number[] {
  return result.ok ? result.records.map((r) => r.offset) : [];
}

describe("consumer positions", () => {
  it("poll returns records in offset order and advances the position past them", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a", "b"]);
    sys.cluster.appendBatch("t-0", ["c"]);
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    const result = pollOnce(sys, consumer);
    expect(result.ok && result.records.map((r) => [r.offset, r.value])).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ]);
    expect(consumer.position(t0)).toBe(3);
  });

  it("the next poll continues from the position, and an empty poll returns after its timeout", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a", "b"]);
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([0, 1]);
    const start = sys.sim.nowUs;
    expect(pollOnce(sys, consumer, 300)).toEqual({ ok: true, records: [] });
    expect(sys.sim.nowUs - start).toBeGreaterThanOrEqual(300_000);
    sys.cluster.appendBatch("t-0", ["c"]);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([2]);
  });

  it("control batches are never returned and the position moves past them", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a", "b"], { producerId: 5, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    sys.cluster.appendBatch("t-0", ["COMMIT"], { producerId: 5, producerEpoch: 0, isTransactional: true, isControl: true });
    sys.cluster.appendBatch("t-0", ["c"]);
    sys.cluster.appendBatch("t-0", ["COMMIT"], { producerId: 6, producerEpoch: 0, isTransactional: true, isControl: true });
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([0, 1, 3]);
    expect(consumer.position(t0)).toBe(5);
  });

  it("a fetch that returns only a trailing control batch moves the position past it", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a"], { producerId: 5, producerEpoch: 0, baseSequence: 0, isTransactional: true });
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([0]);
    sys.cluster.appendBatch("t-0", ["COMMIT"], { producerId: 5, producerEpoch: 0, isTransactional: true, isControl: true });
    expect(pollOnce(sys, consumer, 300)).toEqual({ ok: true, records: [] });
    expect(consumer.position(t0)).toBe(2);
  });

  it("seek moves the position; the next poll starts there", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", values("v", 10));
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 7);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([7, 8, 9]);
    consumer.seek(t0, 2);
    expect(consumer.position(t0)).toBe(2);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("max.poll.records bounds one poll; the rest comes with the next", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", values("v", 5));
    const { consumer } = addConsumer(sys, { maxPollRecords: 2 });
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([0, 1]);
    expect(consumer.position(t0)).toBe(2);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([2, 3]);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([4]);
  });

  it("a new assignment is reset per auto.offset.reset", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", values("v", 4));
    const earliest = addConsumer(sys, { autoOffsetReset: "earliest" }, "c1").consumer;
    const latest = addConsumer(sys, { autoOffsetReset: "latest" }, "c2").consumer;
    earliest.assign([t0]);
    latest.assign([t0]);
    expect(offsetsOf(pollOnce(sys, earliest))).toEqual([0, 1, 2, 3]);
    expect(pollOnce(sys, latest, 200)).toEqual({ ok: true, records: [] });
    expect(latest.position(t0)).toBe(4);
  });
});

describe("consumer errors", () => {
  it("OFFSET_OUT_OF_RANGE resets to the log start with earliest, to the end with latest, and is reported with none", () => {
    const run = (autoOffsetReset: "earliest" | "latest" | "none") => {
      const sys = buildFakeSystem();
      sys.cluster.appendBatch("t-0", values("v", 6));
      sys.cluster.log("t-0").logStartOffset = 3;
      const { consumer } = addConsumer(sys, { autoOffsetReset });
      const resets: [number, string][] = [];
      consumer.onReset((_tp, offset, reason) => resets.push([offset, reason]));
      consumer.assign([t0]);
      consumer.seek(t0, 1);
      return { result: pollOnce(sys, consumer, 500), consumer, resets };
    };
    const earliest = run("earliest");
    expect(offsetsOf(earliest.result)).toEqual([3, 4, 5]);
    expect(earliest.resets).toEqual([[3, "earliest"]]);
    const latest = run("latest");
    expect(latest.result).toEqual({ ok: true, records: [] });
    expect(latest.consumer.position(t0)).toBe(6);
    expect(latest.resets).toEqual([[6, "latest"]]);
    const none = run("none");
    expect(none.result).toEqual({ ok: false, error: "OFFSET_OUT_OF_RANGE", partitions: [t0] });
    expect(none.consumer.position(t0)).toBe(1);
  });

  it("NOT_LEADER_OR_FOLLOWER refreshes metadata and the next fetch goes to the new leader", () => {
    const sys = buildFakeSystem({ brokers: [1, 2] });
    sys.cluster.appendBatch("t-0", ["a"]);
    const { consumer } = addConsumer(sys);
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer))).toEqual([0]);
    sys.cluster.moveLeader("t-0", 2);
    sys.cluster.appendBatch("t-0", ["b"]);
    expect(offsetsOf(pollOnce(sys, consumer, 3000))).toEqual([1]);
    const fetches = sys.cluster.received.filter((r) => r.request.type === "Fetch");
    expect(fetches.at(-1)?.broker).toBe(2);
    const toB2 = fetches.filter((r) => r.broker === 2).map((r) => r.request);
    expect(toB2[0]?.type === "Fetch" && toB2[0].partitions[0]?.currentLeaderEpoch).toBe(1);
  });

  it("a lost fetch response is retried after the request timeout", () => {
    const sys = buildFakeSystem();
    sys.cluster.appendBatch("t-0", ["a"]);
    sys.cluster.inject({ api: "Fetch", action: { kind: "drop-response" } });
    const { consumer } = addConsumer(sys, { requestTimeoutMs: 1000 });
    consumer.assign([t0]);
    consumer.seek(t0, 0);
    expect(offsetsOf(pollOnce(sys, consumer, 5000))).toEqual([0]);
    expect(sys.sim.nowUs).toBeGreaterThanOrEqual(1_000_000);
  });
});

describe("consumer requests", () => {
  it("sends one Fetch per leader holding all of its assigned partitions", () => {
    const sys = buildFakeSystem({ brokers: [1, 2], topics: [{ name: "t", partitions: 4 }] });
    for (let p = 0; p < 4; p++) sys.cluster.appendBatch(`t-${p}`, [`v${p}`]);
    const { consumer } = addConsumer(sys);
    const all = [0, 1, 2, 3].map((partition) => ({ topic: "t", partition }));
    consumer.assign(all);
    for (const tp of all) consumer.seek(tp, 0);
    let result: PollResult | undefined;
    consumer.poll(1000, (r) => (result = r));
    const fetchesSeen = () => sys.cluster.received.filter((r) => r.request.type === "Fetch");
    expect(sys.runUntil(() => fetchesSeen().length >= 2)).toBe(true);
    const fetches = fetchesSeen().slice(0, 2);
    expect(fetches.map((r) => [r.broker, r.request.type === "Fetch" ? r.request.partitions.map((p) => p.partition) : []])).toEqual([
      [1, [0, 2]],
      [2, [1, 3]],
    ]);
    expect(sys.runUntil(() => result !== undefined)).toBe(true);
  });

  it("endOffsets returns the high watermark of each partition", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 2 }] });
    sys.cluster.appendBatch("t-0", values("v", 3));
    const { consumer } = addConsumer(sys);
    let offsets: ReadonlyMap<string, number> | undefined;
    consumer.endOffsets([t0, { topic: "t", partition: 1 }], (r) => (offsets = r.ok ? r.offsets : undefined));
    expect(sys.runUntil(() => offsets !== undefined)).toBe(true);
    expect([...(offsets ?? [])]).toEqual([
      ["t-0", 3],
      ["t-1", 0],
    ]);
  });

  it("partitionsFor lists a topic's partitions from metadata", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 3 }] });
    const { consumer } = addConsumer(sys);
    let partitions: readonly number[] | undefined;
    consumer.partitionsFor("t", (r) => (partitions = r.ok ? r.partitions : undefined));
    expect(sys.runUntil(() => partitions !== undefined)).toBe(true);
    expect(partitions).toEqual([0, 1, 2]);
  });
});

describe("read_committed filtering (CompletedFetch)", () => {
  const batch = (baseOffset: number, producerId: number, vals: string[], flags: Partial<RecordBatch> = {}): RecordBatch => ({
    baseOffset,
    partitionLeaderEpoch: 0,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: true,
    isControl: false,
    records: flags.isControl === true ? vals.map((v) => markerRecord(v as TransactionResult, 0, 0)) : vals.map((value) => ({ key: null, value, timestampMs: 0 })),
    ...flags,
  });
  const response = (batches: RecordBatch[], aborted: { producerId: number; firstOffset: number }[]): FetchPartitionResponse => ({
    topic: "t",
    partition: 0,
    error: "NONE",
    highWatermark: 10,
    lastStableOffset: 10,
    logStartOffset: 0,
    divergingEpoch: null,
    abortedTransactions: aborted,
    batches,
  });
  // pid 1 commits [0,1], pid 2 aborts [2], pid 1 commits [5]; markers at 3 (abort, pid 2), 4 (commit, pid 1), 6 (commit).
  const batches = [
    batch(0, 1, ["a", "b"]),
    batch(2, 2, ["x"]),
    batch(3, 2, ["ABORT"], { isControl: true }),
    batch(4, 1, ["COMMIT"], { isControl: true }),
    batch(5, 1, ["c"]),
    batch(6, 1, ["COMMIT"], { isControl: true }),
  ];

  it("drops batches of aborted transactions and control batches, and ends past the last batch", () => {
    const fetch = new CompletedFetch("t", 0, 0, response(batches, [{ producerId: 2, firstOffset: 2 }]), "read_committed");
    expect(fetch.records.map((r) => r.value)).toEqual(["a", "b", "c"]);
    expect(fetch.nextFetchOffset).toBe(7);
  });

  it("with stuck-on-trailing-marker only data batches move the position: a trailing marker holds it, a marker before data does not", () => {
    const fetch = new CompletedFetch("t", 0, 0, response(batches, [{ producerId: 2, firstOffset: 2 }]), "read_committed", true);
    expect(fetch.records.map((r) => r.value)).toEqual(["a", "b", "c"]);
    expect(fetch.nextFetchOffset).toBe(6);
    const onlyMarker = new CompletedFetch("t", 0, 6, response(batches, []), "read_committed", true);
    expect(onlyMarker.records).toEqual([]);
    expect(onlyMarker.nextFetchOffset).toBe(6);
  });

  it("read_uncommitted returns aborted records too (only control batches are skipped)", () => {
    const fetch = new CompletedFetch("t", 0, 0, response(batches, [{ producerId: 2, firstOffset: 2 }]), "read_uncommitted");
    expect(fetch.records.map((r) => r.value)).toEqual(["a", "b", "x", "c"]);
  });

  it("records before the fetch offset inside the first batch are skipped", () => {
    const fetch = new CompletedFetch("t", 0, 1, response(batches, []), "read_uncommitted");
    expect(fetch.records.map((r) => r.offset)).toEqual([1, 2, 5]);
  });
});
