import { Float64Column, Int32Column, StringIds } from "./columns.js";

/**
 * Maps from a key to a list of items, read as `ReadonlyMap<K, readonly V[]>`, for the history
 * folds. Items are stored as indices (into a fold's tables) and turned into objects by `view`
 * when read; a run folds a few hundred thousand keys (values sent, offsets read), nearly every
 * list holds one item, and so a list of one costs a column entry, not an array and a Map entry.
 * Lists are built by the read; iteration follows the order in which keys were first added.
 */

/** Lists by string key. */
export class StringListMap<V> implements ReadonlyMap<string, readonly V[]> {
  private readonly ids = new StringIds();
  /** The first item per key id. */
  private readonly heads = new Int32Column();
  /** Key id → every item, for keys with more than one. */
  private readonly more = new Map<number, number[]>();

  constructor(private readonly view: (item: number) => V) {}

  get size(): number {
    return this.ids.size;
  }

  /** Appends item `item` to the list at `key`. */
  add(key: string, item: number): void {
    const known = this.ids.size;
    const id = this.ids.idOf(key);
    if (id === known) {
      this.heads.push(item);
      return;
    }
    const list = this.more.get(id);
    if (list === undefined) this.more.set(id, [this.heads.get(id), item]);
    else list.push(item);
  }

  /** The first item at `key`, as an index, or -1. */
  firstItem(key: string): number {
    const id = this.ids.find(key);
    return id < 0 ? -1 : this.heads.get(id);
  }

  get(key: string): readonly V[] | undefined {
    const id = this.ids.find(key);
    return id < 0 ? undefined : this.listOf(id);
  }

  has(key: string): boolean {
    return this.ids.find(key) >= 0;
  }

  *keys(): MapIterator<string> {
    for (let id = 0; id < this.ids.size; id++) yield this.ids.at(id);
  }

  *values(): MapIterator<readonly V[]> {
    for (let id = 0; id < this.ids.size; id++) yield this.listOf(id);
  }

  *entries(): MapIterator<[string, readonly V[]]> {
    for (let id = 0; id < this.ids.size; id++) yield [this.ids.at(id), this.listOf(id)];
  }

  [Symbol.iterator](): MapIterator<[string, readonly V[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly V[], key: string, map: ReadonlyMap<string, readonly V[]>) => void, thisArg?: unknown): void {
    for (let id = 0; id < this.ids.size; id++) callback.call(thisArg, this.listOf(id), this.ids.at(id), this);
  }

  private listOf(id: number): V[] {
    const list = this.more.get(id);
    return list === undefined ? [this.view(this.heads.get(id))] : list.map(this.view);
  }
}

const NO_ITEM = -1;
/** How far past its end the slot column may grow for one key: a far-off offset goes to the Map instead. */
const SLOT_GROWTH_MAX = 1 << 20;

/**
 * Lists by offset, over a column indexed by offset: a run's histories hold a few hundred thousand
 * offsets, and a hash map that size costs a cache miss per lookup and rehashes as it grows. Keys
 * that are not small non-negative integers, or lie far beyond the others (only in hand-made
 * histories), go to a Map beside it.
 */
export class OffsetListMap<V> implements ReadonlyMap<number, readonly V[]> {
  /** The first item per offset, NO_ITEM for none. */
  private readonly slots = new Int32Column();
  private readonly other = new Map<number, number>();
  /** Offset → every item, for offsets with more than one. */
  private readonly more = new Map<number, number[]>();
  /** Every key, in insertion order. */
  private readonly order = new Float64Column();

  constructor(private readonly view: (item: number) => V) {}

  get size(): number {
    return this.order.length;
  }

  /** Appends item `item` to the list at `key`. */
  add(key: number, item: number): void {
    const k = key + 0; // -0 is 0, as in a Map
    const head = this.head(k);
    if (head === NO_ITEM) {
      if (isSlot(k) && k < this.slots.length + SLOT_GROWTH_MAX) {
        this.slots.extendTo(k + 1, NO_ITEM);
        this.slots.set(k, item);
      } else this.other.set(k, item);
      this.order.push(k);
      return;
    }
    const list = this.more.get(k);
    if (list === undefined) this.more.set(k, [head, item]);
    else list.push(item);
  }

  /**
   * The first item at `key` that `matches` `wanted`, as an index, or -1. `wanted` is passed
   * through so that a caller on a hot path can pass one function, not a new closure per call.
   */
  findItem<T>(key: number, matches: (item: number, wanted: T) => boolean, wanted: T): number {
    const k = key + 0;
    const head = this.head(k);
    if (head === NO_ITEM) return -1;
    const list = this.more.get(k);
    if (list === undefined) return matches(head, wanted) ? head : -1;
    for (let i = 0; i < list.length; i++) if (matches(list[i] as number, wanted)) return list[i] as number;
    return -1;
  }

  get(key: number): readonly V[] | undefined {
    const k = key + 0;
    const head = this.head(k);
    return head === NO_ITEM ? undefined : this.listOf(k, head);
  }

  has(key: number): boolean {
    return this.head(key + 0) !== NO_ITEM;
  }

  /** Whether every key is a column slot (so sortedKeys needs no sort). */
  get dense(): boolean {
    return this.other.size === 0;
  }

  /** The keys in ascending order, read off the slots (only when `dense`). */
  sortedKeys(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.slots.length; i++) if (this.slots.get(i) !== NO_ITEM) out.push(i);
    return out;
  }

  *keys(): MapIterator<number> {
    for (let i = 0; i < this.order.length; i++) yield this.order.get(i);
  }

  *values(): MapIterator<readonly V[]> {
    for (const key of this.keys()) yield this.listOf(key, this.head(key));
  }

  *entries(): MapIterator<[number, readonly V[]]> {
    for (const key of this.keys()) yield [key, this.listOf(key, this.head(key))];
  }

  [Symbol.iterator](): MapIterator<[number, readonly V[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly V[], key: number, map: ReadonlyMap<number, readonly V[]>) => void, thisArg?: unknown): void {
    for (const key of this.keys()) callback.call(thisArg, this.listOf(key, this.head(key)), key, this);
  }

  private head(key: number): number {
    const slot = isSlot(key) && key < this.slots.length ? this.slots.get(key) : NO_ITEM;
    return slot !== NO_ITEM || this.other.size === 0 ? slot : (this.other.get(key) ?? NO_ITEM);
  }

  private listOf(key: number, head: number): V[] {
    const list = this.more.get(key);
    return list === undefined ? [this.view(head)] : list.map(this.view);
  }
}

function isSlot(key: number): boolean {
  return Number.isInteger(key) && key >= 0 && key < 2 ** 30;
}
