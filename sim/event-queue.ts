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
 */
export class EventQueue<E extends QueuedEvent = QueuedEvent> {
  private readonly heap: E[] = [];
  private nextSeq = 0;

  /** `tieBreaker` returns a uint32; when given, same-time events are ordered by it (seeded shuffle). */
  constructor(private readonly tieBreaker?: () => number) {}

  get size(): number {
    return this.heap.length;
  }

  push(event: E): void {
    const seq = this.nextSeq++;
    event.seq = this.tieBreaker ? this.tieBreaker() * 2 ** 20 + (seq & 0xfffff) : seq;
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as E;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  peek(): E | undefined {
    return this.heap[0];
  }

  pop(): E | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as E, heap[left] as E)) child = right;
      if (!before(heap[child] as E, last)) break;
      heap[i] = heap[child] as E;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
