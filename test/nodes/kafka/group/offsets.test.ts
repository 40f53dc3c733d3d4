import { describe, expect, it } from "vitest";
import { GroupOffsets } from "../../../../src/nodes/kafka/group/offsets.js";

const tp = { topic: "input", partition: 0 };
const at = (offset: number) => ({ topicPartition: tp, offsetAndMetadata: { offset, commitTimestampMs: 0 } });
const TV1 = 1;
const TV2 = 2;

describe("pending transactional offsets", () => {
  it("a refused re-commit within one transaction gives back the offset it replaced", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, 0, [at(10)]);
    offsets.onTxnOffsetCommitAppend(7, 0, { ...at(10), appendedBatchOffset: 3 });
    const replaced = offsets.prepareTxnOffsetCommit(7, 0, [at(20)]);
    offsets.failPendingTxnOffsetCommit(7, 0, tp, replaced.get("input-0"));
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(true);
    offsets.completePendingTxnOffsetCommit(7, 0, TV1, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(10);
  });

  it("a failed first commit leaves nothing pending", () => {
    const offsets = new GroupOffsets();
    const replaced = offsets.prepareTxnOffsetCommit(7, 0, [at(20)]);
    offsets.failPendingTxnOffsetCommit(7, 0, tp, replaced.get("input-0"));
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(false);
  });

  it("transaction version 2: the marker of transaction n does not resolve the offsets transaction n + 1 already staged", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, 5, [at(10)]);
    offsets.onTxnOffsetCommitAppend(7, 5, { ...at(10), appendedBatchOffset: 3 });
    // EndTxn answered with epoch 6; the next transaction commits its offsets before the marker lands.
    offsets.prepareTxnOffsetCommit(7, 6, [at(20)]);
    offsets.completePendingTxnOffsetCommit(7, 6, TV2, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(10);
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(true);
    // Transaction n + 1 aborts: its offsets go, the committed offset stays.
    offsets.completePendingTxnOffsetCommit(7, 7, TV2, false);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(10);
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(false);
  });

  it("transaction version 1: the marker resolves the offsets of its own epoch", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, 5, [at(10)]);
    offsets.completePendingTxnOffsetCommit(7, 5, TV1, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(10);
  });

  it("a commit applied by its marker before its append reported back can still be replaced by the producer's next commit", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, 0, [at(10)]);
    offsets.completePendingTxnOffsetCommit(7, 1, TV2, true); // the marker first (KAFKA-17507's window)
    offsets.prepareTxnOffsetCommit(7, 1, [at(20)]);
    offsets.onTxnOffsetCommitAppend(7, 1, { ...at(20), appendedBatchOffset: 9 });
    offsets.completePendingTxnOffsetCommit(7, 2, TV2, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(20);
  });

  it("the late append report of a commit already applied records its log position", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, 0, [at(10)]);
    offsets.completePendingTxnOffsetCommit(7, 1, TV2, true);
    offsets.onTxnOffsetCommitAppend(7, 0, { ...at(10), appendedBatchOffset: 4 });
    expect(offsets.offset(tp)?.appendedBatchOffset).toBe(4);
  });
});
