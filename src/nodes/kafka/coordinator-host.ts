import type { NodeContext } from "../../../sim/actor.js";
import type { KafkaError } from "./errors.js";
import type { Acks, GroupAndTxnRequest, GroupAndTxnResponse, KafkaRecord, RecordBatch } from "./protocol.js";

/**
 * The seam between a broker and the coordinators it hosts (transaction and group). Kafka runs
 * both coordinators inside every broker; each is active for the partitions of its internal topic
 * (`__transaction_state`, `__consumer_offsets`) that the broker leads, and writes its state to
 * those partitions through the broker's own append path (ReplicaManager.appendRecords with
 * `AppendOrigin.COORDINATOR`), so coordinator state is replicated like any data.
 */

/** What one internal append should look like (Kafka: the coordinator's MemoryRecords). */
export interface InternalAppend {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaRecord[];
  /** -1 (all) for coordinator state; 1 only under a bug switch. */
  readonly acks: Acks;
  readonly timeoutMs: number;
  /** Transactional offset commits carry the producer's id and epoch, and the transactional flag. */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly isTransactional?: boolean;
  /**
   * The transactional.id of a transactional offset commit: a write that opens the transaction on
   * its partition is verified (TV1) or adds the partition to the transaction (TV2) first, as a
   * Produce would be (Kafka's group coordinator calls maybeStartTransactionVerification).
   */
  readonly transactionalId?: string;
  /** Markers: a control batch (WriteTxnMarkers on `__consumer_offsets` goes through the normal marker path). */
  readonly isControl?: boolean;
}

/** What a broker offers a hosted coordinator. */
export interface BrokerServices {
  readonly brokerId: number;
  /** The broker's node context (clock, timers, send, trace, assertions, bugs, rng). */
  readonly ctx: NodeContext;
  /**
   * Appends to a partition this broker leads and calls `done` once the append is complete for
   * its acks (acks=all: the high watermark passed it; the same errors a Produce would get,
   * including NOT_LEADER_OR_FOLLOWER when leadership moved and REQUEST_TIMED_OUT). `done` is
   * called exactly once, unless the broker crashes first.
   */
  appendInternal(append: InternalAppend, done: (error: KafkaError, baseOffset: number) => void): void;
  /** The batches of a local replica from its log start to its log end (the loader reads these). */
  readLocalLog(topic: string, partition: number): readonly RecordBatch[];
  /** The current leader of a partition by the broker's metadata, -1 when none is known. */
  leaderOf(topic: string, partition: number): number;
  /** The number of partitions of a topic by the broker's metadata (0 when unknown). */
  partitionCount(topic: string): number;
  /** A new producer id from the broker's block (KIP-730), undefined while it has none (ask again later). */
  generateProducerId(): number | undefined;
}

/** How a broker is given its coordinators (BrokerOptions.coordinators). */
export type CoordinatorFactory = (services: BrokerServices) => HostedCoordinator;

/** A coordinator a broker hosts: the broker routes its requests, responses and leadership changes to it. */
export interface HostedCoordinator {
  /** The internal topic whose partitions this coordinator owns. */
  readonly topic: string;
  /** Whether this coordinator answers requests of this type. */
  handles(type: GroupAndTxnRequest["type"] | "InitProducerId"): boolean;
  onRequest(from: string, request: GroupAndTxnRequest | { readonly type: "InitProducerId"; readonly correlationId: number; readonly transactionalId: string | null; readonly transactionTimeoutMs: number; readonly producerId: number; readonly producerEpoch: number }): void;
  /** Responses to requests the coordinator sent (WriteTxnMarkersResponse); false when not its own. */
  onResponse(from: string, response: GroupAndTxnResponse): boolean;
  /** The broker became leader of one of the coordinator's partitions at `leaderEpoch` (the coordinator epoch). */
  onBecomeLeader(partition: number, leaderEpoch: number): void;
  /** The broker no longer leads one of the coordinator's partitions. */
  onResign(partition: number, leaderEpoch: number): void;
  /**
   * A transaction marker landed on a partition of this coordinator's topic (the group
   * coordinator completes or discards pending transactional offsets on it).
   */
  onMarkerAppended?(partition: number, producerId: number, producerEpoch: number, result: "COMMIT" | "ABORT", transactionVersion: number): void;
  /** The peer's connection broke (marker requests in flight are lost). */
  onDisconnect?(peer: string): void;
}
