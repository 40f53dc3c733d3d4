/**
 * Seed lists for sweeps: `1..100`, `7`, a 40-hex commit hash, or several of these separated by
 * commas (`1..100,250,<sha>`). Lists stay lazy (a range is two numbers however long it is), and
 * `--shard i/n` takes every n-th position from position i-1, so that n shards cover the list
 * exactly once and each gets a similar mix of seeds.
 */
import { SEED_MAX } from "../scenario/schema.js";

/** A seed to run; `commit` is set when it was given as a commit hash. */
export interface SeedItem {
  readonly seed: number;
  readonly commit?: string;
}

type Segment = { readonly from: number; readonly to: number } | { readonly seed: number; readonly commit: string };

/** Hex digits of a commit hash read as the seed: 13 digits are 52 bits, below Number.MAX_SAFE_INTEGER (2^53 - 1). */
export const COMMIT_SEED_HEX_DIGITS = 13;

/**
 * The seed of a 40-hex commit hash: its first 13 hex digits read as a number (0 .. 2^52 - 1),
 * so that CI can test a new seed on every commit and still name it as an ordinary integer.
 */
export function seedFromCommit(hash: string): number {
  if (!/^[0-9a-fA-F]{40}$/.test(hash)) throw new RangeError(`expected a 40-hex commit hash, found ${JSON.stringify(hash)}`);
  return parseInt(hash.slice(0, COMMIT_SEED_HEX_DIGITS), 16);
}

export class SeedSyntaxError extends Error {}

export class SeedList {
  private constructor(
    private readonly segments: readonly Segment[],
    /** The text it was parsed from (or a description of the shard). */
    readonly text: string,
    private readonly stride: { readonly offset: number; readonly step: number; readonly baseSize: number } | undefined,
  ) {}

  /** Parses `A..B`, `N`, a 40-hex commit hash, or a comma-separated list of them. */
  static parse(text: string): SeedList {
    const items = text.split(",").map((item) => item.trim());
    if (text.trim() === "" || items.some((item) => item === "")) {
      throw new SeedSyntaxError(`expected seeds as A..B, N or a 40-hex commit hash (comma-separated), found ${JSON.stringify(text)}`);
    }
    return new SeedList(items.map(parseItem), text, undefined);
  }

  static of(seeds: readonly number[]): SeedList {
    return new SeedList(
      seeds.map((seed) => ({ from: seed, to: seed })),
      seeds.join(","),
      undefined,
    );
  }

  /** Which shard of its list this is, if it is one. */
  get shardInfo(): { readonly index: number; readonly count: number } | undefined {
    return this.stride === undefined ? undefined : { index: this.stride.offset + 1, count: this.stride.step };
  }

  get size(): number {
    if (this.stride === undefined) return this.baseSize;
    const { offset, step, baseSize } = this.stride;
    return baseSize > offset ? Math.floor((baseSize - offset - 1) / step) + 1 : 0;
  }

  private get baseSize(): number {
    return this.segments.reduce((sum, s) => sum + ("from" in s ? s.to - s.from + 1 : 1), 0);
  }

  /** The item at `position` (0-based). */
  at(position: number): SeedItem {
    if (!Number.isInteger(position) || position < 0 || position >= this.size) throw new RangeError(`no seed at position ${position}`);
    let p = this.stride === undefined ? position : this.stride.offset + position * this.stride.step;
    for (const segment of this.segments) {
      if ("from" in segment) {
        const length = segment.to - segment.from + 1;
        if (p < length) return { seed: segment.from + p };
        p -= length;
      } else {
        if (p === 0) return { seed: segment.seed, commit: segment.commit };
        p -= 1;
      }
    }
    throw new RangeError(`no seed at position ${position}`);
  }

  *[Symbol.iterator](): IterableIterator<SeedItem> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  /** Shard `index` of `count` (1-based): positions index-1, index-1+count, index-1+2·count, … */
  shard(index: number, count: number): SeedList {
    if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 1 || index > count) {
      throw new SeedSyntaxError(`expected a shard i/n with 1 <= i <= n, found ${index}/${count}`);
    }
    if (this.stride !== undefined) throw new Error("a shard of a shard");
    return new SeedList(this.segments, this.text, { offset: index - 1, step: count, baseSize: this.baseSize });
  }
}

function parseItem(item: string): Segment {
  if (/^[0-9a-fA-F]{40}$/.test(item)) return { seed: seedFromCommit(item), commit: item.toLowerCase() };
  const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(item);
  if (range !== null) {
    const from = seedNumber(range[1] as string, item);
    const to = seedNumber(range[2] as string, item);
    if (to < from) throw new SeedSyntaxError(`expected a range A..B with A <= B, found ${JSON.stringify(item)}`);
    return { from, to };
  }
  if (/^\d+$/.test(item)) {
    const seed = seedNumber(item, item);
    return { from: seed, to: seed };
  }
  throw new SeedSyntaxError(`expected A..B, N or a 40-hex commit hash, found ${JSON.stringify(item)}`);
}

function seedNumber(digits: string, item: string): number {
  const value = Number(digits);
  if (!Number.isSafeInteger(value) || value > SEED_MAX) {
    throw new SeedSyntaxError(`expected seeds from 0 to ${SEED_MAX}, found ${JSON.stringify(item)}`);
  }
  return value;
}

/** Parses `i/n` for --shard. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count || !Number.isSafeInteger(count)) {
    throw new SeedSyntaxError(`expected a shard i/n with 1 <= i <= n, found ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/** `seed 123` or `seed 123 (commit 0123abcd…)`: both names of a seed. */
export function describeSeed(item: SeedItem): string {
  return item.commit === undefined ? `seed ${item.seed}` : `seed ${item.seed} (commit ${item.commit})`;
}
