/**
 * Growable typed columns and a string-to-id table over typed arrays: the storage of the history
 * folds. A long run folds a few hundred thousand sends and reads; as one object each, with a Map
 * entry or two, they cost several hundred bytes apiece, as columns a few dozen.
 */

const INITIAL_CAPACITY = 64;
const CHUNK_SHIFT = 12;
const CHUNK_SIZE = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_SIZE - 1;

/**
 * A growable column of numbers in fixed-size typed chunks: growing allocates one more chunk and
 * copies nothing, so a column never holds more than one chunk it does not use and leaves no
 * outgrown buffers behind for the collector.
 */
class ChunkedColumn<T extends Int32Array | Float64Array> {
  private readonly chunks: T[] = [];
  private count = 0;

  constructor(private readonly newChunk: () => T) {}

  get length(): number {
    return this.count;
  }

  /** Appends `value`; returns its index. */
  push(value: number): number {
    const index = this.count;
    if ((index & CHUNK_MASK) === 0) this.chunks.push(this.newChunk());
    (this.chunks[index >>> CHUNK_SHIFT] as T)[index & CHUNK_MASK] = value;
    this.count++;
    return index;
  }

  get(index: number): number {
    return (this.chunks[index >>> CHUNK_SHIFT] as T)[index & CHUNK_MASK] as number;
  }

  set(index: number, value: number): void {
    (this.chunks[index >>> CHUNK_SHIFT] as T)[index & CHUNK_MASK] = value;
  }

  /** Makes the column at least `length` long, new entries `fill`. */
  extendTo(length: number, fill: number): void {
    while (this.count < length) {
      if ((this.count & CHUNK_MASK) === 0) this.chunks.push(this.newChunk());
      const chunk = this.chunks[this.count >>> CHUNK_SHIFT] as T;
      const from = this.count & CHUNK_MASK;
      const to = Math.min(CHUNK_SIZE, from + (length - this.count));
      chunk.fill(fill, from, to);
      this.count += to - from;
    }
  }
}

/** A growable column of 32-bit integers. */
export class Int32Column extends ChunkedColumn<Int32Array> {
  constructor() {
    super(() => new Int32Array(CHUNK_SIZE));
  }
}

/** A growable column of doubles. */
export class Float64Column extends ChunkedColumn<Float64Array> {
  constructor() {
    super(() => new Float64Array(CHUNK_SIZE));
  }
}

const EMPTY_SLOT = 0;

/**
 * Distinct strings to dense ids (0, 1, 2, … in order of first appearance): open addressing over
 * typed arrays, the strings themselves kept once. About 20 bytes per string besides the string.
 */
export class StringIds {
  private readonly strings: string[] = [];
  private readonly hashes = new Int32Column();
  /** id + 1 per slot, EMPTY_SLOT for none; the capacity is a power of two, at most half full. */
  private slots = new Int32Array(INITIAL_CAPACITY);

  get size(): number {
    return this.strings.length;
  }

  /** The string with id `id`. */
  at(id: number): string {
    return this.strings[id] as string;
  }

  /** The id of `value`, or -1 if it has none. */
  find(value: string): number {
    const hash = hashOf(value);
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === EMPTY_SLOT) return -1;
      const id = entry - 1;
      if (this.hashes.get(id) === hash && this.strings[id] === value) return id;
    }
  }

  /** The id of `value`, given one now if it has none. */
  idOf(value: string): number {
    const known = this.find(value);
    if (known >= 0) return known;
    const id = this.strings.length;
    const hash = hashOf(value);
    this.strings.push(value);
    this.hashes.push(hash);
    if (this.strings.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id, hash);
    return id;
  }

  private place(id: number, hash: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let id = 0; id < this.strings.length; id++) this.place(id, this.hashes.get(id));
  }
}

/** FNV-1a over UTF-16 code units. */
function hashOf(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return hash | 0;
}
