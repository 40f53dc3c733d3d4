import type { Rng } from "../../../../sim/rng.js";

/**
 * Kafka's murmur2 (Utils.murmur2: seed 0x9747b28c, 4-byte little-endian blocks) over the
 * UTF-8 bytes of the key, so a key lands on the partition the Java client would choose.
 */
export function murmur2(data: Uint8Array): number {
  return murmur2Prefix(data, data.length);
}

/** murmur2 of the first `length` bytes of `data`. */
function murmur2Prefix(data: Uint8Array, length: number): number {
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k = ((data[o] as number) & 0xff) | (((data[o + 1] as number) & 0xff) << 8) | (((data[o + 2] as number) & 0xff) << 16) | (((data[o + 3] as number) & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = blocks * 4;
  const rest = length & 3;
  if (rest === 3) h ^= ((data[tail + 2] as number) & 0xff) << 16;
  if (rest >= 2) h ^= ((data[tail + 1] as number) & 0xff) << 8;
  if (rest >= 1) {
    h ^= (data[tail] as number) & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();
/** Reused for ASCII keys, whose UTF-8 bytes are their char codes: no encoder call, no allocation per record. */
let asciiBytes = new Uint8Array(64);

/** Utils.toPositive(murmur2(key)) % numPartitions. */
export function partitionForKey(key: string, numPartitions: number): number {
  const length = key.length;
  if (length > asciiBytes.length) asciiBytes = new Uint8Array(Math.max(length, 2 * asciiBytes.length));
  for (let i = 0; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0x80) return (murmur2(encoder.encode(key)) & 0x7fffffff) % numPartitions;
    asciiBytes[i] = code;
  }
  return (murmur2Prefix(asciiBytes, length) & 0x7fffffff) % numPartitions;
}

/**
 * Chooses partitions for records without one (Java's BuiltInPartitioner, KIP-794, without
 * adaptive weighting): a keyed record goes to murmur2(key) % partitions; a record without a key
 * sticks to one partition until batch.size records went there, then a new sticky partition is
 * drawn uniformly (seeded) among the partitions that have a leader.
 */
export class Partitioner {
  private readonly sticky = new Map<string, { partition: number; produced: number }>();

  constructor(
    private readonly rng: Rng,
    private readonly stickyBatchSizeRecords: number,
  ) {}

  /** `available`: partitions of the topic with a known leader (all of them if empty). */
  partition(topic: string, key: string | null, numPartitions: number, available: readonly number[]): number {
    if (key !== null) return partitionForKey(key, numPartitions);
    let entry = this.sticky.get(topic);
    if (entry === undefined || entry.produced >= this.stickyBatchSizeRecords || entry.partition >= numPartitions) {
      const choices = available.length > 0 ? available : Array.from({ length: numPartitions }, (_, i) => i);
      entry = { partition: this.rng.pick(choices), produced: 0 };
      this.sticky.set(topic, entry);
    }
    entry.produced++;
    return entry.partition;
  }
}
