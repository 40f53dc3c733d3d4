import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import { markerResultOf } from "../../../../src/nodes/kafka/control-records.js";
import {
  cutOffFollowers,
  produceBatch,
  startedTxnCluster,
  TOPIC,
  txnBatch,
  writeMarker,
  type TxnCluster,
  type TxnClusterOptions,
} from "./protocol-helpers.js";

/**
 * WriteTxnMarkers at the partition leader (facts §1.3, marker validation): the producer epoch
 * and coordinator epoch checks, the control batch, acks=all, and what the marker does to the
 * producer state, the index and the followers.
 */

function cluster(options: TxnClusterOptions = {}): TxnCluster {
  return startedTxnCluster({ ...options, broker: { transactionVersion: 1, transactionPartitionVerificationEnable: false, ...options.broker } });
}

function openTxn(c: TxnCluster, producerId: number, producerEpoch = 0, baseSequence = 0): number {
  const response = produceBatch(c, txnBatch([`p${producerId}e${producerEpoch}s${baseSequence}`], { producerId, producerEpoch, baseSequence }));
  expect(response?.error).toBe("NONE");
  return response?.baseOffset ?? -1;
}

describe("marker validation", () => {
  it("a marker below the producer's epoch is refused with INVALID_PRODUCER_EPOCH and not written", () => {
    const c = cluster();
    openTxn(c, 100, 3);
    const end = c.leaderReplica().log.logEndOffset;
    expect(writeMarker(c, "ABORT", { producerId: 100, producerEpoch: 2 })).toBe("INVALID_PRODUCER_EPOCH");
    expect(c.leaderReplica().log.logEndOffset).toBe(end);
    expect(c.leaderReplica().producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(true);
  });

  it("a marker from an older coordinator epoch is refused with TRANSACTION_COORDINATOR_FENCED", () => {
    const c = cluster();
    openTxn(c, 100);
    expect(writeMarker(c, "COMMIT", { producerId: 100, coordinatorEpoch: 5 })).toBe("NONE");
    openTxn(c, 100, 0, 1);
    expect(writeMarker(c, "ABORT", { producerId: 100, coordinatorEpoch: 4 })).toBe("TRANSACTION_COORDINATOR_FENCED");
    expect(c.leaderReplica().producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(true);
    expect(writeMarker(c, "ABORT", { producerId: 100, coordinatorEpoch: 5 })).toBe("NONE");
  });

  it("under transaction version 2 a marker must carry an epoch above the producer's (KIP-1228)", () => {
    const c = cluster();
    openTxn(c, 100, 4);
    expect(writeMarker(c, "COMMIT", { producerId: 100, producerEpoch: 4, transactionVersion: 2 })).toBe("INVALID_PRODUCER_EPOCH");
    expect(writeMarker(c, "COMMIT", { producerId: 100, producerEpoch: 5, transactionVersion: 2 })).toBe("NONE");
    expect(c.leaderReplica().producers.entry(100)?.producerEpoch).toBe(5);
  });

  it("under transaction version 2 a retried marker (same epoch, transaction already ended) is accepted (KAFKA-19999)", () => {
    const c = cluster();
    openTxn(c, 100, 4);
    expect(writeMarker(c, "COMMIT", { producerId: 100, producerEpoch: 5, transactionVersion: 2 })).toBe("NONE");
    expect(writeMarker(c, "COMMIT", { producerId: 100, producerEpoch: 5, transactionVersion: 2 })).toBe("NONE");
  });

  it("a follower refuses markers with NOT_LEADER_OR_FOLLOWER", () => {
    const c = cluster();
    openTxn(c, 100);
    const follower = c.brokerIds.find((id) => id !== c.leaderOf()) as number;
    expect(writeMarker(c, "COMMIT", { producerId: 100, to: `b${follower}` })).toBe("NOT_LEADER_OR_FOLLOWER");
  });
});

describe("marker append", () => {
  it("writes a control batch with the producer's id and epoch, no sequence and the coordinator epoch, and traces txn.marker", () => {
    const c = cluster();
    const markers: Record<string, unknown>[] = [];
    c.sim.trace.listen((r) => {
      if (r.kind === "txn.marker") markers.push({ ...r.fields });
    });
    const first = openTxn(c, 100, 2);
    expect(writeMarker(c, "ABORT", { producerId: 100, producerEpoch: 2, coordinatorEpoch: 7 })).toBe("NONE");
    const batch = c.leaderReplica().log.batchAt(1);
    expect(batch).toMatchObject({ isControl: true, isTransactional: true, producerId: 100, producerEpoch: 2, baseSequence: -1 });
    expect(batch === undefined ? undefined : markerResultOf(batch)).toBe("ABORT");
    expect(c.leaderReplica().producers.entry(100)?.coordinatorEpoch).toBe(7);
    expect(markers).toEqual([{ topic: TOPIC, partition: 0, result: "ABORT", producerId: 100, epoch: 2, offset: 1, firstOffset: first }]);
  });

  it("a marker for a producer with no open transaction is still written and raises its epoch", () => {
    const c = cluster();
    const response = produceBatch(c, txnBatch(["plain"], { producerId: 100, producerEpoch: 0, baseSequence: 0, transactional: false }));
    expect(response?.error).toBe("NONE");
    expect(writeMarker(c, "ABORT", { producerId: 100, producerEpoch: 1 })).toBe("NONE");
    expect(c.leaderReplica().log.logEndOffset).toBe(2);
    expect(c.leaderReplica().transactionIndex.all).toEqual([]);
    const late = produceBatch(c, txnBatch(["late"], { producerId: 100, producerEpoch: 0, baseSequence: 1, transactional: false }));
    expect(late?.error).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("is answered only once the HW passes it (acks=all)", () => {
    const c = cluster({ minInsyncReplicas: 2 });
    openTxn(c, 100);
    cutOffFollowers(c);
    const id = c.send(c.leaderNode(), {
      type: "WriteTxnMarkers",
      markers: [{ producerId: 100, producerEpoch: 0, coordinatorEpoch: 0, result: "COMMIT", transactionVersion: 1, partitions: [{ topic: TOPIC, partition: 0 }] }],
    });
    c.runFor(1000);
    expect(c.leaderReplica().log.logEndOffset).toBe(2);
    expect(c.response(id)).toBeUndefined();
    c.apply({ kind: "heal" });
    expect(c.runUntil(() => c.response(id) !== undefined, 10_000)).toBe(true);
    expect(c.response<"WriteTxnMarkersResponse">(id)?.markers).toEqual([{ producerId: 100, partitions: [{ topic: TOPIC, partition: 0, error: "NONE" }] }]);
  });

  it("is replicated: followers end the transaction and index the abort too", () => {
    const c = cluster();
    openTxn(c, 100);
    writeMarker(c, "ABORT", { producerId: 100 });
    expect(c.waitForReplication()).toBe(true);
    for (const id of c.brokerIds) {
      const replica = c.replica(id);
      expect(replica?.producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(false);
      expect(replica?.transactionIndex.all).toMatchObject([{ producerId: 100, firstOffset: 0, lastOffset: 1 }]);
      expect(replica?.lastStableOffset).toBe(2);
    }
  });
});

describe("transactional produce", () => {
  it("a non-transactional batch while the producer has a transaction open here gets INVALID_TXN_STATE", () => {
    const c = cluster();
    openTxn(c, 100);
    const plain = produceBatch(c, txnBatch(["plain"], { producerId: 100, baseSequence: 1, transactional: false }));
    expect(plain?.error).toBe("INVALID_TXN_STATE");
    expect(c.leaderReplica().log.logEndOffset).toBe(1);
  });

  it("the first transactional batch starts the transaction at its offset; later ones do not move it", () => {
    const c = cluster();
    const first = openTxn(c, 100);
    openTxn(c, 100, 0, 1);
    expect(c.leaderReplica().producers.entry(100)?.currentTxnFirstOffset).toBe(first);
  });
});

describe("bug switches", () => {
  it(`${KAFKA_BUGS.noMarkerEpochCheck}: a marker from an old epoch ends the current transaction`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noMarkerEpochCheck]]) {
      const c = cluster({ bugs });
      openTxn(c, 100, 3);
      expect(writeMarker(c, "ABORT", { producerId: 100, producerEpoch: 2 })).toBe(bugs.length === 0 ? "INVALID_PRODUCER_EPOCH" : "NONE");
      expect(c.leaderReplica().producers.ongoingTransactions.some((t) => t.producerId === 100)).toBe(bugs.length === 0);
    }
  });

  it(`${KAFKA_BUGS.noCoordinatorEpochCheck}: a marker from a deposed coordinator is written`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noCoordinatorEpochCheck]]) {
      const c = cluster({ bugs });
      openTxn(c, 100);
      writeMarker(c, "COMMIT", { producerId: 100, coordinatorEpoch: 5 });
      openTxn(c, 100, 0, 1);
      expect(writeMarker(c, "ABORT", { producerId: 100, coordinatorEpoch: 4 })).toBe(bugs.length === 0 ? "TRANSACTION_COORDINATOR_FENCED" : "NONE");
    }
  });
});
