import { describe, expect, it } from "vitest";
import { ddmin } from "../../src/shrink/ddmin.js";

describe("delta debugging", () => {
  const contains = (needed: readonly number[]) => (subset: readonly number[]) => needed.every((n) => subset.includes(n));

  it("finds the failure-inducing items among many", () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    expect(ddmin(items, contains([7, 31]))).toEqual([7, 31]);
    expect(ddmin(items, contains([0]))).toEqual([0]);
    expect(ddmin(items, contains([3, 4, 5, 39]))).toEqual([3, 4, 5, 39]);
  });

  it("returns the empty list when the failure needs none of the items, trying that first", () => {
    const tried: number[][] = [];
    const result = ddmin([1, 2, 3], (subset) => {
      tried.push([...subset]);
      return true;
    });
    expect(result).toEqual([]);
    expect(tried).toEqual([[]]);
  });

  it("keeps everything when every item is needed, and the result is 1-minimal", () => {
    expect(ddmin([1, 2, 3, 4, 5], contains([1, 2, 3, 4, 5]))).toEqual([1, 2, 3, 4, 5]);
    // Fails when at least two odd numbers are present: the result has exactly two, and dropping either passes.
    const fails = (subset: readonly number[]) => subset.filter((n) => n % 2 === 1).length >= 2;
    const result = ddmin(Array.from({ length: 20 }, (_, i) => i), fails);
    expect(result).toHaveLength(2);
    for (const item of result) expect(fails(result.filter((x) => x !== item))).toBe(false);
  });

  it("keeps the items' order and never tests the same subset twice", () => {
    const seen = new Set<string>();
    const result = ddmin(Array.from({ length: 16 }, (_, i) => i), (subset) => {
      const key = subset.join(",");
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      return subset.includes(12) && subset.includes(2);
    });
    expect(result).toEqual([2, 12]);
  });
});
