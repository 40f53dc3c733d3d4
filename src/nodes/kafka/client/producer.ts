import type { Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import { KAFKA_ERRORS, type KafkaError } from "../errors.js";
import type { KafkaResponse, ProducePartitionResponse } from "../protocol.js";
import { RecordAccumulator } from "./accumulator.js";
import { IdempotenceManager } from "./idempotence.js";
import { isInvalidMetadataError, Metadata } from "./metadata.js";
import { CorrelationIds, NetworkClient, type ClientResponse } from "./network-client.js";
import { Partitioner } from "./partitioner.js";
import type { ProducerBatch, SendCallback, SendResult } from "./producer-batch.js";
import { resolveProducerConfig, type ProducerConfig, type ProducerOptions } from "./producer-config.js";
import { clientNowUs, earliest, SettlingLoop, Wakeup } from "./wakeup.js";

export type { SendCallback, SendResult } from "./producer-batch.js";

export interface ProducerRecord {
  readonly topic: string;
  /** Explicit partition; otherwise murmur2(key), or the sticky partition for a null key. */
  readonly partition?: number;
  readonly key: string | null;
  readonly value: string;
}

/** Client-side failures that are not Kafka error codes. */
export const CLIENT_ERRORS = {
  /** delivery.timeout.ms passed (Java's TimeoutException "Expiring N record(s)"). */
  deliveryTimeout: "DELIVERY_TIMEOUT",
  /** The topic's metadata did not arrive within max.block.ms. */
  maxBlockTimeout: "MAX_BLOCK_TIMEOUT",
  /** An explicit partition outside [0, partitions). */
  invalidPartition: "INVALID_PARTITION",
  /** The producer hit a fatal error (for example InitProducerId failed for good). */
  producerFatal: "PRODUCER_FATAL",
} as const;

interface WaitingRecord {
  readonly record: ProducerRecord;
  readonly callback: SendCallback;
  readonly deadlineUs: SimTimeUs;
}

type ProduceResponse = Extract<KafkaResponse, { type: "ProduceResponse" }>;
type InitProducerIdResponse = Extract<KafkaResponse, { type: "InitProducerIdResponse" }>;

/**
 * Kafka's producer (KafkaProducer + Sender), used inside an application actor: the app calls
 * `send`, and routes its messages (`handle`) and disconnects (`onDisconnect`) to it.
 *
 * Records go to a per-partition accumulator; the sender loop drains ready batches to partition
 * leaders, at most max.in.flight requests per broker connection, and handles each partition's
 * response: success completes the batch; a retriable error puts it back (after
 * retry.backoff.ms, keeping its sequence) until delivery.timeout.ms from the batch's creation;
 * other errors fail it. With idempotence (the default) it first gets a producer id with
 * InitProducerId and numbers every batch per partition (see IdempotenceManager). Without it,
 * batches carry no producer id and a retry after a lost response may write a duplicate, as in
 * Kafka.
 *
 * Each record's callback gets a SendResult; a failure says whether it is definite (nothing
 * was written) or indefinite (some attempt may have been appended).
 */
export class KafkaProducer {
  readonly config: ProducerConfig;
  readonly metadata: Metadata;
  private readonly network: NetworkClient;
  private readonly accumulator: RecordAccumulator;
  private readonly idempotence: IdempotenceManager | undefined;
  private readonly partitioner: Partitioner;
  private readonly wakeup: Wakeup;
  private readonly loop: SettlingLoop;
  /** Batches in a Produce request awaiting its response, per partition in send order (for expiry). */
  private readonly inFlightBatches = new Map<string, ProducerBatch[]>();
  private readonly waiting: WaitingRecord[] = [];
  private initProducerId: { inFlight: boolean; retryAtUs: SimTimeUs | undefined; rotation: number } = { inFlight: false, retryAtUs: undefined, rotation: 0 };
  private incomplete = 0;
  private readonly guaranteeMessageOrder: boolean;

  constructor(
    private readonly ctx: NodeContext,
    options: ProducerOptions,
    correlationIds: CorrelationIds = new CorrelationIds(),
  ) {
    this.config = resolveProducerConfig(options);
    const c = this.config;
    this.network = new NetworkClient(ctx, c, correlationIds, c.clientId);
    this.metadata = new Metadata(ctx, this.network, { bootstrapBrokers: c.bootstrapBrokers, metadataMaxAgeMs: c.metadataMaxAgeMs, retryBackoffMs: c.retryBackoffMs }, c.clientId);
    this.idempotence = c.enableIdempotence ? new IdempotenceManager(ctx, c.maxProducerEpoch, c.clientId) : undefined;
    this.accumulator = new RecordAccumulator(c, this.idempotence);
    this.partitioner = new Partitioner(ctx.rng.fork(`${c.clientId}/partitioner`), c.batchSizeRecords);
    this.guaranteeMessageOrder = c.maxInFlightRequestsPerConnection === 1;
    this.wakeup = new Wakeup(ctx, `${c.clientId}/sender`, () => this.wake());
    this.loop = new SettlingLoop(`${c.clientId}: sender loop`, () => this.runOnce());
    this.metadata.onUpdate(() => this.wake());
  }

  /** Queues a record; `callback` runs once with its outcome (possibly before `send` returns). */
  send(record: ProducerRecord, callback: SendCallback): void {
    this.incomplete++;
    const wrapped: SendCallback = (result) => {
      this.incomplete--;
      callback(result);
    };
    if (this.idempotence?.state === "fatal") {
      wrapped(failure(record.topic, record.partition, CLIENT_ERRORS.producerFatal, true));
      return;
    }
    this.metadata.add(record.topic);
    const deadlineUs = clientNowUs(this.ctx) + msToUs(this.config.maxBlockMs);
    if (this.waiting.some((w) => w.record.topic === record.topic) || this.metadata.partitionCount(record.topic) === undefined) {
      this.waiting.push({ record, callback: wrapped, deadlineUs });
    } else {
      this.append(record, wrapped);
    }
    this.wake();
  }

  /** Routes a message to the producer; false if it is not a response to one of its requests. */
  handle(from: string, message: Message): boolean {
    return this.network.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.network.onDisconnect(peer);
  }

  /** Records sent but not yet completed. */
  get pendingRecords(): number {
    return this.incomplete;
  }

  get producerIdAndEpoch(): { readonly producerId: number; readonly producerEpoch: number } {
    return { producerId: this.idempotence?.producerId ?? -1, producerEpoch: this.idempotence?.producerEpoch ?? -1 };
  }

  /** The next sequence number for a partition (`topic-partition`), for tests and traces. */
  nextSequence(tp: string): number {
    return this.idempotence?.nextSequence(tp) ?? -1;
  }

  inFlightRequests(brokerId: number): number {
    return this.network.inFlightCount(brokerId);
  }

  // ---- the sender loop ----

  private wake(): void {
    this.loop.wake();
  }

  /** One pass of Java's Sender.runOnce. Returns true if it sent something (the loop runs again). */
  private runOnce(): boolean {
    const now = clientNowUs(this.ctx);
    const waitDeadline = this.processWaiting(now);
    const idempotence = this.idempotence;
    if (idempotence !== undefined) {
      idempotence.maybeResolveSequences();
      if (idempotence.state === "fatal") {
        for (const batch of this.accumulator.takeUndrained()) this.failBatch(batch, CLIENT_ERRORS.producerFatal, false);
        this.wakeup.set(waitDeadline);
        return false;
      }
      idempotence.bumpEpochAndResetIdIfNeeded();
      if (idempotence.state === "initializing") {
        this.maybeSendInitProducerId(now);
        this.wakeup.set(earliest(waitDeadline, this.initProducerId.retryAtUs));
        return false;
      }
    }
    const { sent, nextUs } = this.sendProducerData(now);
    this.wakeup.set(earliest(waitDeadline, nextUs));
    return sent;
  }

  private sendProducerData(now: SimTimeUs): { sent: boolean; nextUs: SimTimeUs | undefined } {
    this.expireBatches(now);
    const ready = this.accumulator.ready(this.metadata, now);
    for (const topic of ready.unknownLeaderTopics) {
      this.metadata.add(topic);
      this.metadata.requestUpdate();
    }
    let sent = false;
    let nextUs = earliest(ready.nextReadyCheckUs, this.accumulator.nextExpiryUs(), this.nextInFlightExpiryUs());
    for (const node of [...ready.readyNodes].sort((a, b) => a - b)) {
      if (!this.network.isReady(node)) {
        nextUs = earliest(nextUs, this.network.readyAtUs(node));
        continue;
      }
      const batches = this.accumulator.drain(this.metadata, node, now);
      if (batches.length === 0) continue;
      this.sendProduceRequest(node, batches);
      sent = true;
    }
    return { sent, nextUs };
  }

  private sendProduceRequest(node: number, batches: readonly ProducerBatch[]): void {
    for (const batch of batches) {
      batch.sends++;
      this.inFlightList(batch.tp).push(batch);
      if (this.guaranteeMessageOrder) this.accumulator.mute(batch.tp);
    }
    const body = {
      type: "Produce" as const,
      acks: this.config.acks,
      timeoutMs: this.config.requestTimeoutMs,
      transactionalId: null,
      topicData: batches.map((b) => ({ topic: b.topic, partition: b.partition, batch: b.toRecordBatch() })),
    };
    if (this.config.acks === 0) {
      this.network.send(node, body, () => undefined, { expectResponse: false });
      for (const batch of batches) {
        batch.maybeWritten = true;
        this.completeBatch(batch, "NONE", -1);
      }
      return;
    }
    this.network.send(node, body, (result) => this.handleProduceResponse(batches, result));
  }

  private handleProduceResponse(batches: readonly ProducerBatch[], result: ClientResponse<ProduceResponse>): void {
    for (const batch of batches) {
      const response = result.kind === "response" ? findPartition(result.response.responses, batch) : undefined;
      if (response === undefined) this.completeBatch(batch, "NETWORK_EXCEPTION", -1);
      else this.completeBatch(batch, response.error, response.baseOffset);
    }
    this.wake();
  }

  /** Java's Sender.completeBatch for one partition's response. */
  private completeBatch(batch: ProducerBatch, error: KafkaError, baseOffset: number): void {
    this.removeInFlight(batch);
    const now = clientNowUs(this.ctx);
    if (error === "NONE") {
      this.idempotence?.handleCompletedBatch(batch, baseOffset);
      this.succeed(batch, baseOffset);
    } else {
      if (KAFKA_ERRORS[error].indefinite) batch.maybeWritten = true;
      if (this.canRetry(batch, error, now)) {
        this.ctx.trace("producer.retry", { owner: this.config.clientId, tp: batch.tp, error, attempts: batch.attempts + 1, baseSequence: batch.baseSequence });
        this.accumulator.reenqueue(batch, now);
      } else if (error === "DUPLICATE_SEQUENCE_NUMBER") {
        this.idempotence?.handleCompletedBatch(batch, -1);
        this.succeed(batch, -1);
      } else {
        this.failBatch(batch, error, batch.attempts < this.config.retries);
      }
      if (isInvalidMetadataError(error)) this.metadata.requestUpdate();
    }
    if (this.guaranteeMessageOrder) this.accumulator.unmute(batch.tp);
  }

  private canRetry(batch: ProducerBatch, error: KafkaError, now: SimTimeUs): boolean {
    if (now - batch.createdUs >= msToUs(this.config.deliveryTimeoutMs)) return false;
    if (batch.attempts >= this.config.retries || batch.done) return false;
    return this.idempotence !== undefined ? this.idempotence.canRetry(error, batch) : KAFKA_ERRORS[error].retriable;
  }

  private succeed(batch: ProducerBatch, baseOffset: number): void {
    if (batch.done) return;
    batch.done = true;
    this.ctx.trace("producer.batch-done", { owner: this.config.clientId, tp: batch.tp, records: batch.recordCount, baseOffset, sends: batch.sends });
    const unconfirmed = this.config.acks === 0;
    batch.records.forEach((r, i) => {
      r.callback({ ok: true, topic: batch.topic, partition: batch.partition, offset: baseOffset >= 0 ? baseOffset + i : -1, unconfirmed });
    });
  }

  private failBatch(batch: ProducerBatch, error: string, adjustSequences: boolean): void {
    if (batch.done) return;
    batch.done = true;
    this.idempotence?.handleFailedBatch(batch, error, adjustSequences);
    const definite = !batch.maybeWritten;
    this.ctx.trace("producer.batch-failed", { owner: this.config.clientId, tp: batch.tp, records: batch.recordCount, error, definite, sends: batch.sends });
    for (const r of batch.records) r.callback(failure(batch.topic, batch.partition, error, definite));
  }

  /** delivery.timeout.ms, for batches in flight (their request is still out) and in the accumulator. */
  private expireBatches(now: SimTimeUs): void {
    const timeoutUs = msToUs(this.config.deliveryTimeoutMs);
    const expired: ProducerBatch[] = [];
    for (const list of this.inFlightBatches.values()) {
      while (list.length > 0 && now - (list[0] as ProducerBatch).createdUs >= timeoutUs) {
        const batch = list.shift() as ProducerBatch;
        batch.maybeWritten = true;
        expired.push(batch);
      }
    }
    expired.push(...this.accumulator.expiredBatches(now));
    for (const batch of expired) {
      this.failBatch(batch, CLIENT_ERRORS.deliveryTimeout, false);
      // No new sequences for the partition until its in-flight batches have drained.
      if (batch.inRetry) this.idempotence?.markSequenceUnresolved(batch);
    }
  }

  private nextInFlightExpiryUs(): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    for (const list of this.inFlightBatches.values()) {
      const first = list[0];
      if (first !== undefined) next = earliest(next, first.createdUs + msToUs(this.config.deliveryTimeoutMs));
    }
    return next;
  }

  // ---- producer id ----

  private maybeSendInitProducerId(now: SimTimeUs): void {
    const state = this.initProducerId;
    if (state.inFlight || (state.retryAtUs !== undefined && now < state.retryAtUs)) return;
    const candidates = rotate(this.metadata.candidates(), state.rotation);
    const node = this.network.leastLoadedNode(candidates);
    if (node === undefined) {
      state.retryAtUs = earliest(...candidates.map((id) => this.network.readyAtUs(id))) ?? now + msToUs(this.config.retryBackoffMs);
      return;
    }
    state.inFlight = true;
    state.retryAtUs = undefined;
    const body = { type: "InitProducerId" as const, transactionalId: null, transactionTimeoutMs: 2_147_483_647, producerId: -1, producerEpoch: -1 };
    this.network.send(node, body, (result) => this.handleInitProducerId(result));
  }

  private handleInitProducerId(result: ClientResponse<InitProducerIdResponse>): void {
    const state = this.initProducerId;
    state.inFlight = false;
    const idempotence = this.idempotence;
    if (idempotence === undefined) return;
    const error: KafkaError = result.kind === "response" ? result.response.error : "NETWORK_EXCEPTION";
    if (result.kind === "response" && error === "NONE") {
      idempotence.setProducerIdAndEpoch(result.response.producerId, result.response.producerEpoch);
    } else if (KAFKA_ERRORS[error].retriable) {
      state.rotation++;
      state.retryAtUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
    } else {
      idempotence.transitionToFatal(error);
      this.ctx.trace("producer.fatal", { owner: this.config.clientId, error });
    }
    this.wake();
  }

  // ---- records waiting for metadata ----

  /** Appends waiting records whose topic is now known; fails those past max.block.ms. */
  private processWaiting(now: SimTimeUs): SimTimeUs | undefined {
    if (this.waiting.length === 0) return undefined;
    const still: WaitingRecord[] = [];
    const blockedTopics = new Set<string>();
    for (const w of this.waiting.splice(0)) {
      if (!blockedTopics.has(w.record.topic) && this.metadata.partitionCount(w.record.topic) !== undefined) {
        this.append(w.record, w.callback);
      } else if (now >= w.deadlineUs) {
        w.callback(failure(w.record.topic, w.record.partition, CLIENT_ERRORS.maxBlockTimeout, true));
      } else {
        blockedTopics.add(w.record.topic);
        still.push(w);
      }
    }
    this.waiting.push(...still);
    if (still.length > 0) this.metadata.requestUpdate();
    return earliest(...still.map((w) => w.deadlineUs));
  }

  private append(record: ProducerRecord, callback: SendCallback): void {
    const count = this.metadata.partitionCount(record.topic) as number;
    let partition = record.partition;
    if (partition !== undefined && (partition < 0 || partition >= count || !Number.isInteger(partition))) {
      callback(failure(record.topic, partition, CLIENT_ERRORS.invalidPartition, true));
      return;
    }
    if (partition === undefined) {
      // Only a record without a key needs the partitions with a leader (the sticky partitioner draws among them).
      const available =
        record.key !== null
          ? []
          : (this.metadata.partitionsOf(record.topic) ?? []).filter((p) => this.metadata.leaderFor(record.topic, p.partition) !== undefined).map((p) => p.partition);
      partition = this.partitioner.partition(record.topic, record.key, count, available);
    }
    const timestampMs = Math.floor(this.ctx.wallClockUs() / 1000);
    this.accumulator.append(record.topic, partition, { key: record.key, value: record.value, timestampMs }, callback, clientNowUs(this.ctx));
  }

  private inFlightList(tp: string): ProducerBatch[] {
    let list = this.inFlightBatches.get(tp);
    if (list === undefined) {
      list = [];
      this.inFlightBatches.set(tp, list);
    }
    return list;
  }

  private removeInFlight(batch: ProducerBatch): void {
    const list = this.inFlightBatches.get(batch.tp);
    if (list === undefined) return;
    const index = list.indexOf(batch);
    if (index >= 0) list.splice(index, 1);
  }
}

function failure(topic: string, partition: number | undefined, error: string, definite: boolean): SendResult {
  return { ok: false, topic, partition, error, definite };
}

function findPartition(responses: readonly ProducePartitionResponse[], batch: ProducerBatch): ProducePartitionResponse | undefined {
  return responses.find((r) => r.topic === batch.topic && r.partition === batch.partition);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
