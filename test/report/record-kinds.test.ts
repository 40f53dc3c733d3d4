import { describe, expect, it } from "vitest";
import { isReportKind, parseReportRecord, RECORD_KINDS } from "../../src/report/record-kinds.js";

describe("report record kinds: the contract between actors and the report", () => {
  it("parses each kind with its documented fields", () => {
    expect(parseReportRecord({ kind: "txn.state", fields: { txnId: "t1", state: "Ongoing", producerId: 3, epoch: 1 } })).toEqual({
      kind: "txn.state",
      txnId: "t1",
      state: "Ongoing",
      producerId: 3,
      epoch: 1,
      reason: undefined,
    });
    expect(parseReportRecord({ kind: "txn.marker", fields: { topic: "o", partition: 0, result: "ABORT", producerId: 3, epoch: 1, offset: 9, firstOffset: 4 } })).toMatchObject({
      kind: "txn.marker",
      result: "ABORT",
      offset: 9,
      firstOffset: 4,
    });
    expect(parseReportRecord({ kind: "partition.leader", fields: { topic: "o", partition: 2, leader: "" } })).toMatchObject({ leader: "" });
    expect(parseReportRecord({ kind: "partition.leader", fields: { topic: "o", partition: 2, leader: null } })).toMatchObject({ leader: "" });
    expect(parseReportRecord({ kind: "partition.offsets", fields: { topic: "o", partition: 0, leo: 5, hw: 4 } })).toMatchObject({ leo: 5, hw: 4, lso: undefined });
    expect(parseReportRecord({ kind: "consumer.records", fields: { group: "g", topic: "o", partition: 0, count: 3, position: 8 } })).toMatchObject({ count: 3, position: 8 });
    expect(parseReportRecord({ kind: "offset.commit", fields: { group: "g", latencyUs: 1200, transactional: true } })).toMatchObject({ latencyUs: 1200, transactional: true });
    expect(parseReportRecord({ kind: "metric.queue-depth", fields: { value: 4, unit: "requests" } })).toEqual({ kind: "metric", name: "queue-depth", value: 4, unit: "requests" });
  });

  it("rejects records with missing or mistyped required fields", () => {
    expect(parseReportRecord({ kind: "txn.state", fields: { txnId: "t1", state: "Ongoing", producerId: "3", epoch: 1 } })).toBeUndefined();
    expect(parseReportRecord({ kind: "txn.marker", fields: { topic: "o", partition: 0, result: "MAYBE", producerId: 3, epoch: 1, offset: 9 } })).toBeUndefined();
    expect(parseReportRecord({ kind: "partition.offsets", fields: { topic: "o", partition: 0 } })).toBeUndefined();
    expect(parseReportRecord({ kind: "metric.x", fields: { value: Number.NaN } })).toBeUndefined();
    expect(parseReportRecord({ kind: "partition.offsets", fields: undefined })).toBeUndefined();
  });

  it("knows its own kinds and nothing else", () => {
    for (const kind of [RECORD_KINDS.txnState, RECORD_KINDS.txnMarker, RECORD_KINDS.partitionLeader, RECORD_KINDS.partitionOffsets, RECORD_KINDS.consumerRecords, RECORD_KINDS.offsetCommit, "metric.a"]) {
      expect(isReportKind(kind)).toBe(true);
    }
    for (const kind of ["metric.", "net.send", "txn.other", "fault"]) expect(isReportKind(kind)).toBe(false);
    expect(parseReportRecord({ kind: "net.send", fields: { to: "a" } })).toBeUndefined();
  });
});
