import { describe, expect, it } from "vitest";
import { BucketSeries, CappedList } from "../../src/report/series.js";

describe("BucketSeries: bounded time series", () => {
  it("keeps at most maxBuckets buckets however many samples come, coarsening by doubling the width", () => {
    const series = new BucketSeries(1000, 50);
    for (let t = 0; t < 10_000_000; t += 700) series.add(t, t % 13);
    expect(series.buckets().length).toBeLessThanOrEqual(50);
    expect(series.widthUs % 1000).toBe(0);
    expect(series.sampleCount).toBe(Math.ceil(10_000_000 / 700));
  });

  it("merging keeps sums, counts, extremes and the first and last values", () => {
    const series = new BucketSeries(10, 4);
    const values = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0];
    values.forEach((v, i) => series.add(i * 10, v));
    const buckets = series.buckets();
    expect(buckets.length).toBeLessThanOrEqual(4);
    expect(buckets.reduce((a, b) => a + b.sum, 0)).toBe(values.reduce((a, b) => a + b, 0));
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(values.length);
    expect(Math.max(...buckets.map((b) => b.max))).toBe(9);
    expect(Math.min(...buckets.map((b) => b.min))).toBe(0);
    expect(buckets[0]?.first).toBe(5);
    expect(buckets[buckets.length - 1]?.last).toBe(0);
    expect(series.lastValue).toBe(0);
  });

  it("gives the same buckets for the same samples", () => {
    const a = new BucketSeries(100, 20);
    const b = new BucketSeries(100, 20);
    for (let t = 0; t < 100_000; t += 37) {
      a.add(t, t % 7);
      b.add(t, t % 7);
    }
    expect(a.buckets()).toEqual(b.buckets());
  });
});

describe("CappedList", () => {
  it("keeps the first `limit` items and counts the rest", () => {
    const list = new CappedList<number>(3);
    for (let i = 0; i < 10; i++) list.push(i);
    expect(list.items).toEqual([0, 1, 2]);
    expect(list.omitted).toBe(7);
    expect(list.total).toBe(10);
  });
});
