import { describe, expect, it } from "vitest";
import { Rng } from "../../../../sim/rng.js";
import { murmur2, partitionForKey, Partitioner } from "../../../../src/nodes/kafka/client/partitioner.js";

describe("partitioner", () => {
  it("murmur2 matches Kafka's Utils.murmur2 on its test vectors", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(murmur2(bytes("21"))).toBe(-973932308);
    expect(murmur2(bytes("foobar"))).toBe(-790332482);
    expect(murmur2(bytes("a-little-bit-long-string"))).toBe(-985981536);
    expect(murmur2(bytes("a-little-bit-longer-string"))).toBe(-1486304829);
    expect(murmur2(bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"))).toBe(-58897971);
    expect(murmur2(bytes("abc"))).toBe(479470107);
  });

  it("a keyed record goes to toPositive(murmur2(key)) % partitions", () => {
    const partitioner = new Partitioner(new Rng(1), 16);
    expect(partitioner.partition("t", "foobar", 7, [0, 1, 2, 3, 4, 5, 6])).toBe((-790332482 & 0x7fffffff) % 7);
    expect(partitionForKey("foobar", 7)).toBe((-790332482 & 0x7fffffff) % 7);
  });

  it("partitionForKey hashes the UTF-8 bytes of ASCII, non-ASCII and long keys alike", () => {
    const keys = ["", "k", "k7", "abc", "foobar", "x".repeat(200), "clé", "ключ-42", "日本語のキー", "emoji-\u{1F600}", "k3", "x".repeat(70)];
    for (const key of keys) {
      for (const partitions of [1, 3, 7, 64]) {
        expect(partitionForKey(key, partitions)).toBe((murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % partitions);
      }
    }
  });

  it("records without a key stick to one available partition for batch.size records, then move", () => {
    const partitioner = new Partitioner(new Rng(3), 4);
    const chosen = Array.from({ length: 12 }, () => partitioner.partition("t", null, 6, [1, 3, 5]));
    for (let i = 0; i < 12; i += 4) expect(new Set(chosen.slice(i, i + 4)).size).toBe(1);
    expect(chosen.every((p) => [1, 3, 5].includes(p))).toBe(true);
    const again = new Partitioner(new Rng(3), 4);
    expect(Array.from({ length: 12 }, () => again.partition("t", null, 6, [1, 3, 5]))).toEqual(chosen);
  });
});
