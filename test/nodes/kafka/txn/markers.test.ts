import { describe, expect, it } from "vitest";
import { onMarkersWritten } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { markerErrorAction } from "../../../../src/nodes/kafka/txn/markers.js";
import { IllegalTxnStateError } from "../../../../src/nodes/kafka/txn/transaction-metadata.js";
import { CoordinatorDriver, must, TP0, TP1 } from "./helpers.js";

/**
 * WriteTxnMarkers responses at the coordinator (TransactionMarkerRequestCompletionHandler,
 * facts §1.3): written partitions leave the transaction, transient errors resend, fencing errors
 * stop the markers, and Complete* is appended only when nothing is left.
 */

const ID = "txn-a";

function preparing() {
  const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
  const p = c.init(ID);
  c.begin(ID, p, [TP0, TP1]);
  const work = must(c.endTxn(ID, p, "COMMIT").markers);
  return { c, work };
}

describe("marker responses", () => {
  it("classifies errors as Kafka's completion handler does", () => {
    expect(markerErrorAction("NONE")).toBe("written");
    for (const e of ["UNKNOWN_TOPIC_OR_PARTITION", "NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "REQUEST_TIMED_OUT", "KAFKA_STORAGE_ERROR"] as const) {
      expect(markerErrorAction(e)).toBe("retry");
    }
    expect(markerErrorAction("INVALID_PRODUCER_EPOCH")).toBe("abandon");
    expect(markerErrorAction("TRANSACTION_COORDINATOR_FENCED")).toBe("abandon");
    expect(markerErrorAction("UNSUPPORTED_FOR_MESSAGE_FORMAT")).toBe("drop");
    expect(markerErrorAction("CORRUPT_MESSAGE")).toBe("illegal");
  });

  it("a transient error resends that partition's marker and does not complete the transaction", () => {
    const { c, work } = preparing();
    expect(onMarkersWritten(c.cache, work, [{ partition: TP0, error: "NONE" }, { partition: TP1, error: "NOT_LEADER_OR_FOLLOWER" }], c.ctx)).toEqual({ kind: "resend", partitions: [TP1] });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", topicPartitions: [TP1] });
  });

  it("a fencing error stops the markers: the transaction stays in Prepare* with its pending Complete*", () => {
    const { c, work } = preparing();
    expect(onMarkersWritten(c.cache, work, [{ partition: TP0, error: "TRANSACTION_COORDINATOR_FENCED" }], c.ctx)).toMatchObject({ kind: "abandon" });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit" });
  });

  it("an unexpected error is a model error (Kafka: IllegalStateException)", () => {
    const { c, work } = preparing();
    expect(() => onMarkersWritten(c.cache, work, [{ partition: TP0, error: "CORRUPT_MESSAGE" }], c.ctx)).toThrow(IllegalTxnStateError);
  });

  it("the last acknowledgement yields the Complete* append prepared with the markers", () => {
    const { c, work } = preparing();
    onMarkersWritten(c.cache, work, [{ partition: TP0, error: "NONE" }], c.ctx);
    const progress = onMarkersWritten(c.cache, work, [{ partition: TP1, error: "NONE" }], c.ctx);
    expect(progress).toMatchObject({ kind: "append", append: { transit: work.complete, then: { kind: "complete-txn" } } });
  });

  it("a Complete* append that fails with COORDINATOR_NOT_AVAILABLE is retried and keeps its pending state", () => {
    const { c, work } = preparing();
    const completion = must(c.writeMarkers(work, "NOT_ENOUGH_REPLICAS"));
    expect(completion.error).toBe("COORDINATOR_NOT_AVAILABLE");
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit" });
    c.complete(must(completion.retry));
    expect(c.metadata(ID).state).toBe("CompleteCommit");
  });

  it("a Complete* append that fails with NOT_COORDINATOR is given up and its pending state cleared", () => {
    const { c, work } = preparing();
    const completion = must(c.writeMarkers(work, "NOT_LEADER_OR_FOLLOWER"));
    expect(completion).toEqual({ error: "NOT_COORDINATOR" });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", pendingState: null });
  });
});
