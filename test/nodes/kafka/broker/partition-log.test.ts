import { describe, expect, it } from "vitest";
import { Disk } from "../../../../sim/disk.js";
import { Rng } from "../../../../sim/rng.js";
import { PartitionLog } from "../../../../src/nodes/kafka/partition-log.js";
import { lastOffsetOf, type RecordBatch } from "../../../../src/nodes/kafka/protocol.js";

function batch(baseOffset: number, records: number): RecordBatch {
  return {
    baseOffset,
    partitionLeaderEpoch: 0,
    producerId: 1,
    producerEpoch: 0,
    baseSequence: baseOffset,
    isTransactional: false,
    isControl: false,
    records: Array.from({ length: records }, (_, i) => ({ key: null, value: `v${baseOffset + i}`, timestampMs: 0 })),
  };
}

/** The reference: a linear scan for what read and batchAt must return. */
function scanRead(batches: readonly RecordBatch[], from: number, to: number, max: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  let i = batches.findIndex((b) => lastOffsetOf(b) >= from);
  if (i < 0) return out;
  for (; i < batches.length && out.length < max; i++) {
    const b = batches[i] as RecordBatch;
    if (b.baseOffset >= to || lastOffsetOf(b) >= to) break;
    out.push(b);
  }
  return out;
}

describe("PartitionLog reads", () => {
  it("read and batchAt agree with a linear scan at every offset (empty batches included)", () => {
    const rng = new Rng(5);
    for (const size of [0, 1, 2, 3, 7, 40, 300]) {
      const log = new PartitionLog(new Disk(), `t-${size}`, Number.POSITIVE_INFINITY);
      for (let i = 0; i < size; i++) log.append(batch(log.logEndOffset, rng.int(0, 4)));
      const batches = log.allBatches;
      const end = log.logEndOffset;
      for (let from = 0; from <= end + 2; from++) {
        for (const to of [from, from + 1, from + 5, end, end + 3]) {
          expect(log.read(from, to, 1_000)).toEqual(scanRead(batches, from, to, 1_000));
          expect(log.read(from, to, 2)).toEqual(scanRead(batches, from, to, 2));
        }
        const holding = batches.find((b) => b.baseOffset <= from && lastOffsetOf(b) >= from);
        expect(log.batchAt(from)).toBe(holding);
      }
    }
  });
});
