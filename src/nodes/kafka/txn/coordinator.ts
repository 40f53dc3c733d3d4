import type { TraceFields } from "../../../../sim/trace.js";
import { msToUs } from "../../../../sim/time.js";
import type { BrokerServices, CoordinatorFactory, HostedCoordinator } from "../coordinator-host.js";
import type { KafkaError } from "../errors.js";
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, type Acks, type GroupAndTxnResponse, type KafkaResponse, type TopicPartition } from "../protocol.js";
import { TXN_BUGS } from "./bugs.js";
import { txnCoordinatorConfig, type TxnCoordinatorConfig } from "./config.js";
import {
  abortTimedOutTransactions,
  expireTransactionalIds,
  handleAddOffsetsToTxn,
  handleAddPartitionsToTxn,
  handleEndTxn,
  handleInitProducerId,
  onAppendCompleted,
  onPartitionLoaded,
  onTombstonesAppended,
  type AfterAppend,
  type TxnCoordinatorContext,
  type TxnDecision,
  type TxnIdExpiration,
  type TxnLogAppend,
} from "./coordinator-logic.js";
import { TXN_ASSERTIONS, TXN_COVERAGE } from "./coverage.js";
import type { TxnError } from "./errors.js";
import { TxnMarkerChannel } from "./marker-channel.js";
import { TRANSACTION_STATE_TOPIC, type TransactionVersion, type TxnReply } from "./protocol.js";
import { TransactionStateCache } from "./state-cache.js";
import { recordsOfBatches, toKafkaRecord } from "./transaction-log.js";
import { IllegalTxnStateError, type TransactionState, type TxnTransitMetadata } from "./transaction-metadata.js";

/**
 * The transaction coordinator a broker hosts (Kafka's TransactionCoordinator with its
 * TransactionStateManager and TransactionMarkerChannelManager): it owns the
 * `__transaction_state` partitions the broker leads and drives the pure logic of
 * coordinator-logic.ts with the broker's services.
 *
 * - Loading: on election the partition answers COORDINATOR_LOAD_IN_PROGRESS until it is read
 *   from the local log, start to end (as Kafka's loader, which reads up to the log end, not the
 *   high watermark: records a failover may still truncate are loaded too); then the markers of
 *   every PrepareCommit / PrepareAbort are sent again. On resignation the partition is unloaded,
 *   its marker work dropped and requests waiting on its appends answered NOT_COORDINATOR.
 * - Appends to `__transaction_state` go through the broker with acks=all (acks=1 under
 *   `txn-log-acks-1`); the answer is sent only once the append completes.
 * - Timers on the broker's monotonic clock run the timeout scan and transactional-id expiry,
 *   which compare timestamps against the broker's wall clock (a skewed clock aborts early or late).
 * - An IllegalTxnStateError from the logic is a model error: an `always` assertion fails and
 *   the request gets UNKNOWN_SERVER_ERROR (Kafka's Errors.forException of IllegalStateException).
 */

type CoordinatorRequest = Parameters<HostedCoordinator["onRequest"]>[1];
/** The requests this coordinator answers. */
type TxnRequest = Extract<CoordinatorRequest, { type: "InitProducerId" | "AddPartitionsToTxn" | "AddOffsetsToTxn" | "EndTxn" }>;

/** What a `txn.state` record tells about a transition. */
type TracedTransition = Pick<TxnTransitMetadata, "txnState" | "producerId" | "producerEpoch" | "topicPartitions">;

/** Where an answer goes. */
interface Requester {
  readonly from: string;
  readonly correlationId: number;
}

/** An append to `__transaction_state` waiting for the broker. */
interface InFlightAppend {
  readonly append: TxnLogAppend;
  readonly requester: Requester | undefined;
  /** The metadata's producer id before the transition (a change is a producer-id rotation). */
  readonly producerIdBefore: number;
  /** The partition was resigned or re-elected meanwhile: the requester has been answered. */
  abandoned: boolean;
}

/** A transactional id as the coordinator holds it (read-only, for harnesses and tests). */
export interface TransactionStateView {
  readonly state: TransactionState;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly partitions: readonly TopicPartition[];
  readonly pendingState: TransactionState | null;
  readonly coordinatorEpoch: number;
  readonly txnTimeoutMs: number;
}

const HANDLED = new Set<string>(["InitProducerId", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn"]);

export class TransactionCoordinator implements HostedCoordinator {
  readonly topic = TRANSACTION_STATE_TOPIC;
  private readonly cache: TransactionStateCache;
  private readonly markers: TxnMarkerChannel;
  private readonly appends = new Set<InFlightAppend>();

  constructor(
    private readonly services: BrokerServices,
    readonly config: TxnCoordinatorConfig,
  ) {
    this.cache = new TransactionStateCache(config);
    this.markers = new TxnMarkerChannel(services, this.cache, {
      context: () => this.logicContext(),
      guard: (what, fn) => this.guard(what, fn),
      appendCompletion: (append) => this.appendToLog(append, undefined),
    });
    this.scheduleAbortTimedOutTransactions();
    this.scheduleExpireTransactionalIds();
  }

  // ── HostedCoordinator ────────────────────────────────────────────────────────────────

  handles(type: CoordinatorRequest["type"]): boolean {
    return HANDLED.has(type);
  }

  onRequest(from: string, request: CoordinatorRequest): void {
    const requester = { from, correlationId: request.correlationId };
    const ctx = this.logicContext();
    switch (request.type) {
      case "InitProducerId": {
        const { transactionalId, transactionTimeoutMs, producerId, producerEpoch } = request;
        this.decide(requester, request, () => handleInitProducerId(this.cache, { transactionalId, transactionTimeoutMs, producerId, producerEpoch }, ctx));
        return;
      }
      case "AddPartitionsToTxn": {
        const { transactionalId, producerId, producerEpoch, partitions, verifyOnly } = request;
        const transactionVersion = this.capTransactionVersion(request.transactionVersion);
        this.decide(requester, request, () => handleAddPartitionsToTxn(this.cache, { transactionalId, producerId, producerEpoch, partitions, verifyOnly, transactionVersion }, ctx));
        return;
      }
      case "AddOffsetsToTxn": {
        const { transactionalId, producerId, producerEpoch, groupId } = request;
        const transactionVersion = this.capTransactionVersion(request.transactionVersion);
        this.decide(requester, request, () => handleAddOffsetsToTxn(this.cache, { transactionalId, producerId, producerEpoch, groupId, transactionVersion }, ctx));
        return;
      }
      case "EndTxn": {
        const { transactionalId, producerId, producerEpoch, result } = request;
        const transactionVersion = this.capTransactionVersion(request.transactionVersion);
        this.decide(requester, request, () => handleEndTxn(this.cache, { transactionalId, producerId, producerEpoch, result, transactionVersion }, ctx));
        return;
      }
      case "FindCoordinator":
      case "WriteTxnMarkers":
      case "TxnOffsetCommit":
      case "OffsetCommit":
      case "OffsetFetch":
      case "JoinGroup":
      case "SyncGroup":
      case "Heartbeat":
      case "LeaveGroup":
        // Not this coordinator's (handles() says so); a broker that routes one here has a bug.
        this.services.ctx.trace("txn.unhandled-request", { type: request.type, from });
        return;
      default: {
        const unreachable: never = request;
        return unreachable;
      }
    }
  }

  onResponse(from: string, response: GroupAndTxnResponse): boolean {
    return this.markers.onResponse(from, response);
  }

  onDisconnect(peer: string): void {
    this.markers.onDisconnect(peer);
  }

  /** Kafka's onElection: drop what is left of an older epoch, then load the partition. */
  onBecomeLeader(partition: number, leaderEpoch: number): void {
    this.checkTopicPartitionCount();
    this.dropPartitionWork(partition);
    this.cache.startLoading(partition, leaderEpoch);
    this.services.ctx.trace("txn.load.start", { partition, coordinatorEpoch: leaderEpoch });
    this.services.ctx.after(msToUs(this.config.transactionLogLoadTimeMs), "txn.load", () => this.finishLoading(partition, leaderEpoch));
  }

  /**
   * Kafka's onResignation: unload the partition unless it was (re)loaded at a newer epoch than
   * the one given (Kafka compares the cached coordinator epoch with the resignation's epoch).
   */
  onResign(partition: number, leaderEpoch: number): void {
    const current = this.cache.coordinatorEpochOf(partition) ?? this.cache.loadingEpochOf(partition);
    if (current !== undefined && current > leaderEpoch) return;
    this.dropPartitionWork(partition);
    this.cache.unload(partition);
    this.services.ctx.trace("txn.unload", { partition, leaderEpoch });
  }

  // ── Read access for harnesses ────────────────────────────────────────────────────────

  /** The cached state of a transactional id, undefined when this coordinator does not hold it (or is loading it). */
  transactionState(transactionalId: string): TransactionStateView | undefined {
    const lookup = this.cache.get(transactionalId);
    if (!lookup.ok || lookup.metadata === undefined) return undefined;
    const m = lookup.metadata;
    return {
      state: m.state,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      lastProducerEpoch: m.lastProducerEpoch,
      partitions: m.topicPartitions,
      pendingState: m.pendingState,
      coordinatorEpoch: lookup.coordinatorEpoch,
      txnTimeoutMs: m.txnTimeoutMs,
    };
  }

  /** The loaded `__transaction_state` partitions, ascending. */
  get ownedPartitions(): number[] {
    return this.cache.ownedPartitions;
  }

  /** Transactional ids whose markers are being written. */
  get pendingMarkerTransactionalIds(): string[] {
    return this.markers.pendingTransactionalIds;
  }

  // ── Requests ────────────────────────────────────────────────────────────────────────

  private decide(requester: Requester, request: TxnRequest, handle: () => TxnDecision): void {
    const decision = this.guard(request.type, handle);
    if (decision === undefined) this.reply(requester, requestFailureReply(request, "UNKNOWN_SERVER_ERROR"));
    else if (decision.kind === "reply") this.reply(requester, decision.reply);
    else this.appendToLog(decision.append, requester);
  }

  private reply(requester: Requester, reply: TxnReply): void {
    if (replyErrors(reply).includes("PRODUCER_FENCED")) this.services.ctx.assert.reachable(TXN_COVERAGE.zombieFenced);
    this.services.ctx.send(requester.from, toResponse(reply, requester.correlationId));
  }

  /** The client's transaction version, never above the cluster's finalized one. */
  private capTransactionVersion(requested: TransactionVersion): TransactionVersion {
    return requested <= this.config.transactionVersion ? requested : this.config.transactionVersion;
  }

  // ── Appends to __transaction_state ───────────────────────────────────────────────────

  /**
   * Kafka's appendTransactionToLog: refuse at once if the coordinator moved since the
   * transition was prepared (a retried Complete*), else append and complete on the callback.
   */
  private appendToLog(append: TxnLogAppend, requester: Requester | undefined): void {
    const lookup = this.cache.get(append.transactionalId);
    if (!lookup.ok || lookup.metadata === undefined || lookup.coordinatorEpoch !== append.coordinatorEpoch) {
      const error = lookup.ok ? "NOT_COORDINATOR" : lookup.error;
      this.completeAppend({ append, requester, producerIdBefore: NO_PRODUCER_ID, abandoned: false }, error);
      return;
    }
    const inFlight: InFlightAppend = { append, requester, producerIdBefore: lookup.metadata.producerId, abandoned: false };
    this.appends.add(inFlight);
    this.services.appendInternal(
      { topic: TRANSACTION_STATE_TOPIC, partition: append.partition, records: [toKafkaRecord(append.record, this.nowMs())], acks: this.acks(), timeoutMs: append.timeoutMs },
      (error) => {
        this.appends.delete(inFlight);
        if (!inFlight.abandoned) this.completeAppend(inFlight, error);
      },
    );
  }

  private completeAppend(inFlight: InFlightAppend, appendError: KafkaError): void {
    const { append, requester } = inFlight;
    const installs = appendError === "NONE" && this.isCurrent(append);
    const completion = this.guard("onAppendCompleted", () => onAppendCompleted(this.cache, append, appendError, this.logicContext()));
    if (completion === undefined) {
      const reply = appendFailureReply(append.then, "UNKNOWN_SERVER_ERROR");
      if (requester !== undefined && reply !== undefined) this.reply(requester, reply);
      return;
    }
    if (installs) this.transitionCompleted(append, inFlight.producerIdBefore);
    if (requester !== undefined && completion.reply !== undefined) this.reply(requester, completion.reply);
    if (completion.markers !== undefined) this.markers.addTxnMarkersToSend(completion.markers, append.partition);
    const retry = completion.retry;
    if (retry !== undefined) this.services.ctx.after(msToUs(this.config.retryBackoffMs), "txn.append.retry", () => this.appendToLog(retry, undefined));
  }

  private isCurrent(append: TxnLogAppend): boolean {
    const lookup = this.cache.get(append.transactionalId);
    return lookup.ok && lookup.metadata !== undefined && lookup.coordinatorEpoch === append.coordinatorEpoch;
  }

  private transitionCompleted(append: TxnLogAppend, producerIdBefore: number): void {
    const transit = append.transit;
    // PID rotation: InitProducerId hands out a new id, or (transaction version 2) EndTxn names the next one.
    const rotated = (producerIdBefore !== NO_PRODUCER_ID && transit.producerId !== producerIdBefore) || transit.nextProducerId !== NO_PRODUCER_ID;
    if (rotated) this.services.ctx.assert.reachable(TXN_COVERAGE.epochExhausted);
    this.traceState(append.transactionalId, transit, append.coordinatorEpoch, reasonFor(append.then));
  }

  private acks(): Acks {
    return this.services.ctx.bugs.has(TXN_BUGS.txnLogAcks1) ? 1 : -1;
  }

  // ── Loading and unloading ────────────────────────────────────────────────────────────

  private finishLoading(partition: number, coordinatorEpoch: number): void {
    if (this.cache.loadingEpochOf(partition) !== coordinatorEpoch) return;
    const ctx = this.logicContext();
    const works = this.guard("onPartitionLoaded", () => {
      const records = recordsOfBatches(this.services.readLocalLog(TRANSACTION_STATE_TOPIC, partition));
      return onPartitionLoaded(this.cache, partition, coordinatorEpoch, records, ctx);
    });
    if (works === undefined) return;
    this.services.ctx.trace("txn.load.done", { partition, coordinatorEpoch, transactions: this.cache.transactionsOf(partition).size });
    for (const metadata of this.cache.transactionsOf(partition).values()) {
      const { state: txnState, producerId, producerEpoch, topicPartitions } = metadata;
      this.traceState(metadata.transactionalId, { txnState, producerId, producerEpoch, topicPartitions }, coordinatorEpoch, "reload");
    }
    for (const work of works) {
      if (work.entry.result === "COMMIT") this.services.ctx.assert.reachable(TXN_COVERAGE.failoverDuringPrepareCommit);
      this.markers.addTxnMarkersToSend(work, partition);
    }
  }

  /** Forget the marker work of a partition and answer NOT_COORDINATOR to whoever waits on its appends. */
  private dropPartitionWork(partition: number): void {
    this.markers.removeMarkersForTxnTopicPartition(partition);
    for (const inFlight of this.appends) {
      if (inFlight.append.partition !== partition || inFlight.abandoned) continue;
      inFlight.abandoned = true;
      const reply = appendFailureReply(inFlight.append.then, "NOT_COORDINATOR");
      if (inFlight.requester !== undefined && reply !== undefined) this.reply(inFlight.requester, reply);
    }
  }

  private checkTopicPartitionCount(): void {
    const count = this.services.partitionCount(TRANSACTION_STATE_TOPIC);
    const expected = this.config.transactionStateTopicPartitions;
    this.services.ctx.assert.always(count === 0 || count === expected, TXN_ASSERTIONS.stableTopicPartitionCount, () => ({ count, expected }));
  }

  // ── Timers ────────────────────────────────────────────────────────────────────────────

  private scheduleAbortTimedOutTransactions(): void {
    this.services.ctx.after(msToUs(this.config.abortTimedOutTransactionsIntervalMs), "txn.abort-timed-out", () => {
      this.abortTimedOutTransactions();
      this.scheduleAbortTimedOutTransactions();
    });
  }

  private scheduleExpireTransactionalIds(): void {
    this.services.ctx.after(msToUs(this.config.removeExpiredTransactionalIdsIntervalMs), "txn.expire-ids", () => {
      this.expireTransactionalIds();
      this.scheduleExpireTransactionalIds();
    });
  }

  private abortTimedOutTransactions(): void {
    const aborts = this.guard("abortTimedOutTransactions", () => abortTimedOutTransactions(this.cache, this.logicContext())) ?? [];
    for (const { transactionalId, decision } of aborts) {
      this.services.ctx.trace("txn.timeout", { txnId: transactionalId });
      if (decision.kind === "append") this.appendToLog(decision.append, undefined);
    }
  }

  private expireTransactionalIds(): void {
    const expirations = this.guard("expireTransactionalIds", () => expireTransactionalIds(this.cache, this.logicContext())) ?? [];
    for (const expiration of expirations) this.appendTombstones(expiration);
  }

  private appendTombstones(expiration: TxnIdExpiration): void {
    const records = expiration.tombstones.map((t) => toKafkaRecord(t.record, this.nowMs()));
    this.services.appendInternal(
      { topic: TRANSACTION_STATE_TOPIC, partition: expiration.partition, records, acks: this.acks(), timeoutMs: this.config.requestTimeoutMs },
      (error) => {
        onTombstonesAppended(this.cache, expiration, error);
        if (error !== "NONE") return;
        for (const { transactionalId, transit } of expiration.tombstones) {
          const lookup = this.cache.get(transactionalId);
          if (lookup.ok && lookup.metadata === undefined) this.traceState(transactionalId, transit, expiration.coordinatorEpoch, "expired");
        }
      },
    );
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────

  private logicContext(): TxnCoordinatorContext {
    return { nowMs: this.nowMs(), config: this.config, bugs: this.services.ctx.bugs, producerIds: this.services };
  }

  /** The host's wall clock in whole milliseconds (Kafka's time.milliseconds()). */
  private nowMs(): number {
    return Math.floor(this.services.ctx.wallClockUs() / 1000);
  }

  private guard<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof IllegalTxnStateError)) throw e;
      this.services.ctx.assert.always(false, TXN_ASSERTIONS.legalTransitions, () => ({ where: what, message: e.message }));
      return undefined;
    }
  }

  private traceState(transactionalId: string, transit: TracedTransition, coordinatorEpoch: number, reason: string | undefined): void {
    const fields: TraceFields = {
      txnId: transactionalId,
      state: transit.txnState,
      producerId: transit.producerId,
      epoch: transit.producerEpoch,
      partitions: transit.topicPartitions.map((p) => `${p.topic}-${p.partition}`).join(","),
      coordinatorEpoch,
    };
    this.services.ctx.trace("txn.state", reason === undefined ? fields : { ...fields, reason });
  }
}

/** A factory for BrokerOptions.coordinators: one transaction coordinator per broker. */
export function transactionCoordinatorFactory(config: Partial<TxnCoordinatorConfig> = {}): CoordinatorFactory {
  const resolved = txnCoordinatorConfig(config);
  return (services) => new TransactionCoordinator(services, resolved);
}

// ── Replies ─────────────────────────────────────────────────────────────────────────────

function toResponse(reply: TxnReply, correlationId: number): KafkaResponse {
  switch (reply.api) {
    case "InitProducerId":
      return { type: "InitProducerIdResponse", correlationId, error: reply.error, producerId: reply.producerId, producerEpoch: reply.producerEpoch };
    case "AddPartitionsToTxn":
      return { type: "AddPartitionsToTxnResponse", correlationId, results: reply.results };
    case "AddOffsetsToTxn":
      return { type: "AddOffsetsToTxnResponse", correlationId, error: reply.error };
    case "EndTxn":
      return { type: "EndTxnResponse", correlationId, error: reply.error, producerId: reply.producerId, producerEpoch: reply.producerEpoch };
  }
}

function replyErrors(reply: TxnReply): TxnError[] {
  return reply.api === "AddPartitionsToTxn" ? reply.results.map((r) => r.error) : [reply.error];
}

/** The answer to a request the logic could not handle. */
function requestFailureReply(request: TxnRequest, error: TxnError): TxnReply {
  switch (request.type) {
    case "InitProducerId":
      return { api: "InitProducerId", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    case "AddPartitionsToTxn":
      return { api: "AddPartitionsToTxn", results: request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })) };
    case "AddOffsetsToTxn":
      return { api: "AddOffsetsToTxn", error };
    case "EndTxn":
      return { api: "EndTxn", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
  }
}

/** The answer to whoever waits on an append that cannot complete normally (none for internal appends). */
function appendFailureReply(then: AfterAppend, error: TxnError): TxnReply | undefined {
  switch (then.kind) {
    case "init-producer-id":
      return { api: "InitProducerId", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    case "add-partitions":
      return then.api === "AddOffsetsToTxn" ? { api: "AddOffsetsToTxn", error } : { api: "AddPartitionsToTxn", results: then.partitions.map((p) => ({ ...p, error })) };
    case "end-txn":
      switch (then.replyTo) {
        case "EndTxn":
          return { api: "EndTxn", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
        case "InitProducerId":
          return { api: "InitProducerId", error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
        case "none":
          return undefined;
      }
      break;
    case "complete-txn":
      return undefined;
  }
}

/** Why a transition happened, when it is not the client's own request (record-kinds.ts `reason`). */
function reasonFor(then: AfterAppend): string | undefined {
  switch (then.kind) {
    case "init-producer-id":
      return "init";
    case "end-txn":
      return then.replyTo === "InitProducerId" ? "fence" : then.replyTo === "none" ? "timeout" : undefined;
    case "add-partitions":
    case "complete-txn":
      return undefined;
  }
}
