import { expect } from "vitest";
import type { KafkaError } from "../../../src/nodes/kafka/errors.js";
import {
  CONSUMER_REPLICA_ID,
  LATEST_TIMESTAMP,
  type FetchPartitionResponse,
  type IsolationLevel,
  type PartitionOffset,
  type RecordBatch,
  type TopicPartition,
} from "../../../src/nodes/kafka/protocol.js";
import type { TransactionResult, TransactionVersion } from "../../../src/nodes/kafka/txn/protocol.js";
import { batchOf, KafkaHarness, type HarnessOptions } from "../../../src/systems/kafka/harness.js";

/**
 * Request-by-request scripting of Kafka transactions over KafkaHarness (facts §1.2–§1.5): each
 * helper sends one request to the node Kafka would route it to and returns the answer as a
 * client sees it. Nothing here retries, so a test sees every error the rule under test produces.
 */

export const TOPIC = "events";
export const TXN_ID = "tx";
export const GROUP_ID = "g";
export const TIMEOUT_MS = 60_000;

/** A transactional producer's identity as the coordinator handed it out. */
export interface Producer {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export type TxnHarnessOptions = Omit<HarnessOptions, "coordinators">;

/**
 * A 3-broker cluster with coordinators, topic `events` (2 partitions, RF 3), every leader elected
 * and the coordinators loaded. Transaction version 1 unless the test says otherwise, since most
 * of facts §1.2–§1.5 describe TV1; TV2 tests pass `transactionVersion: 2`.
 */
export function txnHarness(options: TxnHarnessOptions = {}): KafkaHarness {
  const h = new KafkaHarness({
    ...options,
    coordinators: true,
    cluster: { brokers: 3, topics: [{ name: TOPIC, partitions: 2, replicationFactor: 3 }], transactionVersion: 1, ...options.cluster },
  });
  expect(h.waitForLeaders(), "every partition should get a leader").toBe(true);
  // Coordinator loading, metadata and the first producer-id block follow the elections.
  h.runFor(500);
  return h;
}

export function tp(partition: number, topic = TOPIC): TopicPartition {
  return { topic, partition };
}

// ── Transaction coordinator ──────────────────────────────────────────────────────────

export interface InitOptions {
  readonly transactionalId?: string | null;
  readonly transactionTimeoutMs?: number;
  /** KIP-360: the producer's current pair (both -1, the default, for a new producer). */
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

export function initProducerIdResponse(h: KafkaHarness, options: InitOptions = {}) {
  const transactionalId = options.transactionalId === undefined ? TXN_ID : options.transactionalId;
  const to = h.coordinatorNode("TRANSACTION", transactionalId ?? TXN_ID);
  const response = h.call<"InitProducerIdResponse">(to, {
    type: "InitProducerId",
    transactionalId,
    transactionTimeoutMs: options.transactionTimeoutMs ?? TIMEOUT_MS,
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? -1,
  });
  if (response === undefined) throw new Error("InitProducerId got no answer");
  return response;
}

/** InitProducerId that must succeed: the producer it hands out. */
export function initProducer(h: KafkaHarness, options: InitOptions = {}): Producer {
  const response = initProducerIdResponse(h, options);
  expect(response.error, "InitProducerId").toBe("NONE");
  return { transactionalId: options.transactionalId ?? TXN_ID, producerId: response.producerId, producerEpoch: response.producerEpoch };
}

export function addPartitions(h: KafkaHarness, producer: Producer, partitions: readonly TopicPartition[], transactionVersion: TransactionVersion = 1): KafkaError[] {
  const response = h.call<"AddPartitionsToTxnResponse">(h.coordinatorNode("TRANSACTION", producer.transactionalId), {
    type: "AddPartitionsToTxn",
    transactionalId: producer.transactionalId,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    partitions,
    verifyOnly: false,
    transactionVersion,
  });
  if (response === undefined) throw new Error("AddPartitionsToTxn got no answer");
  return response.results.map((r) => r.error);
}

export function addOffsets(h: KafkaHarness, producer: Producer, groupId = GROUP_ID, transactionVersion: TransactionVersion = 1): KafkaError {
  const response = h.call<"AddOffsetsToTxnResponse">(h.coordinatorNode("TRANSACTION", producer.transactionalId), {
    type: "AddOffsetsToTxn",
    transactionalId: producer.transactionalId,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    groupId,
    transactionVersion,
  });
  if (response === undefined) throw new Error("AddOffsetsToTxn got no answer");
  return response.error;
}

export function sendEndTxn(h: KafkaHarness, producer: Producer, result: TransactionResult, transactionVersion: TransactionVersion = 1): number {
  return h.send(h.coordinatorNode("TRANSACTION", producer.transactionalId), {
    type: "EndTxn",
    transactionalId: producer.transactionalId,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    result,
    transactionVersion,
  });
}

export function endTxn(h: KafkaHarness, producer: Producer, result: TransactionResult, transactionVersion: TransactionVersion = 1) {
  const id = sendEndTxn(h, producer, result, transactionVersion);
  h.runUntil(() => h.response(id) !== undefined, 5000);
  const response = h.response(id);
  if (response?.type !== "EndTxnResponse") throw new Error("EndTxn got no answer");
  return response;
}

/** The coordinator's view of a transactional id; undefined also while its partition has no leader (failover). */
export function transactionStateOf(h: KafkaHarness, transactionalId = TXN_ID): ReturnType<KafkaHarness["transactionState"]> {
  try {
    return h.transactionState(transactionalId);
  } catch {
    return undefined;
  }
}

/** Runs until the coordinator has written every marker and the transaction rests in `state`. */
export function waitForState(h: KafkaHarness, state: string, transactionalId = TXN_ID, maxMs = 5000): boolean {
  return h.runUntil(() => {
    const s = transactionStateOf(h, transactionalId);
    return s?.state === state && s.pendingState === null;
  }, maxMs);
}

/**
 * The next `count` WriteTxnMarkers requests are held for `durationMs` (below the coordinator's
 * 30 s request timeout, so that no resend is needed): the coordinator stays in Prepare* meanwhile.
 */
export function holdMarkers(h: KafkaHarness, durationMs = 10_000, count = 1): void {
  h.apply({ kind: "hold", type: "WriteTxnMarkers", durationMs, count });
}

// ── Partitions ─────────────────────────────────────────────────────────────────────────

/** A transactional batch of `producer` (sequence from 0 unless given). */
export function txnBatch(producer: Producer, values: readonly string[], baseSequence = 0): RecordBatch {
  return { ...batchOf(values, { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence }), isTransactional: true };
}

/** One acks=all Produce of one batch to the partition's leader; that partition's error and base offset. */
export function produceBatch(h: KafkaHarness, batch: RecordBatch, partition = 0, transactionalId: string | null = TXN_ID) {
  const response = h.call<"ProduceResponse">(h.leaderNode(TOPIC, partition), {
    type: "Produce",
    acks: -1,
    timeoutMs: 30_000,
    transactionalId,
    topicData: [{ topic: TOPIC, partition, batch }],
  });
  const result = response?.responses[0];
  if (result === undefined) throw new Error("Produce got no answer");
  return result;
}

/** A transactional Produce of `values` by `producer`. */
export function produceTxn(h: KafkaHarness, producer: Producer, values: readonly string[], options: { partition?: number; baseSequence?: number } = {}) {
  return produceBatch(h, txnBatch(producer, values, options.baseSequence ?? 0), options.partition ?? 0, producer.transactionalId);
}

/** A plain (non-idempotent) Produce of `values`. */
export function producePlain(h: KafkaHarness, values: readonly string[], partition = 0) {
  return produceBatch(h, batchOf(values), partition, null);
}

export function fetch(h: KafkaHarness, isolationLevel: IsolationLevel, options: { partition?: number; fetchOffset?: number } = {}): FetchPartitionResponse {
  const partition = options.partition ?? 0;
  const response = h.call<"FetchResponse">(h.leaderNode(TOPIC, partition), {
    type: "Fetch",
    replicaId: CONSUMER_REPLICA_ID,
    replicaEpoch: -1,
    isolationLevel,
    maxBytes: 1 << 20,
    partitions: [{ topic: TOPIC, partition, fetchOffset: options.fetchOffset ?? 0, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
  });
  const result = response?.partitions[0];
  if (result === undefined) throw new Error("Fetch got no answer");
  return result;
}

/** Values of the data (non-control) records of a fetch, in offset order. */
export function dataValues(response: FetchPartitionResponse): string[] {
  return response.batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value));
}

export function listLatestOffset(h: KafkaHarness, isolationLevel: IsolationLevel, partition = 0): number {
  const response = h.call<"ListOffsetsResponse">(h.leaderNode(TOPIC, partition), {
    type: "ListOffsets",
    isolationLevel,
    partitions: [{ topic: TOPIC, partition, timestamp: LATEST_TIMESTAMP }],
  });
  const result = response?.partitions[0];
  if (result === undefined) throw new Error("ListOffsets got no answer");
  expect(result.error).toBe("NONE");
  return result.offset;
}

/** The leader's view of a partition: log end, HW and LSO. */
export function offsetsOf(h: KafkaHarness, partition = 0): { logEndOffset: number; highWatermark: number; lastStableOffset: number } {
  const leader = h.leaderOf(TOPIC, partition);
  const snapshot = h.replicas(TOPIC, partition).find((r) => r.broker === leader);
  if (snapshot === undefined) throw new Error(`no leader for ${TOPIC}-${partition}`);
  return { logEndOffset: snapshot.logEndOffset, highWatermark: snapshot.highWatermark, lastStableOffset: snapshot.lastStableOffset };
}

/** Control batches (markers) in the leader's log of a partition, as (producerId, producerEpoch, offset). */
export function markersOf(h: KafkaHarness, partition = 0): { producerId: number; producerEpoch: number; offset: number }[] {
  const leader = h.leaderOf(TOPIC, partition);
  const snapshot = h.replicas(TOPIC, partition).find((r) => r.broker === leader);
  return (snapshot?.batches ?? []).filter((b) => b.isControl).map((b) => ({ producerId: b.producerId, producerEpoch: b.producerEpoch, offset: b.baseOffset }));
}

/** WriteTxnMarkers sent by the script straight to the partition's leader; that partition's error. */
export function writeMarker(
  h: KafkaHarness,
  result: TransactionResult,
  marker: { producerId: number; producerEpoch: number; coordinatorEpoch?: number; partition?: number; transactionVersion?: TransactionVersion },
): KafkaError | undefined {
  const partition = marker.partition ?? 0;
  const response = h.call<"WriteTxnMarkersResponse">(h.leaderNode(TOPIC, partition), {
    type: "WriteTxnMarkers",
    markers: [
      {
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch ?? 0,
        result,
        transactionVersion: marker.transactionVersion ?? 1,
        partitions: [tp(partition)],
      },
    ],
  });
  return response?.markers[0]?.partitions[0]?.error;
}

// ── Group coordinator ─────────────────────────────────────────────────────────────────

export function txnOffsetCommit(
  h: KafkaHarness,
  producer: Producer,
  offsets: readonly PartitionOffset[],
  member: { generationId?: number; memberId?: string; groupId?: string } = {},
): KafkaError[] {
  const groupId = member.groupId ?? GROUP_ID;
  const response = h.call<"TxnOffsetCommitResponse">(h.coordinatorNode("GROUP", groupId), {
    type: "TxnOffsetCommit",
    transactionalId: producer.transactionalId,
    groupId,
    producerId: producer.producerId,
    producerEpoch: producer.producerEpoch,
    generationId: member.generationId ?? -1,
    memberId: member.memberId ?? "",
    groupInstanceId: null,
    offsets,
  });
  if (response === undefined) throw new Error("TxnOffsetCommit got no answer");
  return response.results.map((r) => r.error);
}

export function offsetCommit(h: KafkaHarness, offsets: readonly PartitionOffset[], groupId = GROUP_ID): KafkaError[] {
  const response = h.call<"OffsetCommitResponse">(h.coordinatorNode("GROUP", groupId), {
    type: "OffsetCommit",
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    offsets,
  });
  if (response === undefined) throw new Error("OffsetCommit got no answer");
  return response.results.map((r) => r.error);
}

export function offsetFetch(h: KafkaHarness, partitions: readonly TopicPartition[], requireStable: boolean, groupId = GROUP_ID) {
  const response = h.call<"OffsetFetchResponse">(h.coordinatorNode("GROUP", groupId), { type: "OffsetFetch", groupId, partitions, requireStable });
  if (response === undefined) throw new Error("OffsetFetch got no answer");
  return response;
}

export function offset(partition: number, value: number): PartitionOffset {
  return { topic: TOPIC, partition, offset: value };
}
