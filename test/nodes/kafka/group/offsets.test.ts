import { describe, expect, it } from "vitest";
import { GroupOffsets } from "../../../../src/nodes/kafka/group/offsets.js";

const tp = { topic: "input", partition: 0 };
const at = (offset: number) => ({ topicPartition: tp, offsetAndMetadata: { offset, commitTimestampMs: 0 } });

describe("pending transactional offsets", () => {
  it("a producer's next commit that fails its append gives back the previous transaction's pending offset", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, [at(10)]);
    offsets.onTxnOffsetCommitAppend(7, { ...at(10), appendedBatchOffset: 3 });
    // The next transaction's commit arrives while the previous one waits for its marker, and is refused.
    const replaced = offsets.prepareTxnOffsetCommit(7, [at(20)]);
    offsets.failPendingTxnOffsetCommit(7, tp, replaced.get("input-0"));
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(true);
    offsets.completePendingTxnOffsetCommit(7, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(10);
  });

  it("a failed first commit leaves nothing pending", () => {
    const offsets = new GroupOffsets();
    const replaced = offsets.prepareTxnOffsetCommit(7, [at(20)]);
    offsets.failPendingTxnOffsetCommit(7, tp, replaced.get("input-0"));
    expect(offsets.hasPendingOffsetCommitsForTopicPartition(tp)).toBe(false);
  });

  it("a commit applied by its marker before its append reported back can still be replaced by the producer's next commit", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, [at(10)]);
    offsets.completePendingTxnOffsetCommit(7, true); // the marker first (KAFKA-17507's window)
    offsets.prepareTxnOffsetCommit(7, [at(20)]);
    offsets.onTxnOffsetCommitAppend(7, { ...at(20), appendedBatchOffset: 9 });
    offsets.completePendingTxnOffsetCommit(7, true);
    expect(offsets.offset(tp)?.offsetAndMetadata.offset).toBe(20);
  });

  it("the late append report of a commit already applied records its log position", () => {
    const offsets = new GroupOffsets();
    offsets.prepareTxnOffsetCommit(7, [at(10)]);
    offsets.completePendingTxnOffsetCommit(7, true);
    offsets.onTxnOffsetCommitAppend(7, { ...at(10), appendedBatchOffset: 4 });
    expect(offsets.offset(tp)?.appendedBatchOffset).toBe(4);
  });
});
