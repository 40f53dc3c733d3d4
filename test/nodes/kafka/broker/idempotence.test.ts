import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import { MAX_SEQUENCE, ProducerStateManager } from "../../../../src/nodes/kafka/producer-state.js";
import type { RecordBatch } from "../../../../src/nodes/kafka/protocol.js";
import { batchOf, type KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import {
  failedInvariants,
  initProducerId,
  logEndOffset,
  logValues,
  produce,
  produceToLeader,
  startedHarness,
  waitForLeader,
} from "./protocol-helpers.js";

/**
 * Broker-side idempotence (facts §1.1): per (partition, producerId) the leader keeps the epoch
 * and the last 5 batches, and validates a client's produce in Kafka's order: duplicate check,
 * epoch check, sequence check.
 */

interface Producer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Sends batches of one record each, sequences from `firstSeq`; returns their base offsets. */
function sendInSequence(h: KafkaHarness, producer: Producer, count: number, firstSeq = 0): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) {
    const seq = firstSeq + i;
    const response = produceToLeader(h, [`v${seq}`], { ...producer, baseSequence: seq });
    expect(response?.error, `batch with sequence ${seq}`).toBe("NONE");
    offsets.push(response?.baseOffset ?? -1);
  }
  return offsets;
}

function leaderId(h: KafkaHarness): number {
  return h.leaderOf("events", 0) as number;
}

describe("duplicate check", () => {
  it("a retry of any of the last 5 batches succeeds with its original offset and appends nothing", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    const offsets = sendInSequence(h, producer, 5);
    const endBefore = logEndOffset(h, leaderId(h));
    for (let seq = 0; seq < 5; seq++) {
      const retry = produceToLeader(h, [`v${seq}`], { ...producer, baseSequence: seq });
      expect(retry).toMatchObject({ error: "NONE", baseOffset: offsets[seq] });
    }
    expect(logEndOffset(h, leaderId(h))).toBe(endBefore);
    expect(logValues(h, leaderId(h))).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a retry of a multi-record batch must match its whole sequence range to be a duplicate", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    expect(produceToLeader(h, ["a", "b", "c"], { ...producer, baseSequence: 0 })).toMatchObject({ error: "NONE", baseOffset: 0 });
    expect(produceToLeader(h, ["a", "b", "c"], { ...producer, baseSequence: 0 })).toMatchObject({ error: "NONE", baseOffset: 0 });
    // Same first sequence, different last sequence: not the cached batch, and not last+1 either.
    expect(produceToLeader(h, ["a", "b"], { ...producer, baseSequence: 0 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(logValues(h, leaderId(h))).toEqual(["a", "b", "c"]);
  });

  it("a retry older than the 5-batch window gets OUT_OF_ORDER_SEQUENCE_NUMBER, not a second append", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    sendInSequence(h, producer, 6);
    const endBefore = logEndOffset(h, leaderId(h));
    const retry = produceToLeader(h, ["v0"], { ...producer, baseSequence: 0 });
    expect(retry?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(retry?.error).not.toBe("DUPLICATE_SEQUENCE_NUMBER");
    expect(logEndOffset(h, leaderId(h))).toBe(endBefore);
  });

  it("a duplicate under acks=all is answered once the original batch is below the high watermark", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    h.apply({ kind: "partition", shape: "groups", groups: [["b1"], ["b2", "b3"]] });
    // The original, with acks=1, lands in the leader's log only: the followers cannot fetch.
    expect(produce(h, "b1", ["x"], { ...producer, baseSequence: 0, acks: 1 })).toMatchObject({ error: "NONE", baseOffset: 0 });
    const retryId = h.send("b1", { type: "Produce", acks: -1, timeoutMs: 60_000, transactionalId: null, topicData: [{ topic: "events", partition: 0, batch: batchOf(["x"], { ...producer, baseSequence: 0 }) }] });
    h.runFor(500);
    expect(h.response(retryId), "no answer while the HW is below the cached batch").toBeUndefined();
    h.apply({ kind: "heal" });
    expect(h.runUntil(() => h.response(retryId) !== undefined, 10_000)).toBe(true);
    const answer = h.response(retryId);
    expect(answer?.type === "ProduceResponse" ? answer.responses[0] : undefined).toMatchObject({ error: "NONE", baseOffset: 0 });
    expect(logValues(h, 1)).toEqual(["x"]);
  });

  it("batches without a producer id are never deduplicated", () => {
    const h = startedHarness();
    expect(produceToLeader(h, ["plain"])?.baseOffset).toBe(0);
    expect(produceToLeader(h, ["plain"])?.baseOffset).toBe(1);
    expect(logValues(h, leaderId(h))).toEqual(["plain", "plain"]);
  });
});

describe("epoch check", () => {
  it("a batch with an epoch below the current one gets INVALID_PRODUCER_EPOCH, even when its sequence would fit", () => {
    const h = startedHarness();
    const { producerId } = initProducerId(h);
    expect(produceToLeader(h, ["e0"], { producerId, producerEpoch: 0, baseSequence: 0 })?.error).toBe("NONE");
    expect(produceToLeader(h, ["e1"], { producerId, producerEpoch: 1, baseSequence: 0 })?.error).toBe("NONE");
    // Sequence 1 is last+1 for epoch 0, but the epoch check comes first.
    expect(produceToLeader(h, ["zombie"], { producerId, producerEpoch: 0, baseSequence: 1 })?.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(logValues(h, leaderId(h))).toEqual(["e0", "e1"]);
  });

  it("a retry from the previous epoch is not a duplicate: the epoch bump emptied the batch cache", () => {
    const h = startedHarness();
    const { producerId } = initProducerId(h);
    produceToLeader(h, ["e0"], { producerId, producerEpoch: 0, baseSequence: 0 });
    produceToLeader(h, ["e1"], { producerId, producerEpoch: 1, baseSequence: 0 });
    const retry = produceToLeader(h, ["e0"], { producerId, producerEpoch: 0, baseSequence: 0 });
    expect(retry?.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(retry?.baseOffset).not.toBe(0);
  });
});

describe("sequence check", () => {
  it("a new epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER", () => {
    const h = startedHarness();
    const { producerId } = initProducerId(h);
    sendInSequence(h, { producerId, producerEpoch: 0 }, 3);
    expect(produceToLeader(h, ["x"], { producerId, producerEpoch: 1, baseSequence: 3 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(produceToLeader(h, ["x"], { producerId, producerEpoch: 1, baseSequence: 0 })).toMatchObject({ error: "NONE", baseOffset: 3 });
  });

  it("within an epoch the sequence must be last+1: a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    sendInSequence(h, producer, 2);
    expect(produceToLeader(h, ["gap"], { ...producer, baseSequence: 3 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(logValues(h, leaderId(h))).toEqual(["v0", "v1"]);
    expect(produceToLeader(h, ["v2"], { ...producer, baseSequence: 2 })).toMatchObject({ error: "NONE", baseOffset: 2 });
  });

  it("the sequence wraps from Int.MAX to 0", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    // No state yet: any first sequence is accepted. This batch ends exactly at Int.MAX.
    expect(produceToLeader(h, ["a", "b"], { ...producer, baseSequence: MAX_SEQUENCE - 1 })?.error).toBe("NONE");
    expect(produceToLeader(h, ["c"], { ...producer, baseSequence: 1 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(produceToLeader(h, ["c", "d"], { ...producer, baseSequence: 0 })).toMatchObject({ error: "NONE", baseOffset: 2 });
    // A batch that itself straddles the wrap: its last sequence is 0, so the next one starts at 1.
    const other = initProducerId(h);
    expect(produceToLeader(h, ["x", "y"], { ...other, baseSequence: MAX_SEQUENCE })?.error).toBe("NONE");
    expect(produceToLeader(h, ["z"], { ...other, baseSequence: 0 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(produceToLeader(h, ["z"], { ...other, baseSequence: 1 })?.error).toBe("NONE");
  });

  it("with no producer state any sequence is accepted", () => {
    const h = startedHarness();
    const producer = initProducerId(h);
    expect(produceToLeader(h, ["first"], { ...producer, baseSequence: 42 })).toMatchObject({ error: "NONE", baseOffset: 0 });
    expect(produceToLeader(h, ["next"], { ...producer, baseSequence: 43 })).toMatchObject({ error: "NONE", baseOffset: 1 });
  });

  it("an entry of the current epoch with no batch yet expects sequence 0 (ProducerAppendInfo: NO_SEQUENCE + 1)", () => {
    // Only a control batch (a transaction marker) creates such an entry, and clients cannot send
    // markers, so this rule is checked on the producer state itself.
    const state = new ProducerStateManager({ bugs: new Set() });
    const marker: RecordBatch = { ...batchOf(["commit"], { producerId: 7, producerEpoch: 3 }), baseOffset: 0, isControl: true };
    state.update(marker);
    const at = (baseSequence: number): RecordBatch => batchOf(["x"], { producerId: 7, producerEpoch: 3, baseSequence });
    expect(state.validateClientAppend(at(5))).toEqual({ kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(state.validateClientAppend(at(0))).toEqual({ kind: "append" });
  });
});

describe("producer state outlives its leader", () => {
  it("a new leader, rebuilt from replicated batches, deduplicates and checks sequences like the old one", () => {
    const h = startedHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    const producer = initProducerId(h);
    const offsets = sendInSequence(h, producer, 3);
    const oldLeader = leaderId(h);
    h.apply({ kind: "crash", node: `b${oldLeader}`, loseUnflushed: false });
    expect(h.runUntil(() => h.leaderOf("events", 0) !== undefined && h.leaderOf("events", 0) !== oldLeader, 30_000)).toBe(true);
    expect(produceToLeader(h, ["v1"], { ...producer, baseSequence: 1 })).toMatchObject({ error: "NONE", baseOffset: offsets[1] });
    expect(produceToLeader(h, ["v4"], { ...producer, baseSequence: 4 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(produceToLeader(h, ["v3"], { ...producer, baseSequence: 3 })).toMatchObject({ error: "NONE", baseOffset: 3 });
    expect(logValues(h, leaderId(h))).toEqual(["v0", "v1", "v2", "v3"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a restarted broker rebuilds producer state from its log", () => {
    const h = startedHarness({ cluster: { brokers: 1, topics: [{ name: "events", partitions: 1, replicationFactor: 1 }] } });
    const producer = initProducerId(h);
    const offsets = sendInSequence(h, producer, 3);
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "restart", node: "b1" });
    expect(waitForLeader(h, 1)).toBe(true);
    expect(produce(h, "b1", ["v2"], { ...producer, baseSequence: 2 })).toMatchObject({ error: "NONE", baseOffset: offsets[2] });
    expect(produce(h, "b1", ["v9"], { ...producer, baseSequence: 9 })?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(produce(h, "b1", ["old"], { ...producer, producerEpoch: producer.producerEpoch - 1, baseSequence: 0 })?.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(logValues(h, 1)).toEqual(["v0", "v1", "v2"]);
  });
});

describe("bug switches: each guard off versus on", () => {
  it(`${KAFKA_BUGS.noDedup}: a retried batch is appended again instead of answered from the cache`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noDedup]]) {
      const h = startedHarness({ bugs });
      const producer = initProducerId(h);
      sendInSequence(h, producer, 3);
      const retry = produceToLeader(h, ["v1"], { ...producer, baseSequence: 1 });
      expect(retry?.error).toBe("NONE");
      if (bugs.length === 0) {
        expect(retry?.baseOffset).toBe(1);
        expect(logValues(h, leaderId(h))).toEqual(["v0", "v1", "v2"]);
      } else {
        expect(retry?.baseOffset).toBe(3);
        expect(logValues(h, leaderId(h))).toEqual(["v0", "v1", "v2", "v1"]);
      }
    }
  });

  it(`${KAFKA_BUGS.dedupWindow1}: only the last batch is cached, so a retry of an earlier in-flight batch is refused`, () => {
    for (const bugs of [[], [KAFKA_BUGS.dedupWindow1]]) {
      const h = startedHarness({ bugs });
      const producer = initProducerId(h);
      sendInSequence(h, producer, 5);
      const last = produceToLeader(h, ["v4"], { ...producer, baseSequence: 4 });
      const earlier = produceToLeader(h, ["v2"], { ...producer, baseSequence: 2 });
      expect(last).toMatchObject({ error: "NONE", baseOffset: 4 });
      if (bugs.length === 0) expect(earlier).toMatchObject({ error: "NONE", baseOffset: 2 });
      else expect(earlier?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
      expect(logValues(h, leaderId(h))).toHaveLength(5);
    }
  });

  it(`${KAFKA_BUGS.noSequenceCheck}: a batch after a gap is appended`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noSequenceCheck]]) {
      const h = startedHarness({ bugs });
      const producer = initProducerId(h);
      sendInSequence(h, producer, 2);
      const gap = produceToLeader(h, ["gap"], { ...producer, baseSequence: 7 });
      if (bugs.length === 0) {
        expect(gap?.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
        expect(logValues(h, leaderId(h))).toEqual(["v0", "v1"]);
      } else {
        expect(gap).toMatchObject({ error: "NONE", baseOffset: 2 });
        expect(logValues(h, leaderId(h))).toEqual(["v0", "v1", "gap"]);
      }
    }
  });

  it(`${KAFKA_BUGS.noEpochCheck}: a fenced producer's retry is appended`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noEpochCheck]]) {
      const h = startedHarness({ bugs });
      const { producerId } = initProducerId(h);
      produceToLeader(h, ["old"], { producerId, producerEpoch: 0, baseSequence: 0 });
      produceToLeader(h, ["new"], { producerId, producerEpoch: 1, baseSequence: 0 });
      const zombie = produceToLeader(h, ["old"], { producerId, producerEpoch: 0, baseSequence: 0 });
      if (bugs.length === 0) {
        expect(zombie?.error).toBe("INVALID_PRODUCER_EPOCH");
        expect(logValues(h, leaderId(h))).toEqual(["old", "new"]);
      } else {
        expect(zombie).toMatchObject({ error: "NONE", baseOffset: 2 });
        expect(logValues(h, leaderId(h))).toEqual(["old", "new", "old"]);
      }
      expect(failedInvariants(h)).toEqual([]);
    }
  });
});
