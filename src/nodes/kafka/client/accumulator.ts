import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import { partitionKey, type KafkaRecord, type TopicPartition } from "../protocol.js";
import type { IdempotenceManager } from "./idempotence.js";
import type { Metadata } from "./metadata.js";
import { ProducerBatch, type SendCallback } from "./producer-batch.js";

export interface AccumulatorConfig {
  readonly batchSizeRecords: number;
  readonly lingerMs: number;
  readonly retryBackoffMs: number;
  readonly deliveryTimeoutMs: number;
}

/** What the accumulator asks a transactional producer before draining a partition. */
export interface PartitionGate {
  /** Java's isSendToPartitionAllowed: under transaction version 1, only partitions already added. */
  isSendToPartitionAllowed(tp: string): boolean;
}

export interface ReadyCheck {
  /** Brokers leading at least one partition whose first batch may be sent now. */
  readonly readyNodes: ReadonlySet<number>;
  /** The earliest wall-clock time a lingering or backing-off batch becomes sendable. */
  readonly nextReadyCheckUs: SimTimeUs | undefined;
  /** Topics with batches waiting for a partition leader. */
  readonly unknownLeaderTopics: ReadonlySet<string>;
}

/**
 * Java's RecordAccumulator: one queue of batches per partition. A batch is sendable when it is
 * full (or not the last in its queue) or has lingered linger.ms; a retried batch waits
 * retry.backoff.ms. A broker is ready when one of its partitions has a sendable batch, and then
 * `drain` takes the first batch of every partition it leads (one per partition per request,
 * rotating the starting partition), assigning sequence numbers as it goes. A retried batch is
 * put back in sequence order. While a transaction completes (`flushing`), linger is skipped:
 * commitTransaction flushes.
 */
export class RecordAccumulator {
  private readonly queues = new Map<string, ProducerBatch[]>();
  private readonly drainIndex = new Map<number, number>();
  private readonly muted = new Set<string>();
  private nextBatchId = 0;

  constructor(
    private readonly config: AccumulatorConfig,
    private readonly idempotence: IdempotenceManager | undefined,
    private readonly gate?: PartitionGate,
  ) {}

  /** Appends a record to the partition's open batch, or to a new one. Returns the batch. */
  append(topic: string, partition: number, record: KafkaRecord, callback: SendCallback, nowUs: SimTimeUs): ProducerBatch {
    const queue = this.queue(partitionKey(topic, partition));
    let batch = queue[queue.length - 1];
    if (batch === undefined || batch.closed || batch.isFull(this.config.batchSizeRecords)) {
      batch = new ProducerBatch(this.nextBatchId++, topic, partition, nowUs);
      queue.push(batch);
    }
    batch.records.push({ record, callback });
    return batch;
  }

  hasUndrained(): boolean {
    for (const queue of this.queues.values()) if (queue.length > 0) return true;
    return false;
  }

  /** Batches waiting in the accumulator (not in flight), all partitions. */
  get undrainedCount(): number {
    let n = 0;
    for (const queue of this.queues.values()) n += queue.length;
    return n;
  }

  mute(tp: string): void {
    this.muted.add(tp);
  }

  unmute(tp: string): void {
    this.muted.delete(tp);
  }

  ready(metadata: Metadata, nowUs: SimTimeUs, flushing = false): ReadyCheck {
    const readyNodes = new Set<number>();
    const unknownLeaderTopics = new Set<string>();
    let nextReadyCheckUs: SimTimeUs | undefined;
    for (const [tp, queue] of this.queues) {
      const first = queue[0];
      if (first === undefined) continue;
      const leader = metadata.leaderFor(first.topic, first.partition);
      if (leader === undefined) {
        unknownLeaderTopics.add(first.topic);
        continue;
      }
      if (readyNodes.has(leader.leader) || this.muted.has(tp)) continue;
      const backingOff = this.backingOff(first, nowUs);
      const waitUs = backingOff ? msToUs(this.config.retryBackoffMs) : msToUs(this.config.lingerMs);
      const sendableAtUs = first.lastAttemptUs + waitUs;
      const full = queue.length > 1 || first.isFull(this.config.batchSizeRecords);
      if ((full || flushing || nowUs >= sendableAtUs) && !backingOff) readyNodes.add(leader.leader);
      else if (nextReadyCheckUs === undefined || sendableAtUs < nextReadyCheckUs) nextReadyCheckUs = sendableAtUs;
    }
    return { readyNodes, nextReadyCheckUs, unknownLeaderTopics };
  }

  /** Takes at most one batch per partition led by `node` (Java's drainBatchesForOneNode). */
  drain(metadata: Metadata, node: number, nowUs: SimTimeUs): ProducerBatch[] {
    const parts = metadata.partitionsLedBy(node);
    const ready: ProducerBatch[] = [];
    if (parts.length === 0) return ready;
    const start = (this.drainIndex.get(node) ?? 0) % parts.length;
    let index = start;
    do {
      const part = parts[index] as TopicPartition;
      index = (index + 1) % parts.length;
      this.drainIndex.set(node, index);
      const tp = partitionKey(part.topic, part.partition);
      if (this.muted.has(tp)) continue;
      const queue = this.queues.get(tp);
      const first = queue?.[0];
      if (queue === undefined || first === undefined) continue;
      if (this.backingOff(first, nowUs)) continue;
      if (this.gate !== undefined && !this.gate.isSendToPartitionAllowed(tp)) break;
      if (this.idempotence?.shouldStopDrain(first)) break;
      queue.shift();
      if (this.idempotence !== undefined && !first.hasSequence) this.idempotence.assignSequence(first);
      first.closed = true;
      ready.push(first);
    } while (index !== start);
    return ready;
  }

  /** Puts a batch back for a retry: in sequence order with idempotence, else at the front. */
  reenqueue(batch: ProducerBatch, nowUs: SimTimeUs): void {
    batch.reenqueued(nowUs);
    const queue = this.queue(batch.tp);
    if (this.idempotence === undefined || !batch.hasSequence) {
      queue.unshift(batch);
      return;
    }
    let at = 0;
    while (at < queue.length) {
      const queued = queue[at] as ProducerBatch;
      if (!queued.hasSequence || queued.baseSequence >= batch.baseSequence) break;
      at++;
    }
    queue.splice(at, 0, batch);
  }

  /** Removes and returns the batches that reached delivery.timeout.ms (from each queue's head). */
  expiredBatches(nowUs: SimTimeUs): ProducerBatch[] {
    const expired: ProducerBatch[] = [];
    const timeoutUs = msToUs(this.config.deliveryTimeoutMs);
    for (const queue of this.queues.values()) {
      while (queue.length > 0 && nowUs - (queue[0] as ProducerBatch).createdUs >= timeoutUs) expired.push(queue.shift() as ProducerBatch);
    }
    return expired;
  }

  /** The earliest delivery deadline of a batch in the accumulator. */
  nextExpiryUs(): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    for (const queue of this.queues.values()) {
      const first = queue[0];
      if (first === undefined) continue;
      const at = first.createdUs + msToUs(this.config.deliveryTimeoutMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** Removes every batch not yet drained (Java's abortUndrainedBatches). */
  takeUndrained(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const queue of this.queues.values()) out.push(...queue.splice(0));
    return out;
  }

  /**
   * Java's abortUndrainedBatches: removes the batches never drained. A batch put back for a
   * retry stays: it may already be in the log, so it goes out again.
   */
  takeNeverDrained(): ProducerBatch[] {
    const out: ProducerBatch[] = [];
    for (const queue of this.queues.values()) {
      const keep = queue.filter((b) => b.closed);
      out.push(...queue.filter((b) => !b.closed));
      queue.splice(0, queue.length, ...keep);
    }
    return out;
  }

  private backingOff(batch: ProducerBatch, nowUs: SimTimeUs): boolean {
    return batch.attempts > 0 && nowUs - batch.lastAttemptUs < msToUs(this.config.retryBackoffMs);
  }

  private queue(tp: string): ProducerBatch[] {
    let queue = this.queues.get(tp);
    if (queue === undefined) {
      queue = [];
      this.queues.set(tp, queue);
    }
    return queue;
  }
}
