import { describe, it, expect } from "vitest";
import { Rng } from "../../sim/rng.js";

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.next());
}

describe("Rng", () => {
  it("gives the same stream for the same seed", () => {
    expect(draws(new Rng(7), 100)).toEqual(draws(new Rng(7), 100));
  });

  it("gives different streams for different seeds", () => {
    expect(draws(new Rng(7), 10)).not.toEqual(draws(new Rng(8), 10));
  });

  it("fork(label) depends only on the seed path and the label, not on draws made by the parent", () => {
    const fresh = new Rng(7);
    const used = new Rng(7);
    draws(used, 1000);
    expect(draws(used.fork("broker-1"), 50)).toEqual(draws(fresh.fork("broker-1"), 50));
  });

  it("forking does not advance the parent stream", () => {
    const forked = new Rng(7);
    forked.fork("a");
    forked.fork("b").next();
    expect(draws(forked, 20)).toEqual(draws(new Rng(7), 20));
  });

  it("forks with different labels give different streams", () => {
    const rng = new Rng(7);
    expect(draws(rng.fork("a"), 10)).not.toEqual(draws(rng.fork("b"), 10));
  });

  it("a fork differs from its parent and from the same label under another seed", () => {
    expect(draws(new Rng(7).fork("a"), 10)).not.toEqual(draws(new Rng(7), 10));
    expect(draws(new Rng(7).fork("a"), 10)).not.toEqual(draws(new Rng(8).fork("a"), 10));
  });

  it("nested forks follow the seed path", () => {
    const a = new Rng(3).fork("x").fork("y");
    const b = new Rng(3).fork("x").fork("y");
    expect(a.seedPath).toBe("3/x/y");
    expect(draws(a, 10)).toEqual(draws(b, 10));
    expect(draws(new Rng(3).fork("y").fork("x"), 10)).not.toEqual(draws(new Rng(3).fork("x").fork("y"), 10));
  });

  it("int(min, max) stays within bounds and reaches both ends (inclusive)", () => {
    const rng = new Rng(11);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(-2, 3);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThanOrEqual(3);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it("int(n, n) is always n; int with max < min throws", () => {
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) expect(rng.int(5, 5)).toBe(5);
    expect(() => rng.int(5, 4)).toThrow(RangeError);
  });

  it("next() is in [0, 1) and uint32() is an unsigned 32-bit integer", () => {
    const rng = new Rng(2);
    for (let i = 0; i < 1000; i++) {
      const f = rng.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const u = rng.uint32();
      expect(Number.isInteger(u)).toBe(true);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(2 ** 32);
    }
  });

  it("chance(0) is never true and chance(1) is always true", () => {
    const rng = new Rng(4);
    for (let i = 0; i < 500; i++) {
      expect(rng.chance(0)).toBe(false);
      expect(rng.chance(1)).toBe(true);
    }
  });

  it("shuffle returns a permutation and leaves its input untouched", () => {
    const input = Array.from({ length: 20 }, (_, i) => i);
    const copy = input.slice();
    const out = new Rng(5).shuffle(input);
    expect(input).toEqual(copy);
    expect(out).not.toEqual(input);
    expect([...out].sort((a, b) => a - b)).toEqual(input);
    expect(new Rng(5).shuffle(input)).toEqual(out);
  });

  it("pick returns an element of the list and throws on an empty list", () => {
    const rng = new Rng(6);
    const items = ["a", "b", "c"];
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(rng.pick(items));
    expect([...seen].sort()).toEqual(items);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});
