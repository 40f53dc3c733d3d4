import { describe, expect, it } from "vitest";
import { ProducerConfigError, resolveProducerConfig } from "../../../../src/nodes/kafka/client/producer-config.js";
import type { SendResult } from "../../../../src/nodes/kafka/client/producer.js";
import { buildFakeSystem } from "../../../helpers/kafka-fake-broker.js";
import { addProducer, allDone, sendAll, values } from "./harness.js";

const records = (vals: readonly string[], partition?: number) => vals.map((value) => ({ topic: "t", key: null, value, ...(partition === undefined ? {} : { partition }) }));

describe("producer batching", () => {
  it("records sent within linger.ms go out in one batch, at consecutive offsets", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { lingerMs: 5 });
    const results = sendAll(producer, records(values("v", 3)));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    const produces = sys.cluster.requests("Produce");
    expect(produces).toHaveLength(1);
    expect(produces[0]?.topicData[0]?.batch.records.map((r) => r.value)).toEqual(["v0", "v1", "v2"]);
    expect(results.map((r) => (r?.ok === true ? r.offset : undefined))).toEqual([0, 1, 2]);
  });

  it("a batch waits linger.ms before it is sent", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { lingerMs: 200 });
    const results = sendAll(producer, records(["a"]));
    sys.runMs(150);
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(sys.sim.nowUs).toBeGreaterThanOrEqual(200_000);
  });

  it("a full batch is sent at once, without waiting for linger.ms", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { lingerMs: 10_000, batchSizeRecords: 2 });
    const results = sendAll(producer, records(values("v", 4)));
    expect(sys.runUntil(() => allDone(results), 1000)).toBe(true);
    const batches = sys.cluster.requests("Produce").flatMap((p) => p.topicData.map((d) => d.batch.records.length));
    expect(batches).toEqual([2, 2]);
  });

  it("one Produce request carries one batch per partition of the leader", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 3 }] });
    const { producer } = addProducer(sys);
    const results = sendAll(producer, [...records(["a"], 0), ...records(["b"], 1), ...records(["c"], 2)]);
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    const produces = sys.cluster.requests("Produce");
    expect(produces).toHaveLength(1);
    expect(produces[0]?.topicData.map((d) => d.partition).sort()).toEqual([0, 1, 2]);
  });
});

describe("producer idempotence: sequences", () => {
  it("gets a producer id first and numbers batches per partition from 0 in drain order", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 2 }] });
    const { producer } = addProducer(sys, { batchSizeRecords: 2, lingerMs: 0 });
    const results = sendAll(producer, [...records(values("a", 5), 0), ...records(values("b", 3), 1)]);
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(sys.cluster.requests("InitProducerId")).toHaveLength(1);
    const sequences = (partition: number) =>
      sys.cluster
        .requests("Produce")
        .flatMap((p) => p.topicData.filter((d) => d.partition === partition))
        .map((d) => [d.batch.baseSequence, d.batch.records.length]);
    expect(sequences(0)).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(sequences(1)).toEqual([
      [0, 2],
      [2, 1],
    ]);
    expect(sys.cluster.requests("Produce").every((p) => p.topicData.every((d) => d.batch.producerId === 1000 && d.batch.producerEpoch === 0))).toBe(true);
  });

  it("concurrent sends never share or skip a sequence number, and every record is written once", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 3 }], network: { latency: { model: "uniform", msMin: 0.5, msMax: 20 } } });
    const { producer } = addProducer(sys, { batchSizeRecords: 3, lingerMs: 1 });
    const all: (SendResult | undefined)[] = Array.from({ length: 300 }, () => undefined);
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      sys.sim.at(i * 700, () => {
        const value = `v${i}`;
        sent.push(value);
        producer.send({ topic: "t", key: `k${i % 7}`, value }, (result) => (all[i] = result));
      });
    }
    expect(sys.runUntil(() => allDone(all))).toBe(true);
    for (let p = 0; p < 3; p++) {
      const batches = sys.cluster.requests("Produce").flatMap((r) => r.topicData.filter((d) => d.partition === p).map((d) => d.batch));
      let next = 0;
      for (const batch of batches) {
        expect(batch.baseSequence).toBe(next);
        next += batch.records.length;
      }
    }
    const written = [0, 1, 2].flatMap((p) => sys.cluster.values(`t-${p}`));
    expect([...written].sort()).toEqual([...sent].sort());
    expect(all.every((r) => r?.ok === true)).toBe(true);
  });

  it("keeps at most max.in.flight.requests.per.connection requests in flight to a broker", () => {
    const sys = buildFakeSystem({ topics: [{ name: "t", partitions: 1 }] });
    const { producer } = addProducer(sys, { batchSizeRecords: 1, lingerMs: 0 });
    sys.cluster.inject({ api: "Produce", action: { kind: "delay-response", ms: 100 }, count: Number.POSITIVE_INFINITY });
    let maxInFlight = 0;
    sys.sim.addInvariant(() => (maxInFlight = Math.max(maxInFlight, producer.inFlightRequests(1))));
    const results = sendAll(producer, records(values("v", 20), 0));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(maxInFlight).toBe(5);
    expect(results.map((r) => (r?.ok === true ? r.offset : -1))).toEqual(values("", 20).map((_, i) => i));
  });

  it("retries a batch whose response was lost with the same sequence; the broker deduplicates it", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { requestTimeoutMs: 1000, deliveryTimeoutMs: 10_000 });
    sys.cluster.inject({ api: "Produce", action: { kind: "drop-response" } });
    const results = sendAll(producer, records(["a", "b"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    const produces = sys.cluster.requests("Produce");
    expect(produces).toHaveLength(2);
    expect(produces.map((p) => p.topicData[0]?.batch.baseSequence)).toEqual([0, 0]);
    expect(sys.cluster.values("t-0")).toEqual(["a", "b"]);
    expect(results).toEqual([
      { ok: true, topic: "t", partition: 0, offset: 0, unconfirmed: false },
      { ok: true, topic: "t", partition: 0, offset: 1, unconfirmed: false },
    ]);
  });

  it("a request timeout fails every request in flight on the connection, and each batch is retried", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { requestTimeoutMs: 1000, deliveryTimeoutMs: 20_000, batchSizeRecords: 1, lingerMs: 0 });
    sys.cluster.inject({ api: "Produce", action: { kind: "delay-response", ms: 5000 }, count: 2 });
    const results = sendAll(producer, records(["a", "b"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    const produces = sys.cluster.requests("Produce");
    expect(produces.map((p) => p.topicData[0]?.batch.records[0]?.value)).toEqual(["a", "b", "a", "b"]);
    expect(sys.cluster.values("t-0")).toEqual(["a", "b"]);
    expect(results.map((r) => r?.ok)).toEqual([true, true]);
  });

  it("OUT_OF_ORDER_SEQUENCE_NUMBER on the next expected batch bumps the epoch locally for that partition only", () => {
    // t-0 is led by b1, t-1 by b2.
    const sys = buildFakeSystem({ brokers: [1, 2], topics: [{ name: "t", partitions: 2 }] });
    const { producer } = addProducer(sys, { lingerMs: 0 });
    const first = sendAll(producer, [...records(["a0"], 0), ...records(["b0"], 1)]);
    expect(sys.runUntil(() => allDone(first))).toBe(true);

    sys.cluster.inject({ api: "Produce", broker: 1, tp: "t-0", action: { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" } });
    sys.cluster.inject({ api: "Produce", broker: 2, action: { kind: "delay-response", ms: 500 } });
    const second = sendAll(producer, [...records(["a1"], 0), ...records(["b1"], 1)]);
    expect(sys.runUntil(() => allDone(second))).toBe(true);
    const third = sendAll(producer, [...records(["a2"], 0), ...records(["b2"], 1)]);
    expect(sys.runUntil(() => allDone(third))).toBe(true);

    expect(sys.cluster.requests("InitProducerId")).toHaveLength(1);
    expect(producer.producerIdAndEpoch).toEqual({ producerId: 1000, producerEpoch: 1 });
    const sent = (partition: number) =>
      sys.cluster
        .requests("Produce")
        .flatMap((p) => p.topicData.filter((d) => d.partition === partition))
        .map((d) => `${d.batch.records[0]?.value}@${d.batch.producerEpoch}/${d.batch.baseSequence}`);
    // t-0: a1 is rejected, then re-sent under epoch 1 from sequence 0.
    expect(sent(0)).toEqual(["a0@0/0", "a1@0/1", "a1@1/0", "a2@1/1"]);
    // t-1: b1 was in flight during the bump and completes under epoch 0; b2 restarts at 0 under epoch 1.
    expect(sent(1)).toEqual(["b0@0/0", "b1@0/1", "b2@1/0"]);
    expect(sys.cluster.values("t-0")).toEqual(["a0", "a1", "a2"]);
    expect(sys.cluster.values("t-1")).toEqual(["b0", "b1", "b2"]);
    expect([...second, ...third].every((r) => r?.ok === true)).toBe(true);
  });

  it("OUT_OF_ORDER_SEQUENCE_NUMBER on a batch behind a failed one is retried in order, without an epoch bump", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { batchSizeRecords: 1, lingerMs: 0 });
    const first = sendAll(producer, records(["x"]));
    expect(sys.runUntil(() => allDone(first))).toBe(true);
    // a fails without being appended; b and c then arrive with a gap and get OUT_OF_ORDER_SEQUENCE_NUMBER.
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "NOT_ENOUGH_REPLICAS" } });
    const results = sendAll(producer, records(["a", "b", "c"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.producerIdAndEpoch.producerEpoch).toBe(0);
    expect(sys.cluster.values("t-0")).toEqual(["x", "a", "b", "c"]);
    expect(results.map((r) => (r?.ok === true ? r.offset : -1))).toEqual([1, 2, 3]);
    const produced = sys.cluster.requests("Produce").map((p) => p.topicData[0]?.batch.records[0]?.value);
    expect(produced.slice(0, 4)).toEqual(["x", "a", "b", "c"]);
    expect(produced.filter((v) => v === "b").length).toBeGreaterThan(1);
  });

  it("an exhausted epoch makes the producer ask for a new producer id", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { lingerMs: 0, maxProducerEpoch: 1 });
    const first = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(first))).toBe(true);
    for (const value of ["b", "c"]) {
      sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" } });
      const results = sendAll(producer, records([value]));
      expect(sys.runUntil(() => allDone(results))).toBe(true);
      expect(results[0]?.ok).toBe(true);
    }
    expect(sys.cluster.requests("InitProducerId")).toHaveLength(2);
    expect(producer.producerIdAndEpoch.producerId).toBe(1001);
    expect(sys.cluster.values("t-0")).toEqual(["a", "b", "c"]);
    const sent = sys.cluster.requests("Produce").map((p) => p.topicData[0]?.batch).map((b) => `${b?.records[0]?.value}@${b?.producerId}/${b?.producerEpoch}/${b?.baseSequence}`);
    // As in Java (resetProducerState with ProducerIdAndEpoch.NONE): the batch in flight when the
    // epoch ran out is rewritten without a producer id and goes out unprotected; the next new
    // batch uses the new producer id from sequence 0.
    expect(sent).toEqual(["a@1000/0/0", "b@1000/0/1", "b@1000/1/0", "c@1000/1/1", "c@-1/-1/0"]);
    const more = sendAll(producer, records(["d"]));
    expect(sys.runUntil(() => allDone(more))).toBe(true);
    expect(sys.cluster.requests("Produce").at(-1)?.topicData[0]?.batch).toMatchObject({ producerId: 1001, producerEpoch: 0, baseSequence: 0 });
  });
});

describe("producer outcomes: definite and indefinite", () => {
  it("a delivery timeout after the batch was sent is indefinite", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { requestTimeoutMs: 1000, deliveryTimeoutMs: 3000, lingerMs: 0 });
    sys.cluster.inject({ api: "Produce", action: { kind: "drop-request" }, count: Number.POSITIVE_INFINITY });
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results[0]).toEqual({ ok: false, topic: "t", partition: 0, error: "DELIVERY_TIMEOUT", definite: false });
    expect(sys.sim.nowUs).toBeGreaterThanOrEqual(3_000_000);
  });

  it("a batch that was never sent fails definitely at the delivery timeout", () => {
    const sys = buildFakeSystem();
    sys.cluster.leaders.set("t-0", { leader: 7, leaderEpoch: 0 }); // not a live broker: no leader
    const { producer } = addProducer(sys, { requestTimeoutMs: 1000, deliveryTimeoutMs: 3000 });
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results[0]).toMatchObject({ ok: false, error: "DELIVERY_TIMEOUT", definite: true });
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
  });

  it("NOT_ENOUGH_REPLICAS on every attempt is definite; NOT_ENOUGH_REPLICAS_AFTER_APPEND is not", () => {
    for (const [error, definite] of [
      ["NOT_ENOUGH_REPLICAS", true],
      ["NOT_ENOUGH_REPLICAS_AFTER_APPEND", false],
    ] as const) {
      const sys = buildFakeSystem();
      const { producer } = addProducer(sys, { requestTimeoutMs: 1000, deliveryTimeoutMs: 3000 });
      sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error, append: !definite }, count: Number.POSITIVE_INFINITY });
      const results = sendAll(producer, records(["a"]));
      expect(sys.runUntil(() => allDone(results))).toBe(true);
      expect(results[0]).toMatchObject({ ok: false, definite });
      expect(sys.cluster.requests("Produce").length).toBeGreaterThan(1);
      expect(sys.cluster.values("t-0")).toEqual(definite ? [] : ["a"]);
    }
  });

  it("an unknown topic fails definitely after max.block.ms", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { maxBlockMs: 2000 });
    const results = sendAll(producer, [{ topic: "nope", key: null, value: "a" }]);
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results[0]).toMatchObject({ ok: false, error: "MAX_BLOCK_TIMEOUT", definite: true });
  });
});

describe("producer without idempotence", () => {
  it("sends no producer id or sequence, and a retry after a lost response writes a duplicate", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { enableIdempotence: false, requestTimeoutMs: 1000 });
    sys.cluster.inject({ api: "Produce", action: { kind: "drop-response" } });
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(sys.cluster.requests("InitProducerId")).toHaveLength(0);
    expect(sys.cluster.requests("Produce").every((p) => p.topicData.every((d) => d.batch.producerId === -1 && d.batch.baseSequence === -1))).toBe(true);
    expect(sys.cluster.values("t-0")).toEqual(["a", "a"]);
    expect(results[0]).toMatchObject({ ok: true, offset: 1 });
  });

  it("acks=0 gets no response: records complete as unconfirmed, without offsets", () => {
    const sys = buildFakeSystem();
    const { producer } = addProducer(sys, { acks: 0 });
    const results = sendAll(producer, records(["a", "b"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results.map((r) => r?.ok === true && r.unconfirmed && r.offset)).toEqual([-1, -1]);
    sys.runMs(100);
    expect(sys.cluster.values("t-0")).toEqual(["a", "b"]);
  });
});

describe("producer metadata", () => {
  it("NOT_LEADER_OR_FOLLOWER refreshes metadata and the batch goes to the new leader", () => {
    const sys = buildFakeSystem({ brokers: [1, 2] });
    const { producer } = addProducer(sys, { lingerMs: 0 });
    const first = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(first))).toBe(true);
    sys.cluster.moveLeader("t-0", 2);
    const second = sendAll(producer, records(["b"]));
    expect(sys.runUntil(() => allDone(second))).toBe(true);
    expect(second[0]).toMatchObject({ ok: true, offset: 1 });
    expect(sys.cluster.received.filter((r) => r.request.type === "Produce").map((r) => r.broker)).toEqual([1, 1, 2]);
  });

  it("a bootstrap broker that does not answer is skipped for the next one", () => {
    const sys = buildFakeSystem({ brokers: [1, 2], topics: [{ name: "t", partitions: 2 }] });
    sys.cluster.inject({ api: "Metadata", broker: 1, action: { kind: "drop-request" }, count: Number.POSITIVE_INFINITY });
    const { producer } = addProducer(sys, { requestTimeoutMs: 500, lingerMs: 0 });
    const results = sendAll(producer, records(["a"], 1));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results[0]).toMatchObject({ ok: true });
    expect(sys.cluster.received.filter((r) => r.request.type === "Metadata").map((r) => r.broker)).toContain(2);
  });
});

describe("producer config", () => {
  it("explicit idempotence with acks=1 or more than 5 in flight is a config error", () => {
    expect(() => resolveProducerConfig({ bootstrapBrokers: [1], enableIdempotence: true, acks: 1 })).toThrow(ProducerConfigError);
    expect(() => resolveProducerConfig({ bootstrapBrokers: [1], enableIdempotence: true, maxInFlightRequestsPerConnection: 6 })).toThrow(ProducerConfigError);
    expect(() => resolveProducerConfig({ bootstrapBrokers: [1], deliveryTimeoutMs: 1000, requestTimeoutMs: 30_000 })).toThrow(ProducerConfigError);
  });

  it("default idempotence is turned off by conflicting settings, as in Kafka ≥ 3.2", () => {
    expect(resolveProducerConfig({ bootstrapBrokers: [1] }).enableIdempotence).toBe(true);
    expect(resolveProducerConfig({ bootstrapBrokers: [1], acks: 1 }).enableIdempotence).toBe(false);
  });
});
