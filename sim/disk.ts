/**
 * A node's disk as append-only files with a page cache: appends land in memory and only
 * `flush()` (fsync) makes them durable. A crash that loses unflushed data truncates every
 * file to its flushed length; a clean crash keeps everything.
 */
export class DiskFile<T> {
  private readonly items: T[] = [];
  private flushed = 0;

  constructor(readonly name: string) {}

  get entries(): readonly T[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  get flushedLength(): number {
    return this.flushed;
  }

  get unflushedLength(): number {
    return this.items.length - this.flushed;
  }

  append(item: T): number {
    this.items.push(item);
    return this.items.length - 1;
  }

  flush(): void {
    this.flushed = this.items.length;
  }

  /** Drops entries from `length` on; the flushed mark follows if it was beyond. */
  truncate(length: number): void {
    if (length < this.items.length) this.items.length = Math.max(0, length);
    if (this.flushed > this.items.length) this.flushed = this.items.length;
  }

  /** Replaces the whole content durably (an atomic rename of a fully written file). */
  replaceDurably(items: readonly T[]): void {
    this.items.length = 0;
    this.items.push(...items);
    this.flushed = this.items.length;
  }

  loseUnflushed(): number {
    const lost = this.items.length - this.flushed;
    this.items.length = this.flushed;
    return lost;
  }
}

export class Disk {
  private readonly files = new Map<string, DiskFile<unknown>>();

  file<T>(name: string): DiskFile<T> {
    let file = this.files.get(name);
    if (file === undefined) {
      file = new DiskFile<unknown>(name);
      this.files.set(name, file);
    }
    return file as DiskFile<T>;
  }

  fileNames(): string[] {
    return [...this.files.keys()].sort();
  }

  flushAll(): void {
    for (const file of this.files.values()) file.flush();
  }

  /** Applies a crash to the disk; returns how many entries were lost. */
  crash(loseUnflushed: boolean): number {
    if (!loseUnflushed) return 0;
    let lost = 0;
    for (const name of this.fileNames()) lost += (this.files.get(name) as DiskFile<unknown>).loseUnflushed();
    return lost;
  }
}
