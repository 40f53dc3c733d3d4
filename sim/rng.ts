import seedrandom from "seedrandom";

/**
 * A seeded random stream. `fork(label)` derives a child whose stream depends only
 * on this stream's seed path and the label, never on how many draws happened
 * before: adding a component does not shift anybody else's randomness.
 */
export class Rng {
  readonly seedPath: string;
  private readonly prng: seedrandom.PRNG;

  constructor(seed: number | string) {
    this.seedPath = String(seed);
    this.prng = seedrandom.alea(this.seedPath);
  }

  fork(label: string): Rng {
    return new Rng(`${this.seedPath}/${label}`);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (max < min) throw new RangeError(`Rng.int: max ${max} < min ${min}`);
    return min + Math.floor(this.prng() * (max - min + 1));
  }

  /** A 32-bit unsigned integer. */
  uint32(): number {
    return this.prng.int32() >>> 0;
  }

  chance(probability: number): boolean {
    return probability > 0 && this.prng() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Rng.pick: empty list");
    return items[Math.floor(this.prng() * items.length)] as T;
  }

  /** Fisher-Yates; returns a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Standard normal draw (Box-Muller). */
  normal(mean: number, stddev: number): number {
    const u1 = 1 - this.prng();
    const u2 = this.prng();
    return mean + stddev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng());
  }
}
