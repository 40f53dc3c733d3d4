import type { SimTimeUs } from "../../sim/time.js";

/** One bucket of a series: every sample whose time falls in [startUs, startUs + widthUs). */
export interface Bucket {
  readonly startUs: SimTimeUs;
  readonly first: number;
  readonly last: number;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly count: number;
}

/**
 * A time series with bounded memory: samples (in non-decreasing time) are aggregated into
 * buckets of `widthUs`; when there are more than `maxBuckets`, the width doubles and neighbours
 * merge. So a series of any length keeps at most `maxBuckets` buckets, at the finest resolution
 * that fits, and the same samples always give the same buckets.
 */
export class BucketSeries {
  private width: SimTimeUs;
  private readonly starts: number[] = [];
  private readonly firsts: number[] = [];
  private readonly lasts: number[] = [];
  private readonly mins: number[] = [];
  private readonly maxs: number[] = [];
  private readonly sums: number[] = [];
  private readonly counts: number[] = [];
  private samples = 0;

  constructor(
    initialWidthUs: SimTimeUs,
    private readonly maxBuckets = 400,
  ) {
    this.width = Math.max(1, Math.round(initialWidthUs));
  }

  get widthUs(): SimTimeUs {
    return this.width;
  }

  get sampleCount(): number {
    return this.samples;
  }

  get isEmpty(): boolean {
    return this.samples === 0;
  }

  /** The last value added, or undefined. */
  get lastValue(): number | undefined {
    return this.lasts[this.lasts.length - 1];
  }

  add(timeUs: SimTimeUs, value: number): void {
    this.samples++;
    const start = Math.floor(timeUs / this.width) * this.width;
    const i = this.starts.length - 1;
    if (i >= 0 && (this.starts[i] as number) === start) {
      this.lasts[i] = value;
      if (value < (this.mins[i] as number)) this.mins[i] = value;
      if (value > (this.maxs[i] as number)) this.maxs[i] = value;
      this.sums[i] = (this.sums[i] as number) + value;
      this.counts[i] = (this.counts[i] as number) + 1;
      return;
    }
    this.starts.push(start);
    this.firsts.push(value);
    this.lasts.push(value);
    this.mins.push(value);
    this.maxs.push(value);
    this.sums.push(value);
    this.counts.push(1);
    if (this.starts.length > this.maxBuckets) this.coarsen();
  }

  buckets(): Bucket[] {
    return this.starts.map((startUs, i) => ({
      startUs,
      first: this.firsts[i] as number,
      last: this.lasts[i] as number,
      min: this.mins[i] as number,
      max: this.maxs[i] as number,
      sum: this.sums[i] as number,
      count: this.counts[i] as number,
    }));
  }

  /** Doubles the bucket width and merges the buckets that now share a start. */
  private coarsen(): void {
    this.width *= 2;
    let out = -1;
    for (let i = 0; i < this.starts.length; i++) {
      const start = Math.floor((this.starts[i] as number) / this.width) * this.width;
      if (out >= 0 && this.starts[out] === start) {
        this.lasts[out] = this.lasts[i] as number;
        this.mins[out] = Math.min(this.mins[out] as number, this.mins[i] as number);
        this.maxs[out] = Math.max(this.maxs[out] as number, this.maxs[i] as number);
        this.sums[out] = (this.sums[out] as number) + (this.sums[i] as number);
        this.counts[out] = (this.counts[out] as number) + (this.counts[i] as number);
        continue;
      }
      out++;
      this.starts[out] = start;
      this.firsts[out] = this.firsts[i] as number;
      this.lasts[out] = this.lasts[i] as number;
      this.mins[out] = this.mins[i] as number;
      this.maxs[out] = this.maxs[i] as number;
      this.sums[out] = this.sums[i] as number;
      this.counts[out] = this.counts[i] as number;
    }
    const length = out + 1;
    for (const array of [this.starts, this.firsts, this.lasts, this.mins, this.maxs, this.sums, this.counts]) array.length = length;
    if (this.starts.length > this.maxBuckets) this.coarsen();
  }
}

/** Keeps the first `limit` items and counts the rest. */
export class CappedList<T> {
  readonly items: T[] = [];
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(item: T): void {
    if (this.items.length < this.limit) this.items.push(item);
    else this.dropped++;
  }

  get omitted(): number {
    return this.dropped;
  }

  get total(): number {
    return this.items.length + this.dropped;
  }
}
