import { describe, expect, it } from "vitest";
import { GROUP_BUG_DESCRIPTIONS, GROUP_BUGS } from "../../../../src/nodes/kafka/group/bugs.js";
import { GroupBed, GROUP, GROUP_PARTITION, T0P0 } from "./helpers.js";

/** Each group-coordinator bug switch turns off exactly its guard (the guarded behaviour is in the other tests). */

const PID = 4000;
const at = (offset: number) => [{ ...T0P0, offset }];

describe("group bug switches", () => {
  it("every switch has a description", () => {
    expect(Object.keys(GROUP_BUG_DESCRIPTIONS).sort()).toEqual(Object.values(GROUP_BUGS).sort());
  });

  it("offsets-outside-txn: a TxnOffsetCommit is committed at once and an ABORT does not take it back", () => {
    const bed = new GroupBed({ bugs: [GROUP_BUGS.offsetsOutsideTxn] });
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, at(10));
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
    bed.marker(GROUP_PARTITION, PID, "ABORT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 10 }]);
    expect(bed.appends.at(-1)?.isTransactional).toBeUndefined();
  });

  it("no-require-stable: OffsetFetch with requireStable returns the committed offset while a transactional one is pending", () => {
    const bed = new GroupBed({ bugs: [GROUP_BUGS.noRequireStable] });
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, at(10));
    expect(bed.offsetFetch([T0P0], true).offsets).toEqual([{ ...T0P0, offset: 5, error: "NONE" }]);
  });

  it("no-generation-check: the zombie of an old generation commits offsets, plain and transactional", () => {
    const bed = new GroupBed({ bugs: [GROUP_BUGS.noGenerationCheck] });
    const { leader, generationId } = bed.stableGroupOfTwo();
    expect(bed.offsetCommit("c1", at(3), { memberId: leader, generationId: generationId - 1 })).toEqual(["NONE"]);
    expect(bed.txnOffsetCommit(PID, at(10), { memberId: "gone-1-0", generationId: generationId - 1 })).toEqual(["NONE"]);
    bed.marker(GROUP_PARTITION, PID, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 10 }]);
  });
});
