import { describe, expect, it } from "vitest";
import { TRANSACTION_STATE_TOPIC } from "../../../src/nodes/kafka/txn/protocol.js";
import { batchOf, type KafkaHarness } from "../../../src/systems/kafka/harness.js";
import { initProducerIdResponse, TXN_ID, txnHarness } from "./helpers.js";

/**
 * Topic-level min.insync.replicas. A topic may set its own, and `__transaction_state` has
 * transaction.state.log.min.isr (Kafka: 2) whatever the cluster's min.insync.replicas: the
 * coordinator appends its state with acks=all, so with that log's ISR down to its leader a
 * transition cannot be written, and the client is told to retry (NOT_ENOUGH_REPLICAS becomes
 * COORDINATOR_NOT_AVAILABLE for it) instead of being answered from one copy.
 */

/** Cuts the leader of the transactional id's `__transaction_state` partition off from the other brokers and waits until its ISR is the leader alone. */
function isolateTxnLogLeader(h: KafkaHarness): number {
  const node = h.coordinatorNode("TRANSACTION", TXN_ID);
  const leader = Number(node.slice(1));
  const others = ["b1", "b2", "b3"].filter((b) => b !== node);
  h.apply({ kind: "partition", shape: "groups", groups: [[node, "ctl", "script"], others] });
  const partition = h.controller()?.partitions.find((p) => p.topic === TRANSACTION_STATE_TOPIC && p.leader === leader)?.partition ?? -1;
  expect(h.runUntil(() => h.replica(leader, TRANSACTION_STATE_TOPIC, partition)?.isr.length === 1, 20_000), "the txn log ISR shrinks to its leader").toBe(true);
  return leader;
}

/** One Produce of one record to partition 0 of `topic` at b1; the error, or undefined without an answer within `waitMs`. */
function produceTo(h: KafkaHarness, topic: string, acks: -1 | 1, waitMs: number): string | undefined {
  const response = h.call<"ProduceResponse">("b1", { type: "Produce", acks, timeoutMs: 30_000, transactionalId: null, topicData: [{ topic, partition: 0, batch: batchOf([`${topic}-value`]) }] }, waitMs);
  return response?.responses[0]?.error;
}

describe("min.insync.replicas per topic", () => {
  it("__transaction_state needs transaction.state.log.min.isr (2) in-sync replicas even when the cluster's minimum is 1", () => {
    const h = txnHarness({ cluster: { minInsyncReplicas: 1, replicaLagTimeMaxMs: 2000 } });
    isolateTxnLogLeader(h);
    const response = initProducerIdResponse(h);
    expect(response.error).toBe("COORDINATOR_NOT_AVAILABLE");
    expect(h.transactionState(TXN_ID)?.producerEpoch ?? -1, "nothing was written").toBe(-1);
  });

  it("with transactionStateLogMinIsr 1 the coordinator writes to a log held by its leader alone", () => {
    const h = txnHarness({ cluster: { minInsyncReplicas: 1, transactionStateLogMinIsr: 1, replicaLagTimeMaxMs: 2000 } });
    isolateTxnLogLeader(h);
    expect(initProducerIdResponse(h).error).toBe("NONE");
  });

  it("a data topic's own minInsyncReplicas overrides the cluster's: acks=all is taken with the ISR at the topic's minimum", () => {
    const topics = [
      { name: "events", partitions: 1, replicationFactor: 3, minInsyncReplicas: 1 },
      { name: "strict", partitions: 1, replicationFactor: 3, replicaAssignment: [[1, 2, 3]] },
    ];
    const h = txnHarness({ cluster: { minInsyncReplicas: 2, replicaLagTimeMaxMs: 2000, topics } });
    h.apply({ kind: "partition", shape: "groups", groups: [["b1", "ctl", "script"], ["b2", "b3"]] });
    for (const topic of ["events", "strict"]) expect(produceTo(h, topic, -1 as const, 1000)).toBeUndefined();
    expect(h.runUntil(() => ["events", "strict"].every((t) => h.replica(1, t, 0)?.isr.length === 1), 20_000)).toBe(true);
    expect(produceTo(h, "events", -1, 5000)).toBe("NONE");
    expect(produceTo(h, "strict", -1, 5000)).toBe("NOT_ENOUGH_REPLICAS");
  });
});
