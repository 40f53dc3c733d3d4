import type { SimTimeUs } from "./time.js";

/** A field value in a trace record. Numbers are folded by their exact bits, never as float strings. */
export type TraceValue = number | string | boolean | null | undefined;
export type TraceFields = Readonly<Record<string, TraceValue>>;

export interface TraceRecord {
  readonly index: number;
  readonly timeUs: SimTimeUs;
  readonly kind: string;
  readonly node: string;
  readonly fields: TraceFields | undefined;
}

/** Receives every record with the running hash after it was folded in. */
export type TraceListener = (record: TraceRecord, hash: string) => void;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const MURMUR_M = 0x5bd1e995;
const TWO_POW_32 = 2 ** 32;
const floatBits = new Float64Array(1);
const floatWords = new Uint32Array(floatBits.buffer);

/**
 * The run's trace: every send, delivery, drop, timer, fault and state transition is one
 * record folded into a running 64-bit hash (two 32-bit lanes, FNV-1a and a murmur-style mix).
 * Records are not kept unless a listener keeps them, so memory stays bounded on long runs.
 */
export class Trace {
  // Both lanes are kept as int32 (`| 0`): the seeds as written exceed int32, which would make
  // V8 store the fields as doubles and box a number on every fold (about 5x slower). Every
  // use goes through `^` or `>>> 0`, so the hash is the same either way.
  private h1 = FNV_OFFSET | 0;
  private h2 = 0x9747b28c | 0;
  private recordCount = 0;
  private readonly interned = new Map<string, number>();
  private readonly listeners: TraceListener[] = [];

  get count(): number {
    return this.recordCount;
  }

  get hash(): string {
    return hex32(this.h1) + hex32(this.h2);
  }

  listen(listener: TraceListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  record(timeUs: SimTimeUs, kind: string, node: string, fields?: TraceFields): number {
    const index = this.recordCount++;
    this.foldNumber(timeUs);
    this.foldWord(this.intern(kind));
    this.foldWord(this.intern(node));
    if (fields !== undefined) {
      for (const key in fields) {
        this.foldWord(this.intern(key));
        this.foldValue(fields[key]);
      }
    }
    if (this.listeners.length > 0) {
      const record: TraceRecord = { index, timeUs, kind, node, fields };
      const hash = this.hash;
      for (const listener of this.listeners) listener(record, hash);
    }
    return index;
  }

  /**
   * Same as `record(timeUs, kind, node, { [key]: value })` (same hash, same record for
   * listeners) without allocating the fields object unless a listener needs it.
   */
  recordField(timeUs: SimTimeUs, kind: string, node: string, key: string, value: TraceValue): number {
    const index = this.recordCount++;
    this.foldNumber(timeUs);
    this.foldWord(this.intern(kind));
    this.foldWord(this.intern(node));
    this.foldWord(this.intern(key));
    this.foldValue(value);
    if (this.listeners.length > 0) {
      const record: TraceRecord = { index, timeUs, kind, node, fields: { [key]: value } };
      const hash = this.hash;
      for (const listener of this.listeners) listener(record, hash);
    }
    return index;
  }

  /**
   * Same as `record(timeUs, kind, node, { [k1]: v1, [k2]: v2, [k3]: v3 })` (same hash, same
   * record for listeners) without allocating the fields object unless a listener needs it: for
   * the records of every message (net.send, net.deliver).
   */
  record3(timeUs: SimTimeUs, kind: string, node: string, k1: string, v1: TraceValue, k2: string, v2: TraceValue, k3: string, v3: TraceValue): number {
    const index = this.recordCount++;
    this.foldNumber(timeUs);
    this.foldWord(this.intern(kind));
    this.foldWord(this.intern(node));
    this.foldWord(this.intern(k1));
    this.foldValue(v1);
    this.foldWord(this.intern(k2));
    this.foldValue(v2);
    this.foldWord(this.intern(k3));
    this.foldValue(v3);
    if (this.listeners.length > 0) {
      const record: TraceRecord = { index, timeUs, kind, node, fields: { [k1]: v1, [k2]: v2, [k3]: v3 } };
      const hash = this.hash;
      for (const listener of this.listeners) listener(record, hash);
    }
    return index;
  }

  private foldWord(word: number): void {
    this.h1 = Math.imul(this.h1 ^ word, FNV_PRIME);
    let h2 = Math.imul(this.h2 ^ word, MURMUR_M);
    h2 ^= h2 >>> 15;
    this.h2 = h2;
  }

  private foldNumber(n: number): void {
    if (Number.isSafeInteger(n)) {
      this.foldWord(n >>> 0);
      this.foldWord(Math.floor(n / TWO_POW_32) | 0);
    } else {
      floatBits[0] = n;
      this.foldWord(0x7ff00000);
      this.foldWord(floatWords[0] as number);
      this.foldWord(floatWords[1] as number);
    }
  }

  private foldValue(value: TraceValue): void {
    switch (typeof value) {
      case "number":
        this.foldNumber(value);
        return;
      case "string":
        this.foldWord(stringHash(value));
        return;
      case "boolean":
        this.foldWord(value ? 0x70000001 : 0x70000000);
        return;
      default:
        this.foldWord(value === null ? 0x70000002 : 0x70000003);
    }
  }

  private intern(name: string): number {
    let id = this.interned.get(name);
    if (id === undefined) {
      id = stringHash(name);
      this.interned.set(name, id);
    }
    return id;
  }
}

export function stringHash(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Serialises a record as one JSON line. Numbers in traces are integers, so the text is engine-independent. */
export function traceRecordToJson(record: TraceRecord, hash: string): string {
  return JSON.stringify({ ...record.fields, i: record.index, t: record.timeUs, kind: record.kind, node: record.node, hash });
}

/** Field names a trace record may not use: its JSON line puts its own keys there. */
export const RESERVED_TRACE_FIELDS: readonly string[] = ["i", "t", "kind", "node", "hash"];
