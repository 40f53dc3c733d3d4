import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, partitionKey, type TopicPartition } from "../protocol.js";
import { SHORT_MAX_VALUE } from "./config.js";
import { supportsEpochBump, type TransactionVersion } from "./protocol.js";

/**
 * The transaction coordinator's per-transactional.id state (Kafka's `TransactionMetadata`,
 * `TransactionState`, `TxnTransitMetadata`), facts §1.3 and KIP-890 part 2.
 *
 * Every change is two-phase, as in Kafka: a `prepare…` method checks the state table, sets
 * `pendingState` and returns the target as a `TxnTransitMetadata`, which the coordinator appends
 * to `__transaction_state` (acks=all); only when the append succeeds does
 * `completeTransitionTo` install it. While a transition is pending every other request for the
 * id gets CONCURRENT_TRANSACTIONS (the handlers check `pendingTransitionInProgress`). A prepare
 * that breaks the table, or a completion that does not match Kafka's consistency checks, is one
 * of Kafka's "this should not happen" IllegalStateExceptions: it throws `IllegalTxnStateError`.
 */

export type TransactionState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort" | "Dead" | "PrepareEpochFence";

export interface TransactionStateInfo {
  /** The id stored in `__transaction_state` (TransactionLogValue.TransactionStatus). */
  readonly id: number;
  /** States from which a transition into this one is legal. */
  readonly validPreviousStates: readonly TransactionState[];
  /** Whether transactional.id expiry may tombstone an id resting in this state. */
  readonly isExpirationAllowed: boolean;
}

/**
 * Kafka's table (TransactionState.java, 4.x). PrepareAbort also follows Empty and Complete*:
 * under transaction version 2 a client that is unsure whether its partitions were added sends
 * EndTxn(ABORT) anyway (KAFKA-18401); the coordinator's TV1 path never asks for those transitions.
 */
export const TRANSACTION_STATES: Readonly<Record<TransactionState, TransactionStateInfo>> = {
  Empty: { id: 0, validPreviousStates: ["Empty", "CompleteCommit", "CompleteAbort"], isExpirationAllowed: true },
  Ongoing: { id: 1, validPreviousStates: ["Ongoing", "Empty", "CompleteCommit", "CompleteAbort"], isExpirationAllowed: false },
  PrepareCommit: { id: 2, validPreviousStates: ["Ongoing"], isExpirationAllowed: false },
  PrepareAbort: { id: 3, validPreviousStates: ["Ongoing", "PrepareEpochFence", "Empty", "CompleteCommit", "CompleteAbort"], isExpirationAllowed: false },
  CompleteCommit: { id: 4, validPreviousStates: ["PrepareCommit"], isExpirationAllowed: true },
  CompleteAbort: { id: 5, validPreviousStates: ["PrepareAbort"], isExpirationAllowed: true },
  Dead: { id: 6, validPreviousStates: ["Empty", "CompleteAbort", "CompleteCommit"], isExpirationAllowed: false },
  PrepareEpochFence: { id: 7, validPreviousStates: ["Ongoing"], isExpirationAllowed: false },
};

export const ALL_TRANSACTION_STATES = Object.keys(TRANSACTION_STATES) as readonly TransactionState[];

export function transactionStateFromId(id: number): TransactionState {
  const state = ALL_TRANSACTION_STATES.find((s) => TRANSACTION_STATES[s].id === id);
  if (state === undefined) throw new IllegalTxnStateError(`Unknown transaction state id ${id} from the transaction status message`);
  return state;
}

/** Kafka's IllegalStateException / IllegalArgumentException in the coordinator: a model invariant broke. */
export class IllegalTxnStateError extends Error {
  override readonly name = "IllegalTxnStateError";
}

/** The target of a transition, as appended to the log (Kafka's immutable `TxnTransitMetadata`). */
export interface TxnTransitMetadata {
  readonly producerId: number;
  /** The producer id before this transition (Kafka sets it to the current id on every prepare). */
  readonly previousProducerId: number;
  /** TV2: the producer id a Prepare* allocated because the epoch is exhausted; switched in at Complete*. */
  readonly nextProducerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  /** Sorted by topic, then partition; no duplicates. */
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
  readonly clientTransactionVersion: TransactionVersion;
}

/** Plain read-only view for harnesses, invariants and reports. */
export interface TransactionMetadataSnapshot extends Omit<TxnTransitMetadata, "txnState"> {
  readonly transactionalId: string;
  readonly state: TransactionState;
  readonly pendingState: TransactionState | null;
  readonly hasFailedEpochFence: boolean;
}

export interface TransactionMetadataInit {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly previousProducerId?: number;
  readonly nextProducerId?: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch?: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  readonly topicPartitions?: readonly TopicPartition[];
  readonly txnStartTimestamp?: number;
  readonly txnLastUpdateTimestamp: number;
  readonly clientTransactionVersion?: TransactionVersion;
  /** The largest epoch (Short.MaxValue in Kafka); the coordinator's `maxProducerEpoch`. */
  readonly maxProducerEpoch?: number;
}

/** What a prepare may change; everything else keeps the current value (Kafka's TransitionData). */
interface TransitionData {
  producerId?: number;
  nextProducerId?: number;
  producerEpoch?: number;
  lastProducerEpoch?: number;
  txnTimeoutMs?: number;
  topicPartitions?: readonly TopicPartition[];
  txnStartTimestamp?: number;
  txnLastUpdateTimestamp?: number;
  clientTransactionVersion?: TransactionVersion;
}

export class TransactionMetadata {
  readonly transactionalId: string;
  readonly maxProducerEpoch: number;
  private producerIdValue: number;
  private previousProducerIdValue: number;
  private nextProducerIdValue: number;
  private producerEpochValue: number;
  private lastProducerEpochValue: number;
  private txnTimeoutMsValue: number;
  private stateValue: TransactionState;
  private topicPartitionsValue: readonly TopicPartition[];
  private txnStartTimestampValue: number;
  private txnLastUpdateTimestampValue: number;
  private clientTransactionVersionValue: TransactionVersion;
  private pendingStateValue: TransactionState | null = null;
  /**
   * KAFKA-9666: a fence whose append failed already raised the epoch in memory (TV1 path), so
   * the next fence reuses that epoch instead of bumping again. Cleared by prepareComplete.
   */
  private hasFailedEpochFenceValue = false;

  constructor(init: TransactionMetadataInit) {
    this.transactionalId = init.transactionalId;
    this.maxProducerEpoch = init.maxProducerEpoch ?? SHORT_MAX_VALUE;
    this.producerIdValue = init.producerId;
    this.previousProducerIdValue = init.previousProducerId ?? NO_PRODUCER_ID;
    this.nextProducerIdValue = init.nextProducerId ?? NO_PRODUCER_ID;
    this.producerEpochValue = init.producerEpoch;
    this.lastProducerEpochValue = init.lastProducerEpoch ?? NO_PRODUCER_EPOCH;
    this.txnTimeoutMsValue = init.txnTimeoutMs;
    this.stateValue = init.state;
    this.topicPartitionsValue = normalizePartitions(init.topicPartitions ?? []);
    this.txnStartTimestampValue = init.txnStartTimestamp ?? -1;
    this.txnLastUpdateTimestampValue = init.txnLastUpdateTimestamp;
    this.clientTransactionVersionValue = init.clientTransactionVersion ?? 0;
  }

  get producerId(): number {
    return this.producerIdValue;
  }
  get previousProducerId(): number {
    return this.previousProducerIdValue;
  }
  get nextProducerId(): number {
    return this.nextProducerIdValue;
  }
  get producerEpoch(): number {
    return this.producerEpochValue;
  }
  get lastProducerEpoch(): number {
    return this.lastProducerEpochValue;
  }
  get txnTimeoutMs(): number {
    return this.txnTimeoutMsValue;
  }
  get state(): TransactionState {
    return this.stateValue;
  }
  get topicPartitions(): readonly TopicPartition[] {
    return this.topicPartitionsValue;
  }
  get txnStartTimestamp(): number {
    return this.txnStartTimestampValue;
  }
  get txnLastUpdateTimestamp(): number {
    return this.txnLastUpdateTimestampValue;
  }
  get clientTransactionVersion(): TransactionVersion {
    return this.clientTransactionVersionValue;
  }
  get pendingState(): TransactionState | null {
    return this.pendingStateValue;
  }
  get hasFailedEpochFence(): boolean {
    return this.hasFailedEpochFenceValue;
  }
  get pendingTransitionInProgress(): boolean {
    return this.pendingStateValue !== null;
  }

  /** An epoch is exhausted at max - 1, so that the coordinator can always fence once more. */
  isEpochExhausted(epoch: number): boolean {
    return epoch >= this.maxProducerEpoch - 1;
  }

  get isProducerEpochExhausted(): boolean {
    return this.isEpochExhausted(this.producerEpochValue);
  }

  /** Ongoing or Prepare*: a producer-id rotation is not allowed then. */
  get hasPendingTransaction(): boolean {
    return this.stateValue === "Ongoing" || this.stateValue === "PrepareAbort" || this.stateValue === "PrepareCommit";
  }

  snapshot(): TransactionMetadataSnapshot {
    return {
      transactionalId: this.transactionalId,
      producerId: this.producerIdValue,
      previousProducerId: this.previousProducerIdValue,
      nextProducerId: this.nextProducerIdValue,
      producerEpoch: this.producerEpochValue,
      lastProducerEpoch: this.lastProducerEpochValue,
      txnTimeoutMs: this.txnTimeoutMsValue,
      state: this.stateValue,
      topicPartitions: this.topicPartitionsValue,
      txnStartTimestamp: this.txnStartTimestampValue,
      txnLastUpdateTimestamp: this.txnLastUpdateTimestampValue,
      clientTransactionVersion: this.clientTransactionVersionValue,
      pendingState: this.pendingStateValue,
      hasFailedEpochFence: this.hasFailedEpochFenceValue,
    };
  }

  // ── Prepares ─────────────────────────────────────────────────────────────────────────

  /**
   * InitProducerId on an Ongoing transaction: the epoch to abort it with, in the pending-only
   * PrepareEpochFence state. Never bumps past the maximum; reuses the epoch after a failed
   * fence (KAFKA-9666).
   */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    const epoch = this.producerEpochValue;
    const bumped = this.hasFailedEpochFenceValue || epoch >= this.maxProducerEpoch ? epoch : epoch + 1;
    return this.prepareTransitionTo("PrepareEpochFence", { producerEpoch: bumped });
  }

  /**
   * InitProducerId in Empty/Complete*: bump the epoch, or recognise a KIP-360 retry. Returns
   * "PRODUCER_FENCED" when the expected epoch is neither the current nor the last one.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | undefined, updateTimestamp: number): TxnTransitMetadata | "PRODUCER_FENCED" {
    if (this.isProducerEpochExhausted) {
      throw new IllegalTxnStateError(`Cannot allocate any more producer epochs for producerId ${this.producerIdValue}`);
    }
    const current = this.producerEpochValue;
    let epochs: { producerEpoch: number; lastProducerEpoch: number };
    if (expectedProducerEpoch === undefined) {
      // A new producer: bump and forget the last epoch, so that no retry can claim it.
      epochs = { producerEpoch: current + 1, lastProducerEpoch: NO_PRODUCER_EPOCH };
    } else if (current === NO_PRODUCER_EPOCH || expectedProducerEpoch === current) {
      // KIP-360: the producer continues after an error and no other producer has initialised.
      epochs = { producerEpoch: current + 1, lastProducerEpoch: current };
    } else if (expectedProducerEpoch === this.lastProducerEpochValue) {
      // A retry of a bump that succeeded: hand out the current epoch again, without bumping.
      epochs = { producerEpoch: current, lastProducerEpoch: this.lastProducerEpochValue };
    } else {
      return "PRODUCER_FENCED";
    }
    return this.prepareTransitionTo("Empty", {
      ...epochs,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: updateTimestamp,
    });
  }

  /** InitProducerId on an exhausted epoch: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, newTxnTimeoutMs: number, updateTimestamp: number, recordLastEpoch: boolean): TxnTransitMetadata {
    if (this.hasPendingTransaction) throw new IllegalTxnStateError("Cannot rotate producer ids while a transaction is still pending");
    return this.prepareTransitionTo("Empty", {
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpochValue : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: [],
      txnStartTimestamp: -1,
      txnLastUpdateTimestamp: updateTimestamp,
    });
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn / a TV2 implicit add: Ongoing with the union of partitions. */
  prepareAddPartitions(added: readonly TopicPartition[], updateTimestamp: number, clientTransactionVersion: TransactionVersion): TxnTransitMetadata {
    const starts = this.stateValue === "Empty" || this.stateValue === "CompleteAbort" || this.stateValue === "CompleteCommit";
    return this.prepareTransitionTo("Ongoing", {
      topicPartitions: normalizePartitions([...this.topicPartitionsValue, ...added]),
      txnStartTimestamp: starts ? updateTimestamp : this.txnStartTimestampValue,
      txnLastUpdateTimestamp: updateTimestamp,
      clientTransactionVersion,
    });
  }

  /**
   * EndTxn (or a coordinator abort): PrepareCommit / PrepareAbort. Under transaction version 2
   * the epoch is bumped (except for an abort already at the maximum, so that a broken state can
   * still be aborted), and `nextProducerId` carries the id to switch to when the epoch is
   * exhausted. `suppressEpochBump` models the bug switches that withhold the bump: the epoch
   * stays and `lastProducerEpoch` records it, which keeps Kafka's completion check satisfied.
   */
  prepareAbortOrCommit(
    newState: "PrepareCommit" | "PrepareAbort",
    clientTransactionVersion: TransactionVersion,
    nextProducerId: number,
    updateTimestamp: number,
    noPartitionAdded: boolean,
    suppressEpochBump = false,
  ): TxnTransitMetadata {
    const current = this.producerEpochValue;
    let epochs: { producerEpoch: number; lastProducerEpoch: number };
    if (!supportsEpochBump(clientTransactionVersion)) {
      epochs = { producerEpoch: current, lastProducerEpoch: this.lastProducerEpochValue };
    } else if (suppressEpochBump || (current >= this.maxProducerEpoch && newState === "PrepareAbort")) {
      epochs = { producerEpoch: current, lastProducerEpoch: current };
    } else {
      epochs = { producerEpoch: current + 1, lastProducerEpoch: current };
    }
    return this.prepareTransitionTo(newState, {
      ...epochs,
      // TV2 may abort a transaction that never added a partition: its start is then this update.
      txnStartTimestamp: noPartitionAdded ? updateTimestamp : this.txnStartTimestampValue,
      nextProducerId,
      txnLastUpdateTimestamp: updateTimestamp,
      clientTransactionVersion,
    });
  }

  /**
   * All markers are written: CompleteCommit / CompleteAbort, with no partitions. Under TV2 an
   * allocated `nextProducerId` becomes the producer id at epoch 0; `lastProducerEpoch` keeps
   * the last epoch the client saw. Also clears `hasFailedEpochFence`.
   */
  prepareComplete(updateTimestamp: number): TxnTransitMetadata {
    this.hasFailedEpochFenceValue = false;
    const rotate = supportsEpochBump(this.clientTransactionVersionValue) && this.nextProducerIdValue !== NO_PRODUCER_ID;
    return this.prepareTransitionTo(this.stateValue === "PrepareCommit" ? "CompleteCommit" : "CompleteAbort", {
      producerId: rotate ? this.nextProducerIdValue : this.producerIdValue,
      producerEpoch: rotate ? 0 : this.producerEpochValue,
      nextProducerId: NO_PRODUCER_ID,
      topicPartitions: [],
      txnLastUpdateTimestamp: updateTimestamp,
    });
  }

  /** transactional.id expiry: the tombstone's transition; the entry leaves the cache after the append. */
  prepareDead(): TxnTransitMetadata {
    return this.prepareTransitionTo("Dead", { topicPartitions: [] });
  }

  // ── In-place changes Kafka makes outside the two-phase protocol ─────────────────────────

  /** The marker for a partition was written: it no longer holds the transaction up. */
  removePartition(partition: TopicPartition): void {
    if (this.stateValue !== "PrepareCommit" && this.stateValue !== "PrepareAbort") {
      throw new IllegalTxnStateError(
        `Transaction metadata's current state is ${this.stateValue}, and its pending state is ${this.pendingStateValue} while trying to remove partitions whose txn marker has been sent, this is not expected`,
      );
    }
    const key = partitionKey(partition.topic, partition.partition);
    this.topicPartitionsValue = this.topicPartitionsValue.filter((p) => partitionKey(p.topic, p.partition) !== key);
  }

  /** The log append failed (or the coordinator gave up on it): drop the pending transition. */
  clearPendingState(): void {
    this.pendingStateValue = null;
  }

  /**
   * The TV1 fence abort (endTransactionWithTV1): before preparing PrepareAbort, Kafka clears the
   * pending PrepareEpochFence and writes the fence epoch straight into the metadata, with no
   * last epoch. If the append then fails the raised epoch stays, hence `hasFailedEpochFence`.
   */
  applyFenceEpochInPlace(fenceEpoch: number): void {
    this.pendingStateValue = null;
    this.producerEpochValue = fenceEpoch;
    this.lastProducerEpochValue = NO_PRODUCER_EPOCH;
  }

  markFailedEpochFence(): void {
    this.hasFailedEpochFenceValue = true;
  }

  // ── The two-phase protocol ───────────────────────────────────────────────────────────

  private prepareTransitionTo(state: TransactionState, data: TransitionData): TxnTransitMetadata {
    if (this.pendingStateValue !== null) {
      throw new IllegalTxnStateError(`Preparing transaction state transition to ${state} while it already a pending state ${this.pendingStateValue}`);
    }
    const producerId = data.producerId ?? this.producerIdValue;
    const producerEpoch = data.producerEpoch ?? this.producerEpochValue;
    if (producerId < 0) throw new IllegalTxnStateError(`Illegal new producer id ${producerId}`);
    // A fresh entry has epoch -1 and may stay so until it is expired (Dead).
    if (state !== "Dead" && (producerEpoch < 0 || producerEpoch > this.maxProducerEpoch)) {
      throw new IllegalTxnStateError(`Illegal new producer epoch ${producerEpoch}`);
    }
    if (!TRANSACTION_STATES[state].validPreviousStates.includes(this.stateValue)) {
      throw new IllegalTxnStateError(`Preparing transaction state transition to ${state} failed since the target state ${state} is not a valid previous state of the current state ${this.stateValue}`);
    }
    this.pendingStateValue = state;
    return {
      producerId,
      previousProducerId: this.producerIdValue,
      nextProducerId: data.nextProducerId ?? this.nextProducerIdValue,
      producerEpoch,
      lastProducerEpoch: data.lastProducerEpoch ?? this.lastProducerEpochValue,
      txnTimeoutMs: data.txnTimeoutMs ?? this.txnTimeoutMsValue,
      txnState: state,
      topicPartitions: data.topicPartitions ?? this.topicPartitionsValue,
      txnStartTimestamp: data.txnStartTimestamp ?? this.txnStartTimestampValue,
      txnLastUpdateTimestamp: data.txnLastUpdateTimestamp ?? this.txnLastUpdateTimestampValue,
      clientTransactionVersion: data.clientTransactionVersion ?? this.clientTransactionVersionValue,
    };
  }

  /**
   * Installs a transition after its append succeeded, with Kafka's checks: the target is the
   * pending state; the epoch is unchanged, +1, or 0 with a new producer id; partitions only grow
   * while Ongoing and are unchanged into Prepare*; the timeout does not change; the start
   * timestamp is kept into Prepare* (except a TV2 abort of an empty transaction).
   */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    const toState = this.pendingStateValue;
    if (toState === null) {
      throw new IllegalTxnStateError(`TransactionalId ${this.transactionalId} completing transaction state transition while it does not have a pending state`);
    }
    if (toState !== transit.txnState) this.failTransition(transit);
    switch (toState) {
      case "Empty":
        if ((this.producerEpochValue !== transit.producerEpoch && !this.validProducerEpochBump(transit)) || transit.topicPartitions.length > 0 || transit.txnStartTimestamp !== -1) {
          this.failTransition(transit);
        }
        break;
      case "Ongoing":
        if (!this.validProducerEpoch(transit) || !containsAll(transit.topicPartitions, this.topicPartitionsValue) || this.txnTimeoutMsValue !== transit.txnTimeoutMs) {
          this.failTransition(transit);
        }
        break;
      case "PrepareAbort":
      case "PrepareCommit": {
        const allowedEmptyAbort =
          toState === "PrepareAbort" &&
          supportsEpochBump(transit.clientTransactionVersion) &&
          (this.stateValue === "Empty" || this.stateValue === "CompleteCommit" || this.stateValue === "CompleteAbort");
        const validTimestamp = this.txnStartTimestampValue === transit.txnStartTimestamp || allowedEmptyAbort;
        if (!this.validProducerEpoch(transit) || !samePartitions(this.topicPartitionsValue, transit.topicPartitions) || this.txnTimeoutMsValue !== transit.txnTimeoutMs || !validTimestamp) {
          this.failTransition(transit);
        }
        break;
      }
      case "CompleteAbort":
      case "CompleteCommit":
        if (!this.validProducerEpoch(transit) || this.txnTimeoutMsValue !== transit.txnTimeoutMs || transit.txnStartTimestamp === -1) {
          this.failTransition(transit);
        }
        break;
      case "PrepareEpochFence":
        // Never completed: the fence is immediately replaced by PrepareAbort.
        this.failTransition(transit);
        break;
      case "Dead":
        throw new IllegalTxnStateError(
          `TransactionalId ${this.transactionalId} is trying to complete a transition to Dead. The only acceptable completion of an expiry is to remove the metadata from the cache.`,
        );
    }
    this.producerIdValue = transit.producerId;
    this.previousProducerIdValue = transit.previousProducerId;
    this.nextProducerIdValue = transit.nextProducerId;
    this.producerEpochValue = transit.producerEpoch;
    this.lastProducerEpochValue = transit.lastProducerEpoch;
    this.txnTimeoutMsValue = transit.txnTimeoutMs;
    this.topicPartitionsValue = transit.topicPartitions;
    this.txnStartTimestampValue = transit.txnStartTimestamp;
    this.txnLastUpdateTimestampValue = transit.txnLastUpdateTimestamp;
    this.clientTransactionVersionValue = transit.clientTransactionVersion;
    this.pendingStateValue = null;
    this.stateValue = toState;
  }

  /**
   * TV2 Complete* after an overflow: the new id at epoch 0, the last epoch unchanged and the
   * previous id the current one. TV2 Prepare*: the last epoch is the current one. Otherwise the
   * producer id and epoch do not change.
   */
  private validProducerEpoch(transit: TxnTransitMetadata): boolean {
    const v2 = supportsEpochBump(transit.clientTransactionVersion);
    const state = transit.txnState;
    if (v2 && (state === "CompleteCommit" || state === "CompleteAbort") && transit.producerEpoch === 0) {
      return transit.lastProducerEpoch === this.lastProducerEpochValue && transit.previousProducerId === this.producerIdValue;
    }
    if (v2 && (state === "PrepareCommit" || state === "PrepareAbort")) {
      return transit.lastProducerEpoch === this.producerEpochValue && transit.producerId === this.producerIdValue;
    }
    return transit.producerEpoch === this.producerEpochValue && transit.producerId === this.producerIdValue;
  }

  private validProducerEpochBump(transit: TxnTransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpochValue + 1 || (transit.producerEpoch === 0 && transit.producerId !== this.producerIdValue);
  }

  private failTransition(transit: TxnTransitMetadata): never {
    throw new IllegalTxnStateError(`TransactionalId ${this.transactionalId} failed transition to state ${JSON.stringify(transit)} due to unexpected metadata`);
  }
}

/** Sorted by topic then partition, duplicates removed: the model's partition set. */
export function normalizePartitions(partitions: readonly TopicPartition[]): readonly TopicPartition[] {
  const byKey = new Map<string, TopicPartition>();
  for (const p of partitions) byKey.set(partitionKey(p.topic, p.partition), { topic: p.topic, partition: p.partition });
  return [...byKey.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export function containsAll(superset: readonly TopicPartition[], subset: readonly TopicPartition[]): boolean {
  const keys = new Set(superset.map((p) => partitionKey(p.topic, p.partition)));
  return subset.every((p) => keys.has(partitionKey(p.topic, p.partition)));
}

export function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  return a.length === b.length && containsAll(a, b) && containsAll(b, a);
}
