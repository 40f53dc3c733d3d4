import { describe, expect, it } from "vitest";
import { COMMIT_SEED_HEX_DIGITS, describeSeed, parseShard, seedFromCommit, SeedList, SeedSyntaxError } from "../../src/sweep/seeds.js";

const SHA = "3f5a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a";
const seedsOf = (list: SeedList): number[] => [...list].map((item) => item.seed);

describe("seed lists", () => {
  it("A..B is every seed from A to B, both included; N is one seed; commas join lists", () => {
    expect(seedsOf(SeedList.parse("3..7"))).toEqual([3, 4, 5, 6, 7]);
    expect(seedsOf(SeedList.parse("42"))).toEqual([42]);
    expect(seedsOf(SeedList.parse("1..3, 10,20..21"))).toEqual([1, 2, 3, 10, 20, 21]);
    expect(SeedList.parse("0..999999999").size).toBe(1_000_000_000);
    expect(SeedList.parse("0..999999999").at(999_999_999)).toEqual({ seed: 999_999_999 });
  });

  it("a 40-hex commit hash is the seed of its first 13 hex digits, at most Number.MAX_SAFE_INTEGER, and keeps the hash", () => {
    expect(COMMIT_SEED_HEX_DIGITS).toBe(13);
    const seed = seedFromCommit(SHA);
    expect(seed).toBe(parseInt(SHA.slice(0, 13), 16));
    expect(Number.isSafeInteger(seed)).toBe(true);
    expect(seedFromCommit("f".repeat(40))).toBe(2 ** 52 - 1);
    expect(seedFromCommit("f".repeat(40))).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    expect(seedFromCommit(SHA.toUpperCase())).toBe(seed);
    const [item] = [...SeedList.parse(`1,${SHA.toUpperCase()}`)].slice(1);
    expect(item).toEqual({ seed, commit: SHA });
    expect(describeSeed(item as { seed: number; commit: string })).toBe(`seed ${seed} (commit ${SHA})`);
    expect(describeSeed({ seed: 5 })).toBe("seed 5");
  });

  it.each([["", "empty"], ["5..3", "backwards"], ["1..", "half a range"], ["abc", "not a number"], ["1,,2", "an empty item"], ["-1", "negative"], ["9007199254740992", "beyond MAX_SAFE_INTEGER"], [SHA.slice(1), "39 hex digits"]])(
    "rejects %j (%s) with a message naming what it expected",
    (text) => {
      expect(() => SeedList.parse(text)).toThrow(SeedSyntaxError);
      expect(() => SeedList.parse(text)).toThrow(/expected/);
    },
  );
});

describe("shards", () => {
  it("shards 1/3, 2/3 and 3/3 cover the range exactly once", () => {
    for (const text of ["1..100", "1..1", "1..2", "5..10,100,200..203", `1..7,${SHA},9`]) {
      const list = SeedList.parse(text);
      const shards = [1, 2, 3].map((i) => [...list.shard(i, 3)]);
      const union = shards.flat().map((item) => item.seed);
      expect(union.slice().sort((a, b) => a - b)).toEqual(seedsOf(list).sort((a, b) => a - b));
      expect(new Set(union).size).toBe(union.length);
      expect(shards.map((s) => s.length).reduce((a, b) => a + b, 0)).toBe(list.size);
      // Balanced: sizes differ by at most one.
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it("a shard takes every n-th seed from position i-1, the same way every time", () => {
    const list = SeedList.parse("1..10");
    expect(seedsOf(list.shard(1, 3))).toEqual([1, 4, 7, 10]);
    expect(seedsOf(list.shard(2, 3))).toEqual([2, 5, 8]);
    expect(seedsOf(list.shard(3, 3))).toEqual([3, 6, 9]);
    expect(list.shard(2, 3).shardInfo).toEqual({ index: 2, count: 3 });
    expect(seedsOf(SeedList.parse("1..2").shard(3, 3))).toEqual([]);
  });

  it("parses i/n and rejects shards out of range", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    for (const text of ["0/3", "4/3", "1/0", "a/b", "3", "1/3/3"]) expect(() => parseShard(text)).toThrow(/expected a shard i\/n/);
  });
});
