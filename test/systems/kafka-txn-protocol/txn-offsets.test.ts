import { describe, expect, it } from "vitest";
import { GROUP_METADATA_TOPIC } from "../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../../src/nodes/kafka/txn/transaction-log.js";
import type { KafkaHarness } from "../../../src/systems/kafka/harness.js";
import {
  addOffsets,
  endTxn,
  GROUP_ID,
  holdMarkers,
  initProducer,
  initProducerIdResponse,
  offset,
  offsetCommit,
  offsetFetch,
  sendEndTxn,
  tp,
  TXN_ID,
  txnHarness,
  txnOffsetCommit,
  waitForState,
  type Producer,
} from "./helpers.js";

/** facts §1.5: TxnOffsetCommit offsets are pending until the COMMIT marker; require_stable (KIP-447). */

function committedOffsets(h: KafkaHarness): number[] {
  return (h.groupOffsets(GROUP_ID)?.committed ?? []).map((o) => o.offset);
}

function pendingOffsets(h: KafkaHarness, producer: Producer): number[] {
  return (h.groupOffsets(GROUP_ID)?.pendingTxn.get(producer.producerId) ?? []).map((o) => o.offset);
}

/** A TV1 transaction that committed offset 10 for events-0 through AddOffsetsToTxn + TxnOffsetCommit. */
function pendingTxnOffsets(options: { committedBefore?: number } = {}) {
  const h = txnHarness();
  if (options.committedBefore !== undefined) expect(offsetCommit(h, [offset(0, options.committedBefore)])).toEqual(["NONE"]);
  const p = initProducer(h);
  expect(addOffsets(h, p)).toBe("NONE");
  expect(txnOffsetCommit(h, p, [offset(0, 10)])).toEqual(["NONE"]);
  return { h, p };
}

/** JoinGroup (twice, KIP-394) and SyncGroup as the group's only member: its id and generation. */
function joinAsOnlyMember(h: KafkaHarness): { memberId: string; generationId: number } {
  const coordinator = h.coordinatorNode("GROUP", GROUP_ID);
  const join = (memberId: string) =>
    h.call<"JoinGroupResponse">(coordinator, {
      type: "JoinGroup",
      groupId: GROUP_ID,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", topics: ["events"] }],
    });
  const first = join("");
  expect(first?.error).toBe("MEMBER_ID_REQUIRED");
  const joined = join(first?.memberId ?? "");
  expect(joined).toMatchObject({ error: "NONE", leader: first?.memberId });
  const memberId = joined?.memberId ?? "";
  const generationId = joined?.generationId ?? -1;
  const synced = h.call<"SyncGroupResponse">(coordinator, {
    type: "SyncGroup",
    groupId: GROUP_ID,
    generationId,
    memberId,
    groupInstanceId: null,
    assignments: [{ memberId, partitions: [tp(0), tp(1)] }],
  });
  expect(synced?.error).toBe("NONE");
  return { memberId, generationId };
}

describe("AddOffsetsToTxn", () => {
  it("adds the group's __consumer_offsets partition to the transaction", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addOffsets(h, p)).toBe("NONE");
    const offsetsPartition = partitionFor(GROUP_ID, h.cluster.offsetsTopicNumPartitions);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Ongoing", partitions: [tp(offsetsPartition, GROUP_METADATA_TOPIC)] });
  });

  it("a fenced epoch's AddOffsetsToTxn is PRODUCER_FENCED", () => {
    const h = txnHarness();
    const zombie = initProducer(h);
    initProducer(h);
    expect(addOffsets(h, zombie)).toBe("PRODUCER_FENCED");
  });
});

describe("TxnOffsetCommit: pending until the transaction's marker", () => {
  it("the offsets are held pending for the producer, not committed", () => {
    const { h, p } = pendingTxnOffsets();
    expect(pendingOffsets(h, p)).toEqual([10]);
    expect(committedOffsets(h)).toEqual([]);
  });

  it("OffsetFetch with requireStable is UNSTABLE_OFFSET_COMMIT for the pending partition", () => {
    const { h } = pendingTxnOffsets({ committedBefore: 5 });
    const response = offsetFetch(h, [tp(0)], true);
    expect(response.offsets).toEqual([{ topic: "events", partition: 0, offset: -1, error: "UNSTABLE_OFFSET_COMMIT" }]);
  });

  it("OffsetFetch without requireStable answers the last committed offset", () => {
    const { h } = pendingTxnOffsets({ committedBefore: 5 });
    expect(offsetFetch(h, [tp(0)], false).offsets).toEqual([{ topic: "events", partition: 0, offset: 5, error: "NONE" }]);
  });

  it("a partition with no pending offsets is stable", () => {
    const { h } = pendingTxnOffsets();
    expect(offsetFetch(h, [tp(1)], true).offsets).toEqual([{ topic: "events", partition: 1, offset: -1, error: "NONE" }]);
  });

  it("the EndTxn answer alone does not commit them: while the marker is held they stay pending and unstable", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    holdMarkers(h);
    const id = sendEndTxn(h, p, "COMMIT");
    h.runUntil(() => h.response(id) !== undefined);
    expect(h.response(id)).toMatchObject({ error: "NONE" });
    expect(committedOffsets(h)).toEqual([5]);
    expect(offsetFetch(h, [tp(0)], true).offsets[0]?.error).toBe("UNSTABLE_OFFSET_COMMIT");
  });

  it("the COMMIT marker installs them: committed, nothing pending, stable", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    expect(endTxn(h, p, "COMMIT").error).toBe("NONE");
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(committedOffsets(h)).toEqual([10]);
    expect(pendingOffsets(h, p)).toEqual([]);
    expect(offsetFetch(h, [tp(0)], true).offsets).toEqual([{ topic: "events", partition: 0, offset: 10, error: "NONE" }]);
  });

  it("the ABORT marker discards them: the previous committed offset stays", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    expect(endTxn(h, p, "ABORT").error).toBe("NONE");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(committedOffsets(h)).toEqual([5]);
    expect(pendingOffsets(h, p)).toEqual([]);
    expect(offsetFetch(h, [tp(0)], true).offsets).toEqual([{ topic: "events", partition: 0, offset: 5, error: "NONE" }]);
  });

  it("on COMMIT a pending offset replaces the committed one only if its record is later in the log", () => {
    // The plain commit of 7 is appended after the transactional record of 10: it stays.
    const { h, p } = pendingTxnOffsets();
    expect(offsetCommit(h, [offset(0, 7)])).toEqual(["NONE"]);
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    expect(committedOffsets(h)).toEqual([7]);
  });
});

describe("TxnOffsetCommit validation", () => {
  it("a fenced epoch's TxnOffsetCommit is INVALID_PRODUCER_EPOCH and leaves nothing pending", () => {
    const h = txnHarness();
    const zombie = initProducer(h);
    expect(addOffsets(h, zombie)).toBe("NONE");
    // The new producer's InitProducerId fences and aborts the zombie's transaction.
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    initProducer(h);
    expect(txnOffsetCommit(h, zombie, [offset(0, 10)])).toEqual(["INVALID_PRODUCER_EPOCH"]);
    expect(pendingOffsets(h, zombie)).toEqual([]);
  });

  it("a commit naming a member the group does not know is UNKNOWN_MEMBER_ID (KIP-447)", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addOffsets(h, p);
    expect(txnOffsetCommit(h, p, [offset(0, 10)], { generationId: 1, memberId: "ghost" })).toEqual(["UNKNOWN_MEMBER_ID"]);
    expect(pendingOffsets(h, p)).toEqual([]);
  });

  it("a commit from the member's previous generation is ILLEGAL_GENERATION; the current generation's is accepted (KIP-447)", () => {
    const h = txnHarness({ cluster: { groupInitialRebalanceDelayMs: 0 } });
    const member = joinAsOnlyMember(h);
    const p = initProducer(h);
    addOffsets(h, p);
    expect(txnOffsetCommit(h, p, [offset(0, 10)], { generationId: member.generationId - 1, memberId: member.memberId })).toEqual(["ILLEGAL_GENERATION"]);
    expect(txnOffsetCommit(h, p, [offset(0, 10)], { generationId: member.generationId, memberId: member.memberId })).toEqual(["NONE"]);
    expect(pendingOffsets(h, p)).toEqual([10]);
  });

  it("a commit without member information is accepted even while the group has members (pre-KIP-447 clients)", () => {
    const h = txnHarness({ cluster: { groupInitialRebalanceDelayMs: 0 } });
    joinAsOnlyMember(h);
    const p = initProducer(h);
    addOffsets(h, p);
    expect(txnOffsetCommit(h, p, [offset(0, 10)])).toEqual(["NONE"]);
  });

  it("under transaction version 2 TxnOffsetCommit adds the offsets partition itself (no AddOffsetsToTxn)", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2 } });
    const p = initProducer(h);
    expect(txnOffsetCommit(h, p, [offset(0, 10)])).toEqual(["NONE"]);
    const offsetsPartition = partitionFor(GROUP_ID, h.cluster.offsetsTopicNumPartitions);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Ongoing", partitions: [tp(offsetsPartition, GROUP_METADATA_TOPIC)] });
    expect(endTxn(h, p, "COMMIT", 2).error).toBe("NONE");
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(committedOffsets(h)).toEqual([10]);
  });

  it("under transaction version 1 TxnOffsetCommit without AddOffsetsToTxn fails verification and stays out of the log", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(txnOffsetCommit(h, p, [offset(0, 10)])).toEqual(["INVALID_TXN_STATE"]);
    expect(pendingOffsets(h, p)).toEqual([]);
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
  });

  it("under transaction version 2 a fenced epoch's TxnOffsetCommit is INVALID_PRODUCER_EPOCH", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2 } });
    const zombie = initProducer(h);
    initProducer(h);
    expect(txnOffsetCommit(h, zombie, [offset(0, 10)])).toEqual(["INVALID_PRODUCER_EPOCH"]);
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
  });
});

describe("OffsetFetch requireStable and plain commits", () => {
  it("a plain OffsetCommit still being replicated also makes the partition unstable", () => {
    const h = txnHarness();
    const coordinator = h.coordinatorNode("GROUP", GROUP_ID);
    h.apply({ kind: "hold", type: "Fetch", to: coordinator, durationMs: 1000, count: 2 });
    const id = h.send(coordinator, { type: "OffsetCommit", groupId: GROUP_ID, generationId: -1, memberId: "", groupInstanceId: null, offsets: [offset(0, 3)] });
    h.runFor(10);
    expect(h.response(id)).toBeUndefined();
    expect(offsetFetch(h, [tp(0)], true).offsets[0]?.error).toBe("UNSTABLE_OFFSET_COMMIT");
    h.runFor(1500);
    expect(h.response(id)).toMatchObject({ results: [{ error: "NONE" }] });
    expect(offsetFetch(h, [tp(0)], true).offsets).toEqual([{ topic: "events", partition: 0, offset: 3, error: "NONE" }]);
  });
});

describe("group coordinator failover (the offsets are rebuilt from __consumer_offsets)", () => {
  function failOverGroupCoordinator(h: KafkaHarness): boolean {
    const old = h.coordinatorNode("GROUP", GROUP_ID);
    h.apply({ kind: "crash", node: old, loseUnflushed: false });
    return h.runUntil(() => {
      try {
        return h.coordinatorNode("GROUP", GROUP_ID) !== old && h.groupOffsets(GROUP_ID) !== undefined && offsetFetch(h, [tp(1)], true).error === "NONE";
      } catch {
        return false;
      }
    }, 30_000);
  }

  it("pending transactional offsets are still pending (and unstable) at the new coordinator", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    expect(failOverGroupCoordinator(h)).toBe(true);
    expect(pendingOffsets(h, p)).toEqual([10]);
    expect(offsetFetch(h, [tp(0)], true).offsets[0]?.error).toBe("UNSTABLE_OFFSET_COMMIT");
    expect(offsetFetch(h, [tp(0)], false).offsets[0]?.offset).toBe(5);
  });

  it("offsets whose COMMIT marker is in the log are committed at the new coordinator", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    endTxn(h, p, "COMMIT");
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(failOverGroupCoordinator(h)).toBe(true);
    expect(committedOffsets(h)).toEqual([10]);
    expect(pendingOffsets(h, p)).toEqual([]);
  });

  it("offsets whose ABORT marker is in the log stay discarded at the new coordinator", () => {
    const { h, p } = pendingTxnOffsets({ committedBefore: 5 });
    endTxn(h, p, "ABORT");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(failOverGroupCoordinator(h)).toBe(true);
    expect(committedOffsets(h)).toEqual([5]);
    expect(pendingOffsets(h, p)).toEqual([]);
  });
});

