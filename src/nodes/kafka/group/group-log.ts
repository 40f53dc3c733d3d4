import { markerResultOf } from "../control-records.js";
import { partitionKey, type KafkaRecord, type RecordBatch, type TopicPartition } from "../protocol.js";
import { TOMBSTONE_VALUE } from "../txn/transaction-log.js";
import type { GroupState } from "./group-metadata.js";
import type { CommitRecord } from "./offsets.js";

/**
 * The records of `__consumer_offsets` (Kafka's GroupMetadataManager: OffsetCommitKey/Value and
 * GroupMetadataKey/Value) and the replay a coordinator does when it becomes leader of one of its
 * partitions. Key and value are JSON strings; the key's `version` tells the two apart as in
 * Kafka (0/1 offset commit, 2 group metadata); a tombstone has the value "".
 */

export interface OffsetCommitKey {
  readonly version: 1;
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetCommitValue {
  readonly version: 3;
  readonly offset: number;
  readonly leaderEpoch: -1;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export interface GroupMetadataKey {
  readonly version: 2;
  readonly group: string;
}

export interface MemberMetadataValue {
  readonly memberId: string;
  /** KIP-345's group.instance.id of a static member; null for a dynamic one. */
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** The member's topics under the selected protocol. */
  readonly subscription: readonly string[];
  readonly assignment: readonly TopicPartition[];
}

export interface GroupMetadataValue {
  readonly version: 3;
  readonly protocolType: string | null;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  readonly currentStateTimestampMs: number;
  readonly members: readonly MemberMetadataValue[];
}

export type GroupLogRecord =
  | { readonly kind: "offset"; readonly key: OffsetCommitKey; readonly value: OffsetCommitValue | null }
  | { readonly kind: "group"; readonly key: GroupMetadataKey; readonly value: GroupMetadataValue | null };

export function offsetCommitRecord(group: string, tp: TopicPartition, offset: number, commitTimestampMs: number): GroupLogRecord {
  return {
    kind: "offset",
    key: { version: 1, group, topic: tp.topic, partition: tp.partition },
    value: { version: 3, offset, leaderEpoch: -1, metadata: "", commitTimestampMs },
  };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue): GroupLogRecord {
  return { kind: "group", key: { version: 2, group }, value };
}

export function toKafkaRecord(record: GroupLogRecord, timestampMs: number): KafkaRecord {
  return { key: JSON.stringify(record.key), value: record.value === null ? TOMBSTONE_VALUE : JSON.stringify(record.value), timestampMs };
}

/** A record that is not a group-log record is a model error. */
export class IllegalGroupLogError extends Error {
  override readonly name = "IllegalGroupLogError";
}

export function fromKafkaRecord(record: KafkaRecord): GroupLogRecord {
  if (record.key === null) throw new IllegalGroupLogError("Group metadata/offset entry key should not be null");
  const key = JSON.parse(record.key) as OffsetCommitKey | GroupMetadataKey;
  const isTombstone = record.value === TOMBSTONE_VALUE;
  switch (key.version) {
    case 1:
      return { kind: "offset", key, value: isTombstone ? null : (JSON.parse(record.value) as OffsetCommitValue) };
    case 2:
      return { kind: "group", key, value: isTombstone ? null : (JSON.parse(record.value) as GroupMetadataValue) };
    default:
      throw new IllegalGroupLogError(`Unknown group log key version in ${record.key}`);
  }
}

/** The state a loaded group starts in (GroupMetadata.loadGroup): Empty without members, Stable with. */
export function loadedGroupState(value: GroupMetadataValue): GroupState {
  return value.members.length === 0 ? "Empty" : "Stable";
}

// ── Loading a partition ─────────────────────────────────────────────────────────────────

export interface LoadedGroupPartition {
  /** The last metadata of each group still present, in first-seen order. */
  readonly groups: ReadonlyMap<string, GroupMetadataValue>;
  /** Committed offsets by group. */
  readonly offsets: ReadonlyMap<string, readonly CommitRecord[]>;
  /** Transactional offsets not yet followed by a marker of their producer: by group, then producer id. */
  readonly pendingTxnOffsets: ReadonlyMap<string, ReadonlyMap<number, readonly CommitRecord[]>>;
}

interface GroupCommit {
  readonly group: string;
  readonly record: CommitRecord;
}

function newerThan(candidate: CommitRecord, current: CommitRecord | undefined): boolean {
  return current === undefined || (current.appendedBatchOffset ?? -1) < (candidate.appendedBatchOffset ?? -1);
}

/**
 * Kafka's doLoadGroupsAndOffsets over a partition's batches from log start to log end: plain
 * offset records are committed at once; transactional ones wait per producer for that
 * producer's next control batch (COMMIT installs those newer than what is loaded, ABORT drops
 * them); the last group metadata record of a group wins and a tombstone removes the group.
 */
export function loadGroupPartition(batches: readonly RecordBatch[]): LoadedGroupPartition {
  const loadedOffsets = new Map<string, GroupCommit>();
  const pendingOffsets = new Map<number, Map<string, GroupCommit>>();
  const groups = new Map<string, GroupMetadataValue>();

  for (const batch of batches) {
    const result = markerResultOf(batch);
    if (result !== undefined) {
      if (result === "COMMIT") {
        for (const [key, commit] of pendingOffsets.get(batch.producerId) ?? []) {
          if (newerThan(commit.record, loadedOffsets.get(key)?.record)) loadedOffsets.set(key, commit);
        }
      }
      pendingOffsets.delete(batch.producerId);
      continue;
    }
    for (const kafkaRecord of batch.records) {
      const record = fromKafkaRecord(kafkaRecord);
      if (record.kind === "group") {
        if (record.value === null) groups.delete(record.key.group);
        else groups.set(record.key.group, record.value);
        continue;
      }
      const tp = { topic: record.key.topic, partition: record.key.partition };
      const key = `${record.key.group}\u0000${partitionKey(tp.topic, tp.partition)}`;
      let target = loadedOffsets;
      if (batch.isTransactional) {
        target = pendingOffsets.get(batch.producerId) ?? new Map<string, GroupCommit>();
        pendingOffsets.set(batch.producerId, target);
      }
      if (record.value === null) target.delete(key);
      else {
        const offsetAndMetadata = { offset: record.value.offset, commitTimestampMs: record.value.commitTimestampMs };
        target.set(key, { group: record.key.group, record: { topicPartition: tp, offsetAndMetadata, appendedBatchOffset: batch.baseOffset } });
      }
    }
  }

  const offsets = new Map<string, CommitRecord[]>();
  for (const { group, record } of loadedOffsets.values()) offsets.set(group, [...(offsets.get(group) ?? []), record]);
  const pendingTxnOffsets = new Map<string, Map<number, CommitRecord[]>>();
  for (const [producerId, pending] of pendingOffsets) {
    for (const { group, record } of pending.values()) {
      const byProducer = pendingTxnOffsets.get(group) ?? new Map<number, CommitRecord[]>();
      byProducer.set(producerId, [...(byProducer.get(producerId) ?? []), record]);
      pendingTxnOffsets.set(group, byProducer);
    }
  }
  return { groups, offsets, pendingTxnOffsets };
}
