import type { Timer } from "../../../../sim/actor.js";
import { msToUs } from "../../../../sim/time.js";
import type { BrokerServices } from "../coordinator-host.js";
import { brokerIdOf, brokerNode } from "../names.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, TopicPartition } from "../protocol.js";
import { maybeWriteTxnCompletion, onMarkersWritten, type MarkerProgress, type TxnCoordinatorContext, type TxnLogAppend } from "./coordinator-logic.js";
import { TXN_COVERAGE } from "./coverage.js";
import type { MarkerPartitionResult, TxnMarkerWork } from "./markers.js";
import type { TxnMarkerEntry } from "./protocol.js";
import type { TransactionStateCache } from "./state-cache.js";

/**
 * The coordinator's side of the second phase (Kafka's TransactionMarkerChannelManager and
 * TransactionMarkerRequestCompletionHandler): markers are queued per destination broker (the
 * current leader of each partition by the broker's metadata), and each broker gets one
 * WriteTxnMarkers request at a time carrying everything queued for it (Kafka's marker
 * NetworkClient allows one request in flight per connection). Partitions without a known
 * leader wait in their own queue and are looked up again after `retryBackoffMs`. A response
 * goes to `onMarkersWritten`; a request that times out or whose connection breaks has its
 * markers queued again. Once a transaction has no partition left, its Complete* record is
 * handed back to the coordinator to append.
 *
 * Deviations: Kafka's sender thread re-sends on its next poll; the model waits
 * `retryBackoffMs` before every resend. Kafka drops the markers of a partition its metadata
 * does not know at all (a deleted topic); the model has no topic deletion and retries those
 * like an unknown leader.
 */

/** Kafka's PendingCompleteTxn: a transaction whose markers are being written. */
export interface PendingCompleteTxn {
  readonly work: TxnMarkerWork;
  /** The `__transaction_state` partition the transaction belongs to. */
  readonly txnTopicPartition: number;
}

interface QueuedMarker {
  readonly txn: PendingCompleteTxn;
  /** The transaction's marker, narrowed to the partitions led by one broker. */
  readonly entry: TxnMarkerEntry;
}

interface InFlightRequest {
  readonly correlationId: number;
  readonly markers: readonly QueuedMarker[];
  readonly timeout: Timer;
}

export interface MarkerChannelHooks {
  /** The logic's view of the host: its wall clock now, config, bugs, producer ids. */
  context(): TxnCoordinatorContext;
  /** Runs a call into the coordinator logic; undefined when it raised an IllegalTxnStateError (already reported). */
  guard<T>(what: string, fn: () => T): T | undefined;
  /** Every marker of a transaction is written: append its Complete* record. */
  appendCompletion(append: TxnLogAppend): void;
}

export class TxnMarkerChannel {
  /** Kafka's transactionsWithPendingMarkers: the current marker work of each transactional id. */
  private readonly pending = new Map<string, PendingCompleteTxn>();
  private readonly brokerQueues = new Map<number, QueuedMarker[]>();
  private unknownLeader: QueuedMarker[] = [];
  private unknownLeaderRetry: Timer | undefined;
  /** At most one request per destination broker. */
  private readonly inFlight = new Map<number, InFlightRequest>();
  private nextCorrelationId = 1;

  constructor(
    private readonly services: BrokerServices,
    private readonly cache: TransactionStateCache,
    private readonly hooks: MarkerChannelHooks,
  ) {}

  /** Kafka's addTxnMarkersToSend: start writing a transaction's markers (replaces older work for the id). */
  addTxnMarkersToSend(work: TxnMarkerWork, txnTopicPartition: number): void {
    const txn: PendingCompleteTxn = { work, txnTopicPartition };
    this.pending.set(work.transactionalId, txn);
    this.enqueue(txn, work.entry.partitions);
    // A transaction with no partition left (a TV2 abort of an empty transaction) completes at once.
    this.maybeComplete(txn);
  }

  /** Forget every transaction of a `__transaction_state` partition (resignation or a new election). */
  removeMarkersForTxnTopicPartition(txnTopicPartition: number): void {
    for (const [transactionalId, txn] of [...this.pending]) {
      if (txn.txnTopicPartition === txnTopicPartition) this.pending.delete(transactionalId);
    }
    this.purge();
  }

  /** Routes a WriteTxnMarkersResponse; false for any other response. */
  onResponse(from: string, response: GroupAndTxnResponse): boolean {
    if (response.type !== "WriteTxnMarkersResponse") return false;
    const broker = brokerIdOf(from);
    const request = broker === undefined ? undefined : this.inFlight.get(broker);
    // A late answer to a request already given up (timed out, connection lost): ignore it.
    if (broker === undefined || request === undefined || request.correlationId !== response.correlationId) return true;
    request.timeout.cancel();
    this.inFlight.delete(broker);
    request.markers.forEach((marker, index) => {
      if (!this.isCurrent(marker.txn)) return;
      const answered = answerFor(response, index, marker.entry.producerId);
      if (answered === undefined) {
        // Kafka throws when a producer id is missing from the response; the model sends the marker again.
        this.retryLater(marker.txn, marker.entry.partitions, "missing-from-response");
        return;
      }
      const results: MarkerPartitionResult[] = answered.partitions.map((p) => ({ partition: { topic: p.topic, partition: p.partition }, error: p.error }));
      const progress = this.hooks.guard("onMarkersWritten", () => onMarkersWritten(this.cache, marker.txn.work, results, this.hooks.context()));
      if (progress !== undefined) this.apply(marker.txn, progress);
    });
    this.drain();
    return true;
  }

  /** The connection to a broker broke: a request in flight to it is lost. */
  onDisconnect(peer: string): void {
    const broker = brokerIdOf(peer);
    const request = broker === undefined ? undefined : this.inFlight.get(broker);
    if (broker !== undefined && request !== undefined) this.requestLost(broker, request, "disconnected");
  }

  /** Transactional ids whose markers are being written (for harnesses). */
  get pendingTransactionalIds(): string[] {
    return [...this.pending.keys()];
  }

  private isCurrent(txn: PendingCompleteTxn): boolean {
    return this.pending.get(txn.work.transactionalId) === txn;
  }

  /** Kafka's addTxnMarkersToBrokerQueue: group the partitions by their current leader. */
  private enqueue(txn: PendingCompleteTxn, partitions: readonly TopicPartition[]): void {
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of partitions) {
      const leader = this.services.leaderOf(tp.topic, tp.partition);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    for (const [leader, group] of byLeader) {
      const marker: QueuedMarker = { txn, entry: { ...txn.work.entry, partitions: group } };
      if (leader < 0) {
        this.unknownLeader.push(marker);
        this.scheduleUnknownLeaderRetry();
      } else {
        this.brokerQueues.set(leader, [...(this.brokerQueues.get(leader) ?? []), marker]);
      }
    }
    this.drain();
  }

  /** Kafka's generateRequests: one request per broker with nothing in flight. */
  private drain(): void {
    for (const broker of [...this.brokerQueues.keys()].sort((a, b) => a - b)) {
      if (this.inFlight.has(broker)) continue;
      const markers = (this.brokerQueues.get(broker) ?? []).filter((m) => this.isCurrent(m.txn));
      this.brokerQueues.delete(broker);
      if (markers.length > 0) this.send(broker, markers);
    }
  }

  private send(broker: number, markers: readonly QueuedMarker[]): void {
    const correlationId = this.nextCorrelationId++;
    const ctx = this.services.ctx;
    const timeout = ctx.after(msToUs(this.hooks.context().config.requestTimeoutMs), "txn.markers.timeout", () => {
      const request = this.inFlight.get(broker);
      if (request?.correlationId === correlationId) this.requestLost(broker, request, "timeout");
    });
    this.inFlight.set(broker, { correlationId, markers, timeout });
    ctx.trace("txn.markers.send", { to: brokerNode(broker), correlationId, markers: markers.length });
    const request: GroupAndTxnRequest = { type: "WriteTxnMarkers", correlationId, markers: markers.map((m) => m.entry) };
    ctx.send(brokerNode(broker), request);
  }

  /** The completion handler's disconnected / timed-out branch: queue the markers again unless the coordinator moved. */
  private requestLost(broker: number, request: InFlightRequest, reason: string): void {
    request.timeout.cancel();
    this.inFlight.delete(broker);
    for (const marker of request.markers) {
      if (!this.isCurrent(marker.txn)) continue;
      const lookup = this.cache.get(marker.txn.work.transactionalId);
      if (!lookup.ok || lookup.metadata === undefined || lookup.coordinatorEpoch !== marker.txn.work.coordinatorEpoch) {
        this.pending.delete(marker.txn.work.transactionalId);
        continue;
      }
      this.retryLater(marker.txn, marker.entry.partitions, reason);
    }
    this.drain();
  }

  private apply(txn: PendingCompleteTxn, progress: MarkerProgress): void {
    switch (progress.kind) {
      case "waiting":
        return;
      case "resend":
        this.retryLater(txn, progress.partitions, "error");
        return;
      case "abandon":
        this.services.ctx.trace("txn.markers.abandon", { txnId: txn.work.transactionalId, reason: progress.reason });
        this.pending.delete(txn.work.transactionalId);
        this.purge();
        return;
      case "append":
        this.pending.delete(txn.work.transactionalId);
        this.hooks.appendCompletion(progress.append);
        return;
    }
  }

  private maybeComplete(txn: PendingCompleteTxn): void {
    const progress = this.hooks.guard("maybeWriteTxnCompletion", () => maybeWriteTxnCompletion(this.cache, txn.work, this.hooks.context()));
    if (progress !== undefined && progress.kind !== "resend") this.apply(txn, progress);
  }

  private retryLater(txn: PendingCompleteTxn, partitions: readonly TopicPartition[], reason: string): void {
    const ctx = this.services.ctx;
    ctx.assert.reachable(TXN_COVERAGE.markerRetried);
    ctx.trace("txn.markers.retry", { txnId: txn.work.transactionalId, partitions: partitions.length, reason });
    ctx.after(msToUs(this.hooks.context().config.retryBackoffMs), "txn.markers.retry", () => {
      if (this.isCurrent(txn)) this.enqueue(txn, partitions);
    });
  }

  private scheduleUnknownLeaderRetry(): void {
    if (this.unknownLeaderRetry?.pending === true) return;
    this.unknownLeaderRetry = this.services.ctx.after(msToUs(this.hooks.context().config.retryBackoffMs), "txn.markers.unknown-leader", () => {
      const waiting = this.unknownLeader.filter((m) => this.isCurrent(m.txn));
      this.unknownLeader = [];
      for (const marker of waiting) {
        this.services.ctx.assert.reachable(TXN_COVERAGE.markerRetried);
        this.enqueue(marker.txn, marker.entry.partitions);
      }
    });
  }

  /** Drops queued markers of transactions that are no longer current. */
  private purge(): void {
    for (const [broker, queue] of [...this.brokerQueues]) {
      const kept = queue.filter((m) => this.isCurrent(m.txn));
      if (kept.length > 0) this.brokerQueues.set(broker, kept);
      else this.brokerQueues.delete(broker);
    }
    this.unknownLeader = this.unknownLeader.filter((m) => this.isCurrent(m.txn));
  }
}

type WriteTxnMarkersAnswer = Extract<GroupAndTxnResponse, { type: "WriteTxnMarkersResponse" }>["markers"][number];

/** The response entry of the request's `index`-th marker: by position, else by producer id (Kafka's errorsByProducerId). */
function answerFor(response: Extract<GroupAndTxnResponse, { type: "WriteTxnMarkersResponse" }>, index: number, producerId: number): WriteTxnMarkersAnswer | undefined {
  const atIndex = response.markers[index];
  return atIndex?.producerId === producerId ? atIndex : response.markers.find((m) => m.producerId === producerId);
}
