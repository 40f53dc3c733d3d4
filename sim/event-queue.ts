import type { SimTimeUs } from "./time.js";

/** One pending event. `seq` breaks ties between events of the same time. */
export interface QueuedEvent {
  readonly time: SimTimeUs;
  seq: number;
  fire(): void;
}

/**
 * Binary min-heap ordered by (time, seq). With a tie-breaker rng, events that share a
 * timestamp are ordered by a seeded random key instead of insertion order.
 *
 * The keys live in arrays of their own beside the events: comparisons read two contiguous
 * number arrays instead of chasing pointers to event objects of several classes (a run keeps
 * tens of thousands of events pending, mostly cancelled timers waiting for their time).
 */
export class EventQueue<E extends QueuedEvent = QueuedEvent> {
  private readonly heap: E[] = [];
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private nextSeq = 0;

  /** `tieBreaker` returns a uint32; when given, same-time events are ordered by it (seeded shuffle). */
  constructor(private readonly tieBreaker?: () => number) {}

  get size(): number {
    return this.heap.length;
  }

  push(event: E): void {
    const next = this.nextSeq++;
    const seq = this.tieBreaker ? this.tieBreaker() * 2 ** 20 + (next & 0xfffff) : next;
    event.seq = seq;
    const time = event.time;
    const { heap, times, seqs } = this;
    let i = heap.length;
    heap.push(event);
    times.push(time);
    seqs.push(seq);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const parentTime = times[parent] as number;
      const parentSeq = seqs[parent] as number;
      if (!before(time, seq, parentTime, parentSeq)) break;
      heap[i] = heap[parent] as E;
      times[i] = parentTime;
      seqs[i] = parentSeq;
      i = parent;
    }
    heap[i] = event;
    times[i] = time;
    seqs[i] = seq;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  /** The time of the next event, undefined when none is left. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  pop(): E | undefined {
    const { heap, times, seqs } = this;
    const top = heap[0];
    const last = heap.pop();
    const lastTime = times.pop() as number;
    const lastSeq = seqs.pop() as number;
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(times[right] as number, seqs[right] as number, times[left] as number, seqs[left] as number)) child = right;
      const childTime = times[child] as number;
      const childSeq = seqs[child] as number;
      if (!before(childTime, childSeq, lastTime, lastSeq)) break;
      heap[i] = heap[child] as E;
      times[i] = childTime;
      seqs[i] = childSeq;
      i = child;
    }
    heap[i] = last;
    times[i] = lastTime;
    seqs[i] = lastSeq;
    return top;
  }
}

function before(aTime: number, aSeq: number, bTime: number, bSeq: number): boolean {
  return aTime < bTime || (aTime === bTime && aSeq < bSeq);
}
