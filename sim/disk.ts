/** How a disk knows the time, for the operating system's background writeback. */
export interface DiskClock {
  nowUs(): number;
  /** Dirty data older than this reaches the disk without an fsync (Linux: dirty_expire_centisecs, 30 s). Infinity: never. */
  readonly writebackUs: number;
}

const NEVER_WRITTEN_BACK: DiskClock = { nowUs: () => 0, writebackUs: Number.POSITIVE_INFINITY };

/**
 * A node's disk as append-only files with a page cache: appends land in memory; `flush()`
 * (fsync) makes them durable at once, and the OS writes back whatever has been dirty for
 * longer than the writeback delay. A crash that loses unflushed data keeps what was flushed or
 * written back and loses the rest (the recent tail); a clean crash keeps everything.
 */
export class DiskFile<T> {
  private readonly items: T[] = [];
  /** Simulated time each entry was appended, for writeback. */
  private readonly appendedUs: number[] = [];
  private flushed = 0;

  constructor(
    readonly name: string,
    private readonly clock: DiskClock = NEVER_WRITTEN_BACK,
  ) {}

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
    this.appendedUs.push(this.clock.nowUs());
    return this.items.length - 1;
  }

  flush(): void {
    this.flushed = this.items.length;
  }

  /** Drops entries from `length` on; the flushed mark follows if it was beyond. */
  truncate(length: number): void {
    if (length < this.items.length) {
      this.items.length = Math.max(0, length);
      this.appendedUs.length = this.items.length;
    }
    if (this.flushed > this.items.length) this.flushed = this.items.length;
  }

  /** Replaces the whole content durably (an atomic rename of a fully written file). */
  replaceDurably(items: readonly T[]): void {
    this.items.length = 0;
    this.items.push(...items);
    const now = this.clock.nowUs();
    this.appendedUs.length = 0;
    for (let i = 0; i < items.length; i++) this.appendedUs.push(now);
    this.flushed = this.items.length;
  }

  /** Entries the OS has written back by now (appended at least the writeback delay ago). */
  private writtenBackLength(): number {
    const cutoff = this.clock.nowUs() - this.clock.writebackUs;
    let durable = this.flushed;
    while (durable < this.items.length && (this.appendedUs[durable] as number) <= cutoff) durable++;
    return durable;
  }

  loseUnflushed(): number {
    const durable = this.writtenBackLength();
    const lost = this.items.length - durable;
    this.items.length = durable;
    this.appendedUs.length = durable;
    this.flushed = durable;
    return lost;
  }
}

export class Disk {
  private readonly files = new Map<string, DiskFile<unknown>>();

  constructor(private readonly clock: DiskClock = NEVER_WRITTEN_BACK) {}

  file<T>(name: string): DiskFile<T> {
    let file = this.files.get(name);
    if (file === undefined) {
      file = new DiskFile<unknown>(name, this.clock);
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
