import type { NodeContext } from "../../../../sim/actor.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import { isRetriable, type KafkaError } from "../errors.js";
import { partitionKey, type CoordinatorType, type KafkaResponse, type PartitionOffset, type TopicPartition } from "../protocol.js";
import type { TransactionResult } from "../txn/protocol.js";
import type { IdempotenceManager } from "./idempotence.js";
import type { Metadata } from "./metadata.js";
import type { ClientResponse, NetworkClient, RequestBody } from "./network-client.js";
import { earliest } from "./wakeup.js";

/** Java's TransactionManager.State. */
export type TransactionState =
  | "UNINITIALIZED"
  | "INITIALIZING"
  | "READY"
  | "IN_TRANSACTION"
  | "COMMITTING_TRANSACTION"
  | "ABORTING_TRANSACTION"
  | "ABORTABLE_ERROR"
  | "FATAL_ERROR";

/** KIP-1050: what an application does after a failed call (retriable errors never reach it). */
export type TxnErrorClass = "abortable" | "fatal";

/** Errors of the transactional client that are not Kafka error codes. */
export const TXN_CLIENT_ERRORS = {
  /** Unsent batches of an aborted transaction (Java's TransactionAbortedException). */
  transactionAborted: "TRANSACTION_ABORTED",
  /** A method called in a state that does not allow it (Java's IllegalStateException). */
  illegalState: "ILLEGAL_STATE",
  /** The producer was closed with the call pending. */
  producerClosed: "PRODUCER_CLOSED",
  /** Retried batches expired without an acknowledgement: the transaction must abort. */
  unackedBatches: "UNACKED_BATCHES_EXPIRED",
} as const;

export type TxnCallResult = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly errorClass: TxnErrorClass };

/**
 * What is known about a transaction once it is over, for the history:
 * - `committed`: EndTxn(COMMIT) was answered NONE (or there was nothing to commit);
 * - `aborted`: EndTxn(ABORT) was answered NONE (or there was nothing to abort);
 * - `not-committed`: the producer failed or closed and no EndTxn(COMMIT) ever left it;
 * - `unknown`: an EndTxn(COMMIT) was sent, no NONE came back, and the producer failed or closed.
 * `producerId`/`producerEpoch` are those the transaction was written with.
 */
export type TransactionOutcome =
  | { readonly kind: "committed"; readonly producerId: number; readonly producerEpoch: number }
  | { readonly kind: "aborted"; readonly producerId: number; readonly producerEpoch: number }
  | { readonly kind: "not-committed"; readonly error: string }
  | { readonly kind: "unknown"; readonly error: string };

/** KIP-447 group metadata, as sendOffsetsToTransaction takes it. */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export class TransactionStateError extends Error {
  override readonly name = "TransactionStateError";
}

/** Java's TransactionalRequestResult, with callbacks instead of await. */
export class TransactionalRequestResult {
  private outcome: TxnCallResult | undefined;
  private readonly listeners: ((result: TxnCallResult) => void)[] = [];

  get isCompleted(): boolean {
    return this.outcome !== undefined;
  }

  done(): void {
    this.complete({ ok: true });
  }

  fail(error: string, errorClass: TxnErrorClass): void {
    this.complete({ ok: false, error, errorClass });
  }

  /** `listener` runs once the result completes (at once if it has). */
  onComplete(listener: (result: TxnCallResult) => void): void {
    if (this.outcome !== undefined) listener(this.outcome);
    else this.listeners.push(listener);
  }

  private complete(outcome: TxnCallResult): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    for (const listener of this.listeners.splice(0)) listener(outcome);
  }
}

/** Java's Priority: lower goes first. */
const PRIORITY = { FindCoordinator: 0, InitProducerId: 1, AddPartitionsOrOffsets: 2, EndTxn: 3, EpochBump: 4 } as const;

/** Java's ADD_PARTITIONS_RETRY_BACKOFF_MS: the first AddPartitionsToTxn of a transaction retries CONCURRENT_TRANSACTIONS fast. */
export const ADD_PARTITIONS_RETRY_BACKOFF_MS = 20;

type PendingRequest =
  | { readonly api: "FindCoordinator"; readonly keyType: CoordinatorType; readonly key: string }
  | { readonly api: "InitProducerId"; readonly isEpochBump: boolean; readonly producerId: number; readonly producerEpoch: number }
  | { readonly api: "AddPartitionsToTxn"; readonly partitions: readonly TopicPartition[]; readonly producerId: number; readonly producerEpoch: number }
  | {
      readonly api: "AddOffsetsToTxn";
      readonly offsets: readonly PartitionOffset[];
      readonly group: ConsumerGroupMetadata;
      readonly producerId: number;
      readonly producerEpoch: number;
    }
  | { readonly api: "TxnOffsetCommit"; readonly group: ConsumerGroupMetadata; readonly producerId: number; readonly producerEpoch: number }
  | { readonly api: "EndTxn"; readonly result: TransactionResult; readonly producerId: number; readonly producerEpoch: number };

/** Java's TxnRequestHandler: a request, its result and its retry state. */
interface TxnHandler {
  readonly request: PendingRequest;
  readonly result: TransactionalRequestResult;
  readonly priority: number;
  /** Enqueue order, to keep equal priorities first-in first-out. */
  order: number;
  isRetry: boolean;
  /** AddPartitionsToTxn lowers it on CONCURRENT_TRANSACTIONS (see ADD_PARTITIONS_RETRY_BACKOFF_MS). */
  retryBackoffMs: number;
  /** While a retry backs off (Java's Sender sleeps, holding produce too). */
  sendNotBeforeUs: SimTimeUs | undefined;
}

export interface TransactionManagerConfig {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly transactionVersion: 1 | 2;
  readonly retryBackoffMs: number;
  readonly clientId: string;
}

/** What the transaction manager needs from its producer. */
export interface TransactionalProducerHooks {
  /** Fails the batches never drained (and records not yet appended) with `error`. */
  abortUndrainedBatches(error: string): void;
  /** Runs the sender loop again. */
  wake(): void;
}

/** What a pass of the transactional part of the sender loop did. */
export interface TxnSendStep {
  /** True: do not send produce data in this pass (a transactional request is out, or the loop is backing off). */
  readonly busy: boolean;
  readonly sent: boolean;
  readonly wakeAtUs: SimTimeUs | undefined;
}

type EndTxnResponse = Extract<KafkaResponse, { type: "EndTxnResponse" }>;

/**
 * Kafka's TransactionManager (transactional half; sequences live in IdempotenceManager).
 *
 * One transactional request is out at a time, taken from a queue in Java's priority order
 * (FindCoordinator, InitProducerId, AddPartitions/AddOffsets/TxnOffsetCommit, EndTxn, epoch bump);
 * while one is out, or a retry backs off, no produce data is sent (Java's Sender does the same).
 * EndTxn waits until no batch is incomplete, so a commit flushes. Coordinator requests that find
 * the coordinator moved or gone (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection)
 * look it up again with FindCoordinator; other retriable errors retry after retry.backoff.ms.
 *
 * Transaction version 1 adds each new partition with AddPartitionsToTxn before its first batch
 * goes out, and offsets with AddOffsetsToTxn before TxnOffsetCommit. Version 2 (KIP-890) sends
 * neither: leaders add partitions, TxnOffsetCommit adds the offsets partition, and EndTxn answers
 * with the bumped epoch, which the client adopts. Under version 1 an abortable error bumps the
 * epoch with InitProducerId(current pid, epoch) once the abort completes (KIP-360).
 */
export class TransactionManager {
  private currentState: TransactionState = "UNINITIALIZED";
  private lastErrorValue: string | undefined;
  private readonly pending: TxnHandler[] = [];
  private enqueued = 0;
  /** The one transactional request out (Java's inFlightRequestCorrelationId). */
  private inFlight: TxnHandler | undefined;
  private closed = false;
  private transactionCoordinator: number | undefined;
  private groupCoordinator: number | undefined;
  private findRotation = 0;
  private readonly newPartitions = new Map<string, TopicPartition>();
  private readonly pendingPartitions = new Map<string, TopicPartition>();
  private readonly partitionsInTransaction = new Set<string>();
  private readonly pendingTxnOffsetCommits = new Map<string, PartitionOffset>();
  private transactionStarted = false;
  private clientSideEpochBumpRequired = false;
  private pendingTransition: { readonly result: TransactionalRequestResult; readonly state: TransactionState; readonly operation: string } | undefined;
  /** Per transaction, for its outcome: an EndTxn(COMMIT) left the client. */
  private commitSent = false;
  /** Per transaction: the producer id and epoch of its EndTxn (those its data carries). */
  private endedWith: { producerId: number; producerEpoch: number } | undefined;
  /** Whether an InitProducerId ever left the client (it may have fenced older instances). */
  private initProducerIdSent = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly config: TransactionManagerConfig,
    private readonly network: NetworkClient,
    private readonly metadata: Metadata,
    private readonly idempotence: IdempotenceManager,
    private readonly hooks: TransactionalProducerHooks,
  ) {}

  get state(): TransactionState {
    return this.currentState;
  }

  get lastError(): string | undefined {
    return this.lastErrorValue;
  }

  get isTransactionV2Enabled(): boolean {
    return this.config.transactionVersion === 2;
  }

  get hasFatalError(): boolean {
    return this.currentState === "FATAL_ERROR";
  }

  get hasAbortableError(): boolean {
    return this.currentState === "ABORTABLE_ERROR";
  }

  get isCompleting(): boolean {
    return this.currentState === "COMMITTING_TRANSACTION" || this.currentState === "ABORTING_TRANSACTION";
  }

  get hasInFlightRequest(): boolean {
    return this.inFlight !== undefined;
  }

  /** Whether an InitProducerId was ever sent: if so, older instances of the id may be fenced. */
  get initProducerIdAttempted(): boolean {
    return this.initProducerIdSent;
  }

  coordinator(type: CoordinatorType): number | undefined {
    return type === "TRANSACTION" ? this.transactionCoordinator : this.groupCoordinator;
  }

  isPartitionAdded(tp: string): boolean {
    return this.partitionsInTransaction.has(tp);
  }

  isPartitionPendingAdd(tp: string): boolean {
    return this.newPartitions.has(tp) || this.pendingPartitions.has(tp);
  }

  // ---- application calls ----

  initializeTransactions(): TransactionalRequestResult {
    return this.cachedTransition("INITIALIZING", "initTransactions", () => {
      const error = this.errorResult();
      if (error !== undefined) return failedResult(error);
      this.transitionTo("INITIALIZING");
      return this.enqueueInitProducerId(false).result;
    });
  }

  beginTransaction(): TxnCallResult {
    this.throwIfPendingState("beginTransaction");
    const error = this.errorResult();
    if (error !== undefined) return error;
    this.transitionTo("IN_TRANSACTION");
    this.commitSent = false;
    this.endedWith = undefined;
    return { ok: true };
  }

  beginCommit(): TransactionalRequestResult {
    return this.cachedTransition("COMMITTING_TRANSACTION", "commitTransaction", () => {
      const error = this.errorResult();
      if (error !== undefined) return failedResult(error);
      this.transitionTo("COMMITTING_TRANSACTION");
      return this.beginCompletingTransaction("COMMIT");
    });
  }

  beginAbort(): TransactionalRequestResult {
    return this.cachedTransition("ABORTING_TRANSACTION", "abortTransaction", () => {
      if (this.currentState !== "ABORTABLE_ERROR") {
        const error = this.errorResult();
        if (error !== undefined) return failedResult(error);
      }
      this.transitionTo("ABORTING_TRANSACTION");
      this.newPartitions.clear();
      return this.beginCompletingTransaction("ABORT");
    });
  }

  sendOffsetsToTransaction(offsets: readonly PartitionOffset[], group: ConsumerGroupMetadata): TransactionalRequestResult {
    this.throwIfPendingState("sendOffsetsToTransaction");
    const error = this.errorResult();
    if (error !== undefined) return failedResult(error);
    if (this.currentState !== "IN_TRANSACTION") throw new TransactionStateError(`cannot send offsets in state ${this.currentState}`);
    const { producerId, producerEpoch } = this.idempotence;
    if (this.isTransactionV2Enabled) {
      this.addPendingOffsets(offsets);
      this.transactionStarted = true;
      return this.enqueue({ api: "TxnOffsetCommit", group, producerId, producerEpoch }).result;
    }
    return this.enqueue({ api: "AddOffsetsToTxn", offsets, group, producerId, producerEpoch }).result;
  }

  /**
   * Java's maybeAddPartition, called as a record is appended: under TV2 the partition is in the
   * transaction at once; under TV1 it waits for AddPartitionsToTxn.
   */
  maybeAddPartition(topic: string, partition: number): TxnCallResult {
    const error = this.errorResult();
    if (error !== undefined) return error;
    // A record accepted by send before commitTransaction was called still belongs to the
    // transaction (Java's send blocks on metadata, so it cannot see the commit start first).
    if (!this.idempotence.hasProducerId || (this.currentState !== "IN_TRANSACTION" && this.currentState !== "COMMITTING_TRANSACTION")) {
      return { ok: false, error: TXN_CLIENT_ERRORS.illegalState, errorClass: "fatal" };
    }
    const tp = partitionKey(topic, partition);
    if (this.isTransactionV2Enabled) {
      this.partitionsInTransaction.add(tp);
      this.transactionStarted = true;
    } else if (!this.partitionsInTransaction.has(tp) && !this.isPartitionPendingAdd(tp)) {
      this.newPartitions.set(tp, { topic, partition });
    }
    return { ok: true };
  }

  /** Java's failIfNotReadyForSend: a record may only be sent inside a transaction. */
  failIfNotReadyForSend(): TxnCallResult {
    const error = this.errorResult();
    if (error !== undefined) return error;
    if (!this.idempotence.hasProducerId || this.currentState !== "IN_TRANSACTION") return { ok: false, error: TXN_CLIENT_ERRORS.illegalState, errorClass: "fatal" };
    return { ok: true };
  }

  isSendToPartitionAllowed(tp: string): boolean {
    return !this.hasFatalError && this.partitionsInTransaction.has(tp);
  }

  /** The transaction's outcome if it ended now (after a fatal error or close). */
  unresolvedOutcome(error: string): TransactionOutcome {
    return this.commitSent ? { kind: "unknown", error } : { kind: "not-committed", error };
  }

  /** The producer id and epoch the current transaction was written with. */
  get transactionProducerIdAndEpoch(): { readonly producerId: number; readonly producerEpoch: number } {
    return this.endedWith ?? { producerId: this.idempotence.producerId, producerEpoch: this.idempotence.producerEpoch };
  }

  /** Closes: every pending request fails, and every response that comes later is ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const error = TXN_CLIENT_ERRORS.producerClosed;
    this.inFlight?.result.fail(error, "fatal");
    for (const handler of this.pending.splice(0)) handler.result.fail(error, "fatal");
    this.pendingTransition?.result.fail(error, "fatal");
  }

  // ---- produce outcomes (Java's handleFailedBatch / maybeTransitionToErrorState) ----

  /** A batch failed for good with `error`. */
  onBatchFailed(error: string): void {
    if (this.closed) return;
    if (error === "PRODUCER_FENCED" || error === "UNSUPPORTED_VERSION") {
      this.transitionToFatalError(error);
      return;
    }
    if (!this.isTransactionV2Enabled && !this.isCompleting) this.clientSideEpochBumpRequired = true;
    this.transitionToAbortableError(error);
  }

  /** Retried batches of a partition expired unacknowledged (maybeResolveSequences). */
  onSequencesLost(): void {
    if (!this.isTransactionV2Enabled) this.clientSideEpochBumpRequired = true;
    this.transitionToAbortableError(TXN_CLIENT_ERRORS.unackedBatches);
  }

  // ---- the sender loop's transactional part (Java's maybeSendAndPollTransactionalRequest) ----

  maybeSendTransactionalRequest(now: SimTimeUs, hasIncomplete: () => boolean): TxnSendStep {
    if (this.closed) return { busy: false, sent: false, wakeAtUs: undefined };
    if (this.inFlight !== undefined) return { busy: true, sent: false, wakeAtUs: undefined };
    if (this.hasAbortableError) this.hooks.abortUndrainedBatches(this.lastErrorValue ?? TXN_CLIENT_ERRORS.transactionAborted);
    else if (this.currentState === "ABORTING_TRANSACTION") this.hooks.abortUndrainedBatches(TXN_CLIENT_ERRORS.transactionAborted);
    const handler = this.nextRequest(hasIncomplete());
    if (handler === undefined) return { busy: false, sent: false, wakeAtUs: undefined };
    const type = coordinatorTypeOf(handler.request);
    const target = type !== null ? this.coordinator(type) : this.leastLoadedNode();
    if (target === undefined && type !== null) {
      this.lookupCoordinatorAndRetry(handler, type);
      return { busy: true, sent: true, wakeAtUs: undefined };
    }
    if (target === undefined) {
      // No broker can take a request now (Java polls for retry.backoff.ms, then retries).
      this.retry(handler);
      const retryAtUs = earliest(now + msToUs(this.config.retryBackoffMs), ...this.metadata.candidates().map((id) => this.network.readyAtUs(id))) as SimTimeUs;
      handler.sendNotBeforeUs = retryAtUs;
      return { busy: true, sent: false, wakeAtUs: retryAtUs };
    }
    if (!this.network.isReady(target)) {
      if (type !== null && this.network.readyAtUs(target) !== undefined) {
        this.lookupCoordinatorAndRetry(handler, type);
        return { busy: true, sent: true, wakeAtUs: undefined };
      }
      // The connection is at its in-flight limit: wait for a response.
      this.putBack(handler);
      return { busy: true, sent: false, wakeAtUs: undefined };
    }
    if (handler.isRetry) {
      handler.sendNotBeforeUs ??= now + msToUs(handler.retryBackoffMs);
      if (now < handler.sendNotBeforeUs) {
        this.putBack(handler);
        return { busy: true, sent: false, wakeAtUs: handler.sendNotBeforeUs };
      }
    }
    handler.sendNotBeforeUs = undefined;
    this.send(target, handler);
    return { busy: true, sent: true, wakeAtUs: undefined };
  }

  // ---- queue ----

  private nextRequest(hasIncomplete: boolean): TxnHandler | undefined {
    if (this.newPartitions.size > 0) this.enqueueAddPartitions();
    let head = this.pending[0];
    while (head !== undefined && !(head.request.api === "EndTxn" && hasIncomplete) && this.maybeTerminateWithError(head)) {
      this.pending.shift();
      head = this.pending[0];
    }
    if (head === undefined) return undefined;
    if (head.request.api === "EndTxn" && hasIncomplete) return undefined;
    this.pending.shift();
    if (head.request.api === "EndTxn" && !this.transactionStarted) {
      // Nothing was sent or added: there is no transaction at the coordinator to end.
      this.endedWith = { producerId: head.request.producerId, producerEpoch: head.request.producerEpoch };
      head.result.done();
      if (!this.hasFatalError) this.completeTransaction();
      head = this.pending.shift();
    }
    return head;
  }

  private maybeTerminateWithError(handler: TxnHandler): boolean {
    if (this.currentState !== "ABORTABLE_ERROR" && this.currentState !== "FATAL_ERROR") return false;
    if (this.hasAbortableError && handler.request.api === "FindCoordinator") return false;
    handler.result.fail(this.lastErrorValue ?? "UNKNOWN_SERVER_ERROR", this.hasFatalError ? "fatal" : "abortable");
    return true;
  }

  private enqueue(request: PendingRequest, result = new TransactionalRequestResult()): TxnHandler {
    const handler: TxnHandler = {
      request,
      result,
      priority: priorityOf(request),
      order: this.enqueued++,
      isRetry: false,
      retryBackoffMs: this.config.retryBackoffMs,
      sendNotBeforeUs: undefined,
    };
    this.insert(handler);
    return handler;
  }

  private insert(handler: TxnHandler): void {
    let at = this.pending.length;
    while (at > 0) {
      const before = this.pending[at - 1] as TxnHandler;
      if (before.priority < handler.priority || (before.priority === handler.priority && before.order < handler.order)) break;
      at--;
    }
    this.pending.splice(at, 0, handler);
  }

  /** Back at the head of its priority, without counting as a retry. */
  private putBack(handler: TxnHandler): void {
    this.insert(handler);
  }

  private retry(handler: TxnHandler): void {
    handler.isRetry = true;
    handler.sendNotBeforeUs = undefined;
    handler.order = this.enqueued++;
    this.insert(handler);
  }

  private enqueueInitProducerId(isEpochBump: boolean): TxnHandler {
    const { producerId, producerEpoch } = isEpochBump ? this.idempotence : { producerId: -1, producerEpoch: -1 };
    return this.enqueue({ api: "InitProducerId", isEpochBump, producerId, producerEpoch });
  }

  private enqueueAddPartitions(): void {
    for (const [tp, part] of this.newPartitions) this.pendingPartitions.set(tp, part);
    this.newPartitions.clear();
    const { producerId, producerEpoch } = this.idempotence;
    this.enqueue({ api: "AddPartitionsToTxn", partitions: [...this.pendingPartitions.values()], producerId, producerEpoch });
  }

  private beginCompletingTransaction(result: TransactionResult): TransactionalRequestResult {
    if (this.newPartitions.size > 0) this.enqueueAddPartitions();
    const { producerId, producerEpoch } = this.idempotence;
    const endTxn = this.enqueue({ api: "EndTxn", result, producerId, producerEpoch });
    if (this.clientSideEpochBumpRequired) return this.enqueueInitProducerId(true).result;
    return endTxn.result;
  }

  private lookupCoordinator(type: CoordinatorType, key: string): void {
    if (type === "TRANSACTION") this.transactionCoordinator = undefined;
    else this.groupCoordinator = undefined;
    this.enqueue({ api: "FindCoordinator", keyType: type, key });
  }

  private lookupCoordinatorAndRetry(handler: TxnHandler, type: CoordinatorType): void {
    this.lookupCoordinator(type, coordinatorKeyOf(handler.request, this.config.transactionalId));
    this.retry(handler);
  }

  private leastLoadedNode(): number | undefined {
    const candidates = this.metadata.candidates();
    if (candidates.length === 0) return undefined;
    const shift = this.findRotation++ % candidates.length;
    return this.network.leastLoadedNode([...candidates.slice(shift), ...candidates.slice(0, shift)]);
  }

  // ---- sending and responses ----

  private send(target: number, handler: TxnHandler): void {
    this.inFlight = handler;
    const request = handler.request;
    if (request.api === "EndTxn" && request.result === "COMMIT") this.commitSent = true;
    if (request.api === "InitProducerId") this.initProducerIdSent = true;
    this.ctx.trace("producer.txn-request", { owner: this.config.clientId, api: request.api, broker: target, retry: handler.isRetry });
    this.network.send(target, this.bodyOf(request), (response: ClientResponse) => this.onResponse(handler, response));
  }

  private bodyOf(request: PendingRequest): RequestBody {
    const transactionalId = this.config.transactionalId;
    const transactionVersion = this.config.transactionVersion;
    switch (request.api) {
      case "FindCoordinator":
        return { type: "FindCoordinator", key: request.key, keyType: request.keyType };
      case "InitProducerId":
        return { type: "InitProducerId", transactionalId, transactionTimeoutMs: this.config.transactionTimeoutMs, producerId: request.producerId, producerEpoch: request.producerEpoch };
      case "AddPartitionsToTxn":
        return { type: "AddPartitionsToTxn", transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, partitions: request.partitions, verifyOnly: false, transactionVersion };
      case "AddOffsetsToTxn":
        return { type: "AddOffsetsToTxn", transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, groupId: request.group.groupId, transactionVersion };
      case "TxnOffsetCommit":
        return {
          type: "TxnOffsetCommit",
          transactionalId,
          groupId: request.group.groupId,
          producerId: request.producerId,
          producerEpoch: request.producerEpoch,
          generationId: request.group.generationId,
          memberId: request.group.memberId,
          groupInstanceId: request.group.groupInstanceId,
          offsets: [...this.pendingTxnOffsetCommits.values()],
        };
      case "EndTxn":
        return { type: "EndTxn", transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch, result: request.result, transactionVersion };
    }
  }

  private onResponse(handler: TxnHandler, response: ClientResponse): void {
    if (this.closed) return;
    this.inFlight = undefined;
    if (this.hasFatalError) {
      handler.result.fail(this.lastErrorValue ?? "UNKNOWN_SERVER_ERROR", "fatal");
      return;
    }
    if (response.kind === "disconnected") {
      const type = coordinatorTypeOf(handler.request);
      if (type !== null) this.lookupCoordinator(type, coordinatorKeyOf(handler.request, this.config.transactionalId));
      this.retry(handler);
    } else {
      this.handleResponse(handler, response.response);
    }
    this.hooks.wake();
  }

  private handleResponse(handler: TxnHandler, response: KafkaResponse): void {
    switch (response.type) {
      case "FindCoordinatorResponse":
        return this.handleFindCoordinator(handler, response.error, response.nodeId);
      case "InitProducerIdResponse":
        return this.handleInitProducerId(handler, response.error, response.producerId, response.producerEpoch);
      case "AddPartitionsToTxnResponse":
        return this.handleAddPartitions(handler, response.results);
      case "AddOffsetsToTxnResponse":
        return this.handleAddOffsets(handler, response.error);
      case "TxnOffsetCommitResponse":
        return this.handleTxnOffsetCommit(handler, response.results);
      case "EndTxnResponse":
        return this.handleEndTxn(handler, response);
      default:
        return this.fatalError(handler, "UNKNOWN_SERVER_ERROR");
    }
  }

  private handleFindCoordinator(handler: TxnHandler, error: KafkaError, nodeId: number): void {
    const request = handler.request;
    if (request.api !== "FindCoordinator") return;
    if (error === "NONE") {
      if (request.keyType === "TRANSACTION") this.transactionCoordinator = nodeId;
      else this.groupCoordinator = nodeId;
      this.ctx.trace("producer.coordinator", { owner: this.config.clientId, keyType: request.keyType, key: request.key, broker: nodeId });
      handler.result.done();
    } else if (isRetriable(error)) {
      this.retry(handler);
    } else {
      this.fatalError(handler, error);
    }
  }

  private handleInitProducerId(handler: TxnHandler, error: KafkaError, producerId: number, producerEpoch: number): void {
    const request = handler.request;
    if (request.api !== "InitProducerId") return;
    if (error === "NONE") {
      this.idempotence.setProducerIdAndEpoch(producerId, producerEpoch);
      this.transitionTo("READY");
      this.lastErrorValue = undefined;
      if (request.isEpochBump) this.idempotence.resetSequenceNumbers();
      handler.result.done();
    } else if (this.retriedOrRelocated(handler, error, "TRANSACTION")) {
      return;
    } else if (error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED") {
      this.fatalError(handler, "PRODUCER_FENCED");
    } else if (error === "TRANSACTION_ABORTABLE") {
      this.abortableError(handler, error);
    } else {
      this.fatalError(handler, error);
    }
  }

  private handleAddPartitions(handler: TxnHandler, results: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[]): void {
    handler.retryBackoffMs = this.config.retryBackoffMs;
    let partitionErrors = false;
    for (const { error } of results) {
      if (error === "NONE") continue;
      if (error === "CONCURRENT_TRANSACTIONS") {
        // The previous transaction is still completing: retry the first add of a transaction quickly.
        if (this.partitionsInTransaction.size === 0) handler.retryBackoffMs = Math.min(ADD_PARTITIONS_RETRY_BACKOFF_MS, this.config.retryBackoffMs);
        this.retry(handler);
        return;
      }
      if (this.retriedOrRelocated(handler, error, "TRANSACTION")) return;
      if (error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED") return this.fatalError(handler, "PRODUCER_FENCED");
      if (error === "INVALID_TXN_STATE" || error === "INVALID_PRODUCER_ID_MAPPING") return this.fatalError(handler, error);
      if (error === "UNKNOWN_PRODUCER_ID") return this.abortableErrorIfPossible(handler, error);
      if (error === "TRANSACTION_ABORTABLE") return this.abortableError(handler, error);
      partitionErrors = true;
    }
    for (const { topic, partition } of results) this.pendingPartitions.delete(partitionKey(topic, partition));
    if (partitionErrors) {
      this.abortableError(handler, "ADD_PARTITIONS_FAILED");
      return;
    }
    for (const { topic, partition } of results) this.partitionsInTransaction.add(partitionKey(topic, partition));
    this.transactionStarted = true;
    handler.result.done();
  }

  private handleAddOffsets(handler: TxnHandler, error: KafkaError): void {
    const request = handler.request;
    if (request.api !== "AddOffsetsToTxn") return;
    if (error === "NONE") {
      // The result completes only when TxnOffsetCommit does.
      this.addPendingOffsets(request.offsets);
      this.enqueue({ api: "TxnOffsetCommit", group: request.group, producerId: request.producerId, producerEpoch: request.producerEpoch }, handler.result);
      this.transactionStarted = true;
    } else if (this.retriedOrRelocated(handler, error, "TRANSACTION")) {
      return;
    } else if (error === "UNKNOWN_PRODUCER_ID") {
      this.abortableErrorIfPossible(handler, error);
    } else if (error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED") {
      this.fatalError(handler, "PRODUCER_FENCED");
    } else if (error === "INVALID_TXN_STATE" || error === "INVALID_PRODUCER_ID_MAPPING") {
      this.fatalError(handler, error);
    } else if (error === "TRANSACTION_ABORTABLE") {
      this.abortableError(handler, error);
    } else {
      this.fatalError(handler, error);
    }
  }

  private handleTxnOffsetCommit(handler: TxnHandler, results: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[]): void {
    const request = handler.request;
    if (request.api !== "TxnOffsetCommit") return;
    let relocated = false;
    for (const { topic, partition, error } of results) {
      if (error === "NONE") {
        this.pendingTxnOffsetCommits.delete(partitionKey(topic, partition));
      } else if (error === "COORDINATOR_NOT_AVAILABLE" || error === "NOT_COORDINATOR" || error === "REQUEST_TIMED_OUT") {
        if (!relocated) this.lookupCoordinator("GROUP", request.group.groupId);
        relocated = true;
      } else if (isRetriable(error)) {
        continue;
      } else if (error === "FENCED_INSTANCE_ID" || error === "TRANSACTION_ABORTABLE" || error === "UNKNOWN_MEMBER_ID" || error === "ILLEGAL_GENERATION") {
        this.abortableError(handler, error);
        break;
      } else if (error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED") {
        this.fatalError(handler, "PRODUCER_FENCED");
        break;
      } else {
        this.fatalError(handler, error);
        break;
      }
    }
    if (handler.result.isCompleted) this.pendingTxnOffsetCommits.clear();
    else if (this.pendingTxnOffsetCommits.size === 0) handler.result.done();
    else this.retry(handler);
  }

  private handleEndTxn(handler: TxnHandler, response: EndTxnResponse): void {
    const request = handler.request;
    if (request.api !== "EndTxn") return;
    const error = response.error;
    if (error === "NONE") {
      this.endedWith = { producerId: request.producerId, producerEpoch: request.producerEpoch };
      // EndTxn v5+ (TV2) carries the epoch the coordinator bumped to (or a new id on exhaustion).
      if (this.isTransactionV2Enabled && response.producerId !== -1) {
        this.idempotence.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
        this.idempotence.resetSequenceNumbers();
      }
      this.ctx.trace("producer.txn-ended", { owner: this.config.clientId, result: request.result, producerId: request.producerId, producerEpoch: request.producerEpoch });
      this.completeTransaction();
      handler.result.done();
    } else if (this.retriedOrRelocated(handler, error, "TRANSACTION")) {
      return;
    } else if (error === "INVALID_PRODUCER_EPOCH" || error === "PRODUCER_FENCED") {
      this.fatalError(handler, "PRODUCER_FENCED");
    } else if (error === "INVALID_TXN_STATE" || error === "INVALID_PRODUCER_ID_MAPPING") {
      this.fatalError(handler, error);
    } else if (error === "UNKNOWN_PRODUCER_ID") {
      this.abortableErrorIfPossible(handler, error);
    } else if (error === "TRANSACTION_ABORTABLE") {
      this.abortableError(handler, error);
    } else {
      this.fatalError(handler, error);
    }
  }

  /** NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE: look the coordinator up again; other retriable errors: retry. */
  private retriedOrRelocated(handler: TxnHandler, error: KafkaError, type: CoordinatorType): boolean {
    if (error === "NOT_COORDINATOR" || error === "COORDINATOR_NOT_AVAILABLE") {
      this.lookupCoordinatorAndRetry(handler, type);
      return true;
    }
    if (isRetriable(error)) {
      this.retry(handler);
      return true;
    }
    return false;
  }

  private addPendingOffsets(offsets: readonly PartitionOffset[]): void {
    for (const offset of offsets) this.pendingTxnOffsetCommits.set(partitionKey(offset.topic, offset.partition), offset);
  }

  // ---- state ----

  private completeTransaction(): void {
    this.transitionTo(this.clientSideEpochBumpRequired ? "INITIALIZING" : "READY");
    this.lastErrorValue = undefined;
    this.clientSideEpochBumpRequired = false;
    this.transactionStarted = false;
    this.newPartitions.clear();
    this.pendingPartitions.clear();
    this.partitionsInTransaction.clear();
  }

  // The state moves before the result completes: its callbacks must see the new state.
  private fatalError(handler: TxnHandler, error: string): void {
    this.transitionToFatalError(error);
    handler.result.fail(error, "fatal");
  }

  private abortableError(handler: TxnHandler, error: string): void {
    this.transitionToAbortableError(error);
    handler.result.fail(error, "abortable");
  }

  /** Recovery from an abortable error needs an epoch bump: from the client under TV1 (KIP-360), by EndTxn under TV2. */
  private abortableErrorIfPossible(handler: TxnHandler, error: string): void {
    if (!this.isTransactionV2Enabled) this.clientSideEpochBumpRequired = true;
    this.abortableError(handler, error);
  }

  private transitionToAbortableError(error: string): void {
    if (this.currentState === "ABORTING_TRANSACTION" || this.hasFatalError) return;
    if (!isTransitionValid(this.currentState, "ABORTABLE_ERROR")) {
      this.transitionToFatalError(error);
      return;
    }
    this.ctx.trace("producer.txn-abortable", { owner: this.config.clientId, error, from: this.currentState });
    this.currentState = "ABORTABLE_ERROR";
    this.lastErrorValue = error;
  }

  private transitionToFatalError(error: string): void {
    if (this.hasFatalError) return;
    this.ctx.trace("producer.fatal", { owner: this.config.clientId, error, from: this.currentState });
    this.currentState = "FATAL_ERROR";
    this.lastErrorValue = error;
    this.idempotence.transitionToFatal(error);
    // The producer closes: nothing queued will be sent, and the request out will not be heard.
    this.inFlight?.result.fail(error, "fatal");
    for (const handler of this.pending.splice(0)) handler.result.fail(error, "fatal");
    this.pendingTransition?.result.fail(error, "fatal");
    this.hooks.wake();
  }

  private transitionTo(target: TransactionState): void {
    if (!isTransitionValid(this.currentState, target)) {
      throw new TransactionStateError(`${this.config.transactionalId}: invalid transition from ${this.currentState} to ${target}`);
    }
    this.ctx.trace("producer.txn-state", { owner: this.config.clientId, from: this.currentState, to: target });
    this.currentState = target;
    this.lastErrorValue = undefined;
  }

  /** Java's maybeFailWithError, as a result instead of an exception. */
  private errorResult(): TxnCallResult | undefined {
    if (this.closed) return { ok: false, error: TXN_CLIENT_ERRORS.producerClosed, errorClass: "fatal" };
    if (this.currentState === "FATAL_ERROR") return { ok: false, error: this.lastErrorValue ?? "UNKNOWN_SERVER_ERROR", errorClass: "fatal" };
    if (this.currentState === "ABORTABLE_ERROR") return { ok: false, error: this.lastErrorValue ?? "UNKNOWN_SERVER_ERROR", errorClass: "abortable" };
    return undefined;
  }

  /**
   * Java's handleCachedTransactionRequestResult: calling the same operation again while its result
   * is pending joins it (as Java does after a TimeoutException); another operation is illegal.
   */
  private cachedTransition(state: TransactionState, operation: string, start: () => TransactionalRequestResult): TransactionalRequestResult {
    const pending = this.pendingTransition;
    if (pending !== undefined && !pending.result.isCompleted) {
      if (pending.state !== state) throw new TransactionStateError(`cannot ${operation}: ${pending.operation} is still pending`);
      return pending.result;
    }
    const result = start();
    if (!result.isCompleted) this.pendingTransition = { result, state, operation };
    return result;
  }

  private throwIfPendingState(operation: string): void {
    const pending = this.pendingTransition;
    if (pending !== undefined && !pending.result.isCompleted) throw new TransactionStateError(`cannot ${operation}: ${pending.operation} is still pending`);
  }
}

/** Java's State.isTransitionValid. */
export function isTransitionValid(source: TransactionState, target: TransactionState): boolean {
  switch (target) {
    case "UNINITIALIZED":
      return source === "READY";
    case "INITIALIZING":
      return source === "UNINITIALIZED" || source === "ABORTING_TRANSACTION";
    case "READY":
      return source === "INITIALIZING" || source === "COMMITTING_TRANSACTION" || source === "ABORTING_TRANSACTION";
    case "IN_TRANSACTION":
      return source === "READY";
    case "COMMITTING_TRANSACTION":
      return source === "IN_TRANSACTION";
    case "ABORTING_TRANSACTION":
      return source === "IN_TRANSACTION" || source === "ABORTABLE_ERROR";
    case "ABORTABLE_ERROR":
      return source === "IN_TRANSACTION" || source === "COMMITTING_TRANSACTION" || source === "ABORTABLE_ERROR";
    case "FATAL_ERROR":
      return true;
  }
}

function failedResult(error: TxnCallResult): TransactionalRequestResult {
  const result = new TransactionalRequestResult();
  if (!error.ok) result.fail(error.error, error.errorClass);
  return result;
}

function priorityOf(request: PendingRequest): number {
  switch (request.api) {
    case "FindCoordinator":
      return PRIORITY.FindCoordinator;
    case "InitProducerId":
      return request.isEpochBump ? PRIORITY.EpochBump : PRIORITY.InitProducerId;
    case "AddPartitionsToTxn":
    case "AddOffsetsToTxn":
    case "TxnOffsetCommit":
      return PRIORITY.AddPartitionsOrOffsets;
    case "EndTxn":
      return PRIORITY.EndTxn;
  }
}

function coordinatorTypeOf(request: PendingRequest): CoordinatorType | null {
  switch (request.api) {
    case "FindCoordinator":
      return null;
    case "TxnOffsetCommit":
      return "GROUP";
    default:
      return "TRANSACTION";
  }
}

function coordinatorKeyOf(request: PendingRequest, transactionalId: string): string {
  return request.api === "TxnOffsetCommit" ? request.group.groupId : transactionalId;
}
