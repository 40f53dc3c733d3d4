/**
 * Per-record trace fingerprints: the trace's running hash after every record, as two 32-bit
 * words per record. Two runs are the same run iff their fingerprints agree; the first index
 * where they differ names the first divergent record. Recorded through a trace listener.
 */
import type { TraceListener, TraceRecord } from "../../sim/trace.js";
import { traceRecordToJson } from "../../sim/trace.js";

/** Records the running hash after every record; optionally keeps the records themselves. */
export class TraceFingerprint {
  private words = new Uint32Array(2 * 4096);
  private recordCount = 0;
  private readonly kept: TraceRecord[] | undefined;

  constructor(options: { keepRecords?: boolean } = {}) {
    this.kept = options.keepRecords ? [] : undefined;
  }

  readonly listener: TraceListener = (record, hash) => {
    if (2 * this.recordCount + 2 > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[2 * this.recordCount] = parseInt(hash.slice(0, 8), 16);
    this.words[2 * this.recordCount + 1] = parseInt(hash.slice(8, 16), 16);
    this.recordCount++;
    this.kept?.push(record);
  };

  get count(): number {
    return this.recordCount;
  }

  /** The fingerprint words, two per record (a copy that can be transferred to a worker). */
  toWords(): Uint32Array {
    return this.words.slice(0, 2 * this.recordCount);
  }

  hashAt(index: number): string {
    return hex32(this.words[2 * index] ?? 0) + hex32(this.words[2 * index + 1] ?? 0);
  }

  /** Record `index` as a JSONL trace line, or null when there is none (or records are not kept). */
  recordJson(index: number): string | null {
    const record = this.kept?.[index];
    return record === undefined ? null : traceRecordToJson(record, this.hashAt(index));
  }
}

/** Where a run left an expected fingerprint: the index and this run's record there (null: its trace ended first). */
export interface Divergence {
  readonly index: number;
  readonly record: string | null;
}

/** Compares a run's records, as they happen, with an expected fingerprint; remembers the first difference. */
export class FingerprintComparer {
  private recordCount = 0;
  private found: Divergence | undefined;

  constructor(private readonly expected: Uint32Array) {}

  readonly listener: TraceListener = (record, hash) => {
    const index = this.recordCount++;
    if (this.found !== undefined) return;
    const sameAsExpected =
      2 * index + 1 < this.expected.length &&
      this.expected[2 * index] === parseInt(hash.slice(0, 8), 16) &&
      this.expected[2 * index + 1] === parseInt(hash.slice(8, 16), 16);
    if (!sameAsExpected) this.found = { index, record: traceRecordToJson(record, hash) };
  };

  /** The first divergence, once the run is over (a shorter trace diverges where it ended). */
  divergence(): Divergence | undefined {
    if (this.found !== undefined) return this.found;
    const expectedCount = this.expected.length / 2;
    return this.recordCount < expectedCount ? { index: this.recordCount, record: null } : undefined;
  }
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
