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
import {
  TransactionManager,
  TransactionStateError,
  TXN_CLIENT_ERRORS,
  type ConsumerGroupMetadata,
  type TransactionOutcome,
  type TransactionState,
  type TxnCallResult,
  type TxnErrorClass,
} from "./transaction-manager.js";
import { clientNowUs, earliest, SettlingLoop, Wakeup } from "./wakeup.js";
import type { PartitionOffset } from "../protocol.js";

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

/** What commitTransaction / abortTransaction report: `outcome` is set once the transaction is over. */
export type EndTransactionResult =
  | { readonly ok: true; readonly outcome: TransactionOutcome }
  | { readonly ok: false; readonly error: string; readonly errorClass: TxnErrorClass; readonly outcome: TransactionOutcome | undefined };

export type TxnCallback = (result: TxnCallResult) => void;
export type EndTransactionCallback = (result: EndTransactionResult) => void;

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
  /** Set with a transactionalId (Java's TransactionManager; sequences stay in `idempotence`). */
  private readonly transactionManager: TransactionManager | undefined;
  private closed = false;

  constructor(
    private readonly ctx: NodeContext,
    options: ProducerOptions,
    correlationIds: CorrelationIds = new CorrelationIds(),
  ) {
    this.config = resolveProducerConfig(options);
    const c = this.config;
    this.network = new NetworkClient(ctx, c, correlationIds, c.clientId);
    this.metadata = new Metadata(ctx, this.network, { bootstrapBrokers: c.bootstrapBrokers, metadataMaxAgeMs: c.metadataMaxAgeMs, retryBackoffMs: c.retryBackoffMs }, c.clientId);
    const transactionalId = c.transactionalId;
    this.idempotence = c.enableIdempotence ? new IdempotenceManager(ctx, c.maxProducerEpoch, c.clientId, transactionalId !== null) : undefined;
    this.transactionManager =
      transactionalId !== null && this.idempotence !== undefined
        ? new TransactionManager(
            ctx,
            { transactionalId, transactionTimeoutMs: c.transactionTimeoutMs, transactionVersion: c.transactionVersion, retryBackoffMs: c.retryBackoffMs, clientId: c.clientId },
            this.network,
            this.metadata,
            this.idempotence,
            { abortUndrainedBatches: (error) => this.abortUndrainedBatches(error), wake: () => this.wake() },
          )
        : undefined;
    this.accumulator = new RecordAccumulator(c, this.idempotence, this.transactionManager);
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
    if (this.closed || this.idempotence?.state === "fatal") {
      wrapped(failure(record.topic, record.partition, this.transactionManager?.lastError ?? CLIENT_ERRORS.producerFatal, true));
      return;
    }
    const ready = this.transactionManager?.failIfNotReadyForSend();
    if (ready !== undefined && !ready.ok) {
      wrapped(failure(record.topic, record.partition, ready.error, true));
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

  // ---- transactions (Java's KafkaProducer transactional API, callbacks for its blocking calls) ----

  /**
   * initTransactions: finds the transaction coordinator and gets the producer id and epoch with
   * InitProducerId (which fences every older instance of the transactional id). The callback
   * runs when it succeeded or failed for good (there is no max.block.ms: calling again while it
   * is pending joins it, as retrying after Java's TimeoutException does).
   */
  initTransactions(callback: TxnCallback): void {
    const tm = this.requireTransactional();
    tm.initializeTransactions().onComplete(callback);
    this.wake();
  }

  /** beginTransaction: no request; fails if the producer is in an error state. */
  beginTransaction(): TxnCallResult {
    return this.requireTransactional().beginTransaction();
  }

  /** sendOffsetsToTransaction: TV1 AddOffsetsToTxn then TxnOffsetCommit; TV2 TxnOffsetCommit only. */
  sendOffsetsToTransaction(offsets: readonly PartitionOffset[], groupMetadata: ConsumerGroupMetadata, callback: TxnCallback): void {
    this.requireTransactional().sendOffsetsToTransaction(offsets, groupMetadata).onComplete(callback);
    this.wake();
  }

  /** commitTransaction: flushes every batch, then EndTxn(COMMIT). */
  commitTransaction(callback: EndTransactionCallback): void {
    const tm = this.requireTransactional();
    tm.beginCommit().onComplete((result) => callback(this.endResult(tm, result, "committed")));
    this.wake();
  }

  /** abortTransaction: fails the batches not yet sent, waits for those in flight, then EndTxn(ABORT). */
  abortTransaction(callback: EndTransactionCallback): void {
    const tm = this.requireTransactional();
    tm.beginAbort().onComplete((result) => callback(this.endResult(tm, result, "aborted")));
    this.wake();
  }

  /** Closes at once (Java's close(Duration.ZERO)): pending calls and records fail, later calls fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transactionManager?.close();
    this.abortAllBatches(TXN_CLIENT_ERRORS.producerClosed);
    this.wakeup.cancel();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The transaction manager's state, undefined without a transactionalId. */
  get transactionState(): TransactionState | undefined {
    return this.transactionManager?.state;
  }

  /** The error that put the transaction manager in its abortable or fatal state, if any. */
  get transactionError(): string | undefined {
    return this.transactionManager?.lastError;
  }

  /** Whether InitProducerId ever left the producer (older instances of the id may then be fenced). */
  get initProducerIdAttempted(): boolean {
    return this.transactionManager?.initProducerIdAttempted ?? false;
  }

  /** The current transaction's outcome if it ended now: unknown once an EndTxn(COMMIT) was sent. */
  unresolvedTransactionOutcome(error: string): TransactionOutcome | undefined {
    return this.transactionManager?.unresolvedOutcome(error);
  }

  private requireTransactional(): TransactionManager {
    if (this.transactionManager === undefined) throw new TransactionStateError("transactional method called on a producer without a transactionalId");
    return this.transactionManager;
  }

  private endResult(tm: TransactionManager, result: TxnCallResult, kind: "committed" | "aborted"): EndTransactionResult {
    if (result.ok) return { ok: true, outcome: { kind, ...tm.transactionProducerIdAndEpoch } };
    const over = result.errorClass === "fatal";
    return { ok: false, error: result.error, errorClass: result.errorClass, outcome: over ? tm.unresolvedOutcome(result.error) : undefined };
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
    if (this.closed) return false;
    const now = clientNowUs(this.ctx);
    const waitDeadline = this.processWaiting(now);
    if (this.transactionManager !== undefined) return this.runOnceTransactional(now, waitDeadline, this.transactionManager);
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

  /** Sender.runOnce with a transaction manager: its requests go first, one at a time. */
  private runOnceTransactional(now: SimTimeUs, waitDeadline: SimTimeUs | undefined, tm: TransactionManager): boolean {
    if (this.idempotence?.maybeResolveSequences() === true) tm.onSequencesLost();
    if (tm.hasFatalError) {
      this.abortAllBatches(tm.lastError ?? CLIENT_ERRORS.producerFatal);
      this.wakeup.set(undefined);
      return false;
    }
    const step = tm.maybeSendTransactionalRequest(now, () => this.incomplete > 0);
    if (step.busy) {
      this.wakeup.set(earliest(waitDeadline, step.wakeAtUs, this.accumulator.nextExpiryUs(), this.nextInFlightExpiryUs()));
      return step.sent;
    }
    const { sent, nextUs } = this.sendProducerData(now, tm.isCompleting);
    this.wakeup.set(earliest(waitDeadline, nextUs));
    return sent || step.sent;
  }

  /** Java's abortUndrainedBatches, plus the records still waiting for their topic's metadata. */
  private abortUndrainedBatches(error: string): void {
    for (const batch of this.accumulator.takeNeverDrained()) this.abortBatch(batch, error);
    for (const w of this.waiting.splice(0)) w.callback(failure(w.record.topic, w.record.partition, error, true));
  }

  /** Java's abortBatches on a fatal error or close: every incomplete batch fails now, in flight or not. */
  private abortAllBatches(error: string): void {
    for (const batch of this.accumulator.takeUndrained()) this.abortBatch(batch, error);
    for (const list of this.inFlightBatches.values()) {
      for (const batch of list.splice(0)) {
        batch.maybeWritten = true;
        this.abortBatch(batch, error);
      }
    }
    for (const w of this.waiting.splice(0)) w.callback(failure(w.record.topic, w.record.partition, error, true));
  }

  /** Fails a batch without telling the transaction manager (Java's batch.abort). */
  private abortBatch(batch: ProducerBatch, error: string): void {
    if (batch.done) return;
    batch.done = true;
    const definite = !batch.maybeWritten;
    this.ctx.trace("producer.batch-aborted", { owner: this.config.clientId, tp: batch.tp, records: batch.recordCount, error, definite });
    for (const r of batch.records) r.callback(failure(batch.topic, batch.partition, error, definite));
  }

  private sendProducerData(now: SimTimeUs, flushing = false): { sent: boolean; nextUs: SimTimeUs | undefined } {
    this.expireBatches(now);
    const ready = this.accumulator.ready(this.metadata, now, flushing);
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
      transactionalId: this.config.transactionalId,
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
    if (this.closed) return;
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
    this.transactionManager?.onBatchFailed(error);
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
    if (this.closed) {
      callback(failure(record.topic, record.partition, TXN_CLIENT_ERRORS.producerClosed, true));
      return;
    }
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
    const added = this.transactionManager?.maybeAddPartition(record.topic, partition);
    if (added !== undefined && !added.ok) {
      callback(failure(record.topic, partition, added.error, true));
      return;
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
