import { describe, expect, it } from "vitest";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

/**
 * The fold keeps offsets in array slots (kafka-history.ts, OffsetMap) but must behave as the
 * Maps it replaced: insertion order, lookups, sizes, and ascending known/committed offsets,
 * including for offsets no log would hold (negative, fractional, huge) in hand-made histories.
 */
describe("kafkaHistoryOf offset maps", () => {
  it("iterate acknowledged and read offsets in insertion order, as a Map would", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "c", 0, 7);
    b.sendOk("p1", "t", "a", 0, 2);
    b.sendOk("p2", "t", "b", 0, 7);
    b.poll("c1", records("t", 0, [[5, "x"], [2, "a"], [9, "y"]]));
    const facts = kafkaHistoryOf(b.ops).partitions.get("t-0");
    expect([...(facts?.acks.keys() ?? [])]).toEqual([7, 2]);
    expect([...(facts?.acks ?? [])].map(([offset, acks]) => [offset, acks.map((a) => a.value)])).toEqual([
      [7, ["c", "b"]],
      [2, ["a"]],
    ]);
    expect([...(facts?.observed.values() ?? [])].map((o) => o.map((x) => x.value))).toEqual([["x"], ["a"], ["y"]]);
    const seen: number[] = [];
    facts?.observed.forEach((_, offset) => seen.push(offset));
    expect(seen).toEqual([5, 2, 9]);
    expect(facts?.acks.size).toBe(2);
    expect(facts?.observed.has(9)).toBe(true);
    expect(facts?.observed.has(3)).toBe(false);
    expect(facts?.knownOffsets).toEqual([2, 5, 7, 9]);
  });

  it("sort known and committed offsets ascending whatever their order, odd offsets included", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 3);
    b.poll("c1", records("t", 0, [[1.5, "h"], [-2, "n"], [3, "a"]]), "read_committed");
    b.poll("c1", records("t", 0, [[2 ** 40, "big"], [0, "z"]]));
    const facts = kafkaHistoryOf(b.ops).partitions.get("t-0");
    expect(facts?.knownOffsets).toEqual([-2, 0, 1.5, 3, 2 ** 40]);
    expect(facts?.committedOffsets).toEqual([-2, 1.5, 3]);
    expect(facts?.observed.get(-2)?.[0]?.value).toBe("n");
    expect(facts?.observed.get(2 ** 40)?.[0]?.value).toBe("big");
    expect([...(facts?.observed.keys() ?? [])]).toEqual([1.5, -2, 3, 2 ** 40, 0]);
  });

  it("without odd offsets, the ascending lists come from the slots and agree with a sort", () => {
    const b = new KafkaHistoryBuilder();
    const offsets = [40, 3, 17, 0, 99, 5, 64];
    offsets.forEach((offset, i) => b.sendOk("p1", "t", `v${i}`, 0, offset));
    b.poll("c1", records("t", 0, [[8, "r8"], [3, "v1"], [120, "r120"]]), "read_committed");
    const facts = kafkaHistoryOf(b.ops).partitions.get("t-0");
    expect(facts?.knownOffsets).toEqual([...new Set([...offsets, 8, 3, 120])].sort((x, y) => x - y));
    expect(facts?.committedOffsets).toEqual([3, 8, 120]);
  });
});
