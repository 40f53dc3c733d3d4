import { expect } from "vitest";
import type { TopicPartition } from "../../../../src/nodes/kafka/protocol.js";
import { txnCoordinatorConfig, type TxnCoordinatorConfig } from "../../../../src/nodes/kafka/txn/config.js";
import {
  handleAddOffsetsToTxn,
  handleAddPartitionsToTxn,
  handleEndTxn,
  handleInitProducerId,
  maybeWriteTxnCompletion,
  onAppendCompleted,
  onMarkersWritten,
  onPartitionLoaded,
  type AppendCompletion,
  type TxnCoordinatorContext,
  type TxnDecision,
  type TxnLogAppend,
} from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import type { TxnError } from "../../../../src/nodes/kafka/txn/errors.js";
import type { TxnMarkerWork } from "../../../../src/nodes/kafka/txn/markers.js";
import type { TransactionResult, TransactionVersion, TxnReply } from "../../../../src/nodes/kafka/txn/protocol.js";
import { TransactionStateCache } from "../../../../src/nodes/kafka/txn/state-cache.js";
import type { TransactionLogRecord } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import type { TransactionMetadata, TxnTransitMetadata } from "../../../../src/nodes/kafka/txn/transaction-metadata.js";

/**
 * A stand-in for the coordinator actor: one cache, a clock, a producer-id block, and a
 * `__transaction_state` log per partition that successful appends go to. Decisions are applied
 * with a chosen append outcome, exactly as the actor will: append, then `onAppendCompleted`.
 */
export class CoordinatorDriver {
  readonly config: TxnCoordinatorConfig;
  readonly cache: TransactionStateCache;
  readonly bugs = new Set<string>();
  readonly logs = new Map<number, TransactionLogRecord[]>();
  nowMs = 1_000_000;
  nextProducerId = 1000;
  producerIdsAvailable = true;
  coordinatorEpoch = 0;
  /** Appends performed, in order (successful or not). */
  readonly appends: TxnLogAppend[] = [];

  constructor(options: { config?: Partial<TxnCoordinatorConfig>; bugs?: readonly string[] } = {}) {
    this.config = txnCoordinatorConfig({ transactionStateTopicPartitions: 4, ...options.config });
    this.cache = new TransactionStateCache(this.config);
    for (const bug of options.bugs ?? []) this.bugs.add(bug);
    for (let p = 0; p < this.config.transactionStateTopicPartitions; p++) this.becomeLeader(p, 0);
  }

  get ctx(): TxnCoordinatorContext {
    return {
      nowMs: this.nowMs,
      config: this.config,
      bugs: this.bugs,
      producerIds: { generateProducerId: () => (this.producerIdsAvailable ? this.nextProducerId++ : undefined) },
    };
  }

  /** Elected leader of a partition at `epoch`: loads whatever its log holds. Returns the markers to resend. */
  becomeLeader(partition: number, epoch: number): TxnMarkerWork[] {
    this.cache.startLoading(partition, epoch);
    this.coordinatorEpoch = epoch;
    return onPartitionLoaded(this.cache, partition, epoch, this.logs.get(partition) ?? [], this.ctx) ?? [];
  }

  metadata(transactionalId: string): TransactionMetadata {
    const lookup = this.cache.get(transactionalId);
    if (!lookup.ok || lookup.metadata === undefined) throw new Error(`no metadata for ${transactionalId}`);
    return lookup.metadata;
  }

  has(transactionalId: string): boolean {
    const lookup = this.cache.get(transactionalId);
    return lookup.ok && lookup.metadata !== undefined;
  }

  /** Performs an append with the given outcome (NONE: the record enters the log) and completes it. */
  complete(append: TxnLogAppend, appendError: TxnError = "NONE"): AppendCompletion {
    this.appends.push(append);
    if (appendError === "NONE" || appendError === "NOT_ENOUGH_REPLICAS_AFTER_APPEND") {
      const log = this.logs.get(append.partition) ?? [];
      log.push(append.record);
      this.logs.set(append.partition, log);
    }
    return onAppendCompleted(this.cache, append, appendError, this.ctx);
  }

  /** Applies a decision: a reply as is, an append with the given outcome. */
  apply(decision: TxnDecision, appendError: TxnError = "NONE"): Outcome {
    if (decision.kind === "reply") return { appended: false, reply: decision.reply, markers: undefined };
    const completion = this.complete(decision.append, appendError);
    return { appended: true, reply: completion.reply, markers: completion.markers, append: decision.append };
  }

  initProducerId(transactionalId: string | null, options: { timeoutMs?: number; producerId?: number; producerEpoch?: number; appendError?: TxnError } = {}): Outcome {
    const decision = handleInitProducerId(
      this.cache,
      { transactionalId, transactionTimeoutMs: options.timeoutMs ?? 60_000, producerId: options.producerId ?? -1, producerEpoch: options.producerEpoch ?? -1 },
      this.ctx,
    );
    return this.apply(decision, options.appendError);
  }

  /** InitProducerId that must succeed; returns the producer id and epoch handed out. */
  init(transactionalId: string, options: { timeoutMs?: number; producerId?: number; producerEpoch?: number } = {}): { producerId: number; producerEpoch: number } {
    const reply = this.initProducerId(transactionalId, options).reply;
    expect(reply).toMatchObject({ api: "InitProducerId", error: "NONE" });
    return { producerId: (reply as InitReply).producerId, producerEpoch: (reply as InitReply).producerEpoch };
  }

  addPartitions(
    transactionalId: string | null,
    producer: Producer,
    partitions: readonly TopicPartition[],
    options: { verifyOnly?: boolean; transactionVersion?: TransactionVersion; appendError?: TxnError } = {},
  ): Outcome {
    const decision = handleAddPartitionsToTxn(
      this.cache,
      { transactionalId, ...producer, partitions, verifyOnly: options.verifyOnly ?? false, transactionVersion: options.transactionVersion ?? this.config.transactionVersion },
      this.ctx,
    );
    return this.apply(decision, options.appendError);
  }

  addOffsets(transactionalId: string, producer: Producer, groupId: string, options: { appendError?: TxnError } = {}): Outcome {
    const decision = handleAddOffsetsToTxn(this.cache, { transactionalId, ...producer, groupId, transactionVersion: this.config.transactionVersion }, this.ctx);
    return this.apply(decision, options.appendError);
  }

  endTxn(transactionalId: string | null, producer: Producer, result: TransactionResult, options: { transactionVersion?: TransactionVersion; appendError?: TxnError } = {}): Outcome {
    const decision = handleEndTxn(this.cache, { transactionalId, ...producer, result, transactionVersion: options.transactionVersion ?? this.config.transactionVersion }, this.ctx);
    return this.apply(decision, options.appendError);
  }

  /** Every marker is written and Complete* is appended (with the given outcome). */
  writeMarkers(work: TxnMarkerWork, completeError: TxnError = "NONE"): AppendCompletion | undefined {
    const progress =
      work.entry.partitions.length === 0
        ? maybeWriteTxnCompletion(this.cache, work, this.ctx)
        : onMarkersWritten(
            this.cache,
            work,
            work.entry.partitions.map((partition) => ({ partition, error: "NONE" as const })),
            this.ctx,
          );
    if (progress.kind !== "append") return undefined;
    return this.complete(progress.append, completeError);
  }

  /** A transaction with `partitions` added, under the cluster's transaction version. */
  begin(transactionalId: string, producer: Producer, partitions: readonly TopicPartition[] = [TP0]): void {
    expect(this.addPartitions(transactionalId, producer, partitions).reply).toMatchObject({ results: partitions.map(() => ({ error: "NONE" })) });
  }

  /** EndTxn that must succeed, with its markers written; returns the producer the client continues with. */
  finish(transactionalId: string, producer: Producer, result: TransactionResult): Producer {
    const outcome = this.endTxn(transactionalId, producer, result);
    expect(outcome.reply).toMatchObject({ api: "EndTxn", error: "NONE" });
    this.writeMarkers(outcome.markers as TxnMarkerWork);
    const reply = outcome.reply as EndTxnReply;
    // As the Java client: adopt the id and epoch an EndTxn v5 answer names (-1 means none).
    return this.config.transactionVersion >= 2 && reply.producerId !== -1 ? { producerId: reply.producerId, producerEpoch: reply.producerEpoch } : producer;
  }
}

export interface Producer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface Outcome {
  readonly appended: boolean;
  readonly reply: TxnReply | undefined;
  readonly markers: TxnMarkerWork | undefined;
  readonly append?: TxnLogAppend;
}

export type InitReply = Extract<TxnReply, { api: "InitProducerId" }>;
export type EndTxnReply = Extract<TxnReply, { api: "EndTxn" }>;

export const TP0: TopicPartition = { topic: "out", partition: 0 };
export const TP1: TopicPartition = { topic: "out", partition: 1 };
export const TP2: TopicPartition = { topic: "other", partition: 0 };

/** The value, which the test expects to be there. */
export function must<T>(value: T | undefined | null, what = "value"): T {
  if (value === undefined || value === null) throw new Error(`expected a ${what}`);
  return value;
}

/** A prepare that may refuse with PRODUCER_FENCED, which the test expects to succeed. */
export function transit(prepared: TxnTransitMetadata | "PRODUCER_FENCED"): TxnTransitMetadata {
  if (prepared === "PRODUCER_FENCED") throw new Error("expected a transition, got PRODUCER_FENCED");
  return prepared;
}
