/**
 * Report record kinds: the trace records the HTML report's transaction timeline, partition view
 * and monitoring metrics are drawn from. Actors emit them with `ctx.trace(kind, fields)` like any
 * other trace record (so they are part of the trace hash); the report reads them from the trace
 * stream through `RunRecording` and never asks an actor for its state. A run that emits none of
 * a kind gets an explicit "no … in this run" placeholder in the view that needs it.
 *
 * The node of a record is the node that emits it. Field values are trace values: numbers,
 * strings, booleans. Records whose required fields are missing or of the wrong type are counted
 * as malformed (the report says how many) and otherwise ignored.
 *
 * | kind                | emitted by                     | fields                                                           |
 * |---------------------|--------------------------------|------------------------------------------------------------------|
 * | `txn.state`         | transaction coordinator        | txnId, state, producerId, epoch, reason?                         |
 * | `txn.marker`        | partition leader               | topic, partition, result, producerId, epoch, offset, firstOffset?, txnId? |
 * | `partition.leader`  | controller (or the new leader) | topic, partition, leader ("" = none), leaderEpoch?, isr?         |
 * | `partition.offsets` | each replica of a partition    | topic, partition, leo, hw?, lso?, leader?                        |
 * | `consumer.records`  | consumer client                | group, topic, partition, count, position                         |
 * | `offset.commit`     | the group coordinator          | group, latencyUs, transactional?                                 |
 * | `metric.<name>`     | anyone                         | value, unit?                                                     |
 *
 * Emitters use the string literals below (nodes sit below report/ in the layering, so they do
 * not import this module); the table is the contract. Keep each record small: these run on the
 * hot path of every traced run. Field names must not be `i`, `t`, `kind`, `node` or `hash`:
 * the JSONL trace file puts the fields beside those keys.
 */
import type { TraceFields, TraceRecord } from "../../sim/trace.js";

export const RECORD_KINDS = {
  txnState: "txn.state",
  txnMarker: "txn.marker",
  partitionLeader: "partition.leader",
  partitionOffsets: "partition.offsets",
  consumerRecords: "consumer.records",
  offsetCommit: "offset.commit",
  /** Prefix: `metric.<name>` is a gauge sample of metric `<name>`. */
  metricPrefix: "metric.",
} as const;

/** Coordinator states of a transactional.id (Kafka's TransactionState names). */
export const TXN_STATES = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "PrepareEpochFence", "Dead"] as const;
export type TxnStateName = (typeof TXN_STATES)[number];

/** States in which a transaction is open: its producer epoch is in use. */
export const OPEN_TXN_STATES: readonly string[] = ["Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"];

/**
 * `txn.state`: the coordinator (the record's node) moved `txnId` to `state`. Emit it after the
 * transition is persisted in `__transaction_state`, once per transition, reloads included.
 */
export interface TxnStateFields {
  readonly txnId: string;
  /** One of TXN_STATES; other names are drawn too, in grey. */
  readonly state: string;
  readonly producerId: number;
  readonly epoch: number;
  /** Why, when it is not the client's request: "fence", "timeout", "reload", "init"… A "fence" is marked on the timeline. */
  readonly reason?: string;
}

/** `txn.marker`: a control record (transaction marker) was appended at `offset` of a partition. */
export interface TxnMarkerFields {
  readonly topic: string;
  readonly partition: number;
  readonly result: "COMMIT" | "ABORT";
  readonly producerId: number;
  readonly epoch: number;
  readonly offset: number;
  /** First offset of the transaction on this partition: with ABORT, [firstOffset, offset] is an aborted range. */
  readonly firstOffset?: number;
  readonly txnId?: string;
}

/** `partition.leader`: the partition's leader changed. `leader: ""` means no leader (offline). */
export interface PartitionLeaderFields {
  readonly topic: string;
  readonly partition: number;
  readonly leader: string;
  readonly leaderEpoch?: number;
  /** Comma-separated in-sync replicas. */
  readonly isr?: string;
}

/**
 * `partition.offsets`: what one replica (the record's node) holds: log end offset, and as far as
 * it knows the high watermark and last stable offset. Emit when any of them moves (not on every
 * request). `leader` lets a system without `partition.leader` records still show its leader.
 */
export interface PartitionOffsetsFields {
  readonly topic: string;
  readonly partition: number;
  readonly leo: number;
  readonly hw?: number;
  readonly lso?: number;
  readonly leader?: string;
}

/** `consumer.records`: a poll returned `count` records of a partition; `position` is the next offset to fetch. */
export interface ConsumerRecordsFields {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly count: number;
  readonly position: number;
}

/**
 * `offset.commit`: the group coordinator answered an OffsetCommit (or TxnOffsetCommit) `latencyUs`
 * after it arrived, its append to `__consumer_offsets` done (the network to and from the client is
 * not included).
 */
export interface OffsetCommitFields {
  readonly group: string;
  readonly latencyUs: number;
  readonly transactional?: boolean;
}

/** `metric.<name>`: one sample of a gauge. */
export interface MetricFields {
  readonly value: number;
  readonly unit?: string;
}

/** A parsed report record, or undefined when the record is not one. */
export type ReportRecord =
  | ({ readonly kind: "txn.state" } & TxnStateFields)
  | ({ readonly kind: "txn.marker" } & TxnMarkerFields)
  | ({ readonly kind: "partition.leader" } & PartitionLeaderFields)
  | ({ readonly kind: "partition.offsets" } & PartitionOffsetsFields)
  | ({ readonly kind: "consumer.records" } & ConsumerRecordsFields)
  | ({ readonly kind: "offset.commit" } & OffsetCommitFields)
  | ({ readonly kind: "metric"; readonly name: string } & MetricFields);

/** True for the kinds this module defines (whether or not the fields are well formed). */
export function isReportKind(kind: string): boolean {
  switch (kind) {
    case RECORD_KINDS.txnState:
    case RECORD_KINDS.txnMarker:
    case RECORD_KINDS.partitionLeader:
    case RECORD_KINDS.partitionOffsets:
    case RECORD_KINDS.consumerRecords:
    case RECORD_KINDS.offsetCommit:
      return true;
    default:
      return kind.startsWith(RECORD_KINDS.metricPrefix) && kind.length > RECORD_KINDS.metricPrefix.length;
  }
}

/** Parses a trace record of a report kind; undefined when it is another kind or malformed. */
export function parseReportRecord(record: Pick<TraceRecord, "kind" | "fields">): ReportRecord | undefined {
  const f = record.fields ?? {};
  switch (record.kind) {
    case RECORD_KINDS.txnState: {
      const txnId = str(f, "txnId");
      const state = str(f, "state");
      const producerId = num(f, "producerId");
      const epoch = num(f, "epoch");
      if (txnId === undefined || state === undefined || producerId === undefined || epoch === undefined) return undefined;
      return { kind: "txn.state", txnId, state, producerId, epoch, reason: str(f, "reason") };
    }
    case RECORD_KINDS.txnMarker: {
      const topic = str(f, "topic");
      const partition = num(f, "partition");
      const result = str(f, "result");
      const producerId = num(f, "producerId");
      const epoch = num(f, "epoch");
      const offset = num(f, "offset");
      if (topic === undefined || partition === undefined || producerId === undefined || epoch === undefined || offset === undefined) return undefined;
      if (result !== "COMMIT" && result !== "ABORT") return undefined;
      return { kind: "txn.marker", topic, partition, result, producerId, epoch, offset, firstOffset: num(f, "firstOffset"), txnId: str(f, "txnId") };
    }
    case RECORD_KINDS.partitionLeader: {
      const topic = str(f, "topic");
      const partition = num(f, "partition");
      const leader = f["leader"] === null ? "" : str(f, "leader");
      if (topic === undefined || partition === undefined || leader === undefined) return undefined;
      return { kind: "partition.leader", topic, partition, leader, leaderEpoch: num(f, "leaderEpoch"), isr: str(f, "isr") };
    }
    case RECORD_KINDS.partitionOffsets: {
      const topic = str(f, "topic");
      const partition = num(f, "partition");
      const leo = num(f, "leo");
      if (topic === undefined || partition === undefined || leo === undefined) return undefined;
      return { kind: "partition.offsets", topic, partition, leo, hw: num(f, "hw"), lso: num(f, "lso"), leader: str(f, "leader") };
    }
    case RECORD_KINDS.consumerRecords: {
      const group = str(f, "group");
      const topic = str(f, "topic");
      const partition = num(f, "partition");
      const count = num(f, "count");
      const position = num(f, "position");
      if (group === undefined || topic === undefined || partition === undefined || count === undefined || position === undefined) return undefined;
      return { kind: "consumer.records", group, topic, partition, count, position };
    }
    case RECORD_KINDS.offsetCommit: {
      const group = str(f, "group");
      const latencyUs = num(f, "latencyUs");
      if (group === undefined || latencyUs === undefined) return undefined;
      const transactional = f["transactional"];
      return { kind: "offset.commit", group, latencyUs, transactional: typeof transactional === "boolean" ? transactional : undefined };
    }
    default: {
      if (!isReportKind(record.kind)) return undefined;
      const value = num(f, "value");
      if (value === undefined) return undefined;
      return { kind: "metric", name: record.kind.slice(RECORD_KINDS.metricPrefix.length), value, unit: str(f, "unit") };
    }
  }
}

/** `topic-partition`, Kafka's way of naming a partition. */
export function partitionName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

function str(fields: TraceFields, key: string): string | undefined {
  const value = fields[key];
  return typeof value === "string" ? value : undefined;
}

function num(fields: TraceFields, key: string): number | undefined {
  const value = fields[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
