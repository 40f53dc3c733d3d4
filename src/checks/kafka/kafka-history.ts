import { historyReader, type HistoryOp, type HistoryReader, type HistorySource } from "../../../sim/history.js";
import type { AssignValue, EndOffsetsValue, PolledRecord, PollValue, SeekValue, SendValue, TxnValue } from "../../nodes/kafka/history-values.js";
import type { Evidence } from "../violation.js";
import { partitionKey as brokerPartitionKey } from "../../nodes/kafka/protocol.js";
import { ObservationTable, SendTable } from "./fold-tables.js";
import { OffsetListMap, StringListMap } from "./list-maps.js";

/**
 * The history of a Kafka run folded once into the facts the data-plane checkers read
 * (src/nodes/kafka/history-values.ts describes the ops):
 *
 * - every send, by topic and value, with its outcome: `ok` (acknowledged at a partition and
 *   offset), `fail` (definitely not written), `info` or `pending` (never completed: it may
 *   have been written);
 * - per partition (`topic-partition`): the acknowledged sends at each offset, the values read
 *   at each offset with the first poll that saw each and the processes that saw it, the highest
 *   offset read, the largest end offset recorded, and the sorted offsets known to hold a record;
 * - per topic and value: every distinct (partition, offset) at which the value was read;
 * - per consumer process: its polls and repositions (seek, assign) in the order it made them.
 *
 * An `ok` send without an offset (or with a negative one: the legacy DUPLICATE_SEQUENCE_NUMBER
 * success) is acknowledged but has no position: it counts as sent, never as placed.
 *
 * Transactions (f:"txn"): each send a transaction lists becomes a send of the transaction's
 * invoke and completion. Only a transaction that definitely committed (ok, outcome COMMIT) gives
 * its sends the outcome `ok` (placed when they carry an offset); the sends of every other
 * transaction (aborted, failed, info) are `info`, since their records may sit in the log as
 * aborted or undecided data that read_uncommitted consumers can read, and those of a transaction
 * that never completed are `pending`. So lost-write judges only committed transactional records,
 * and src/checks/kafka-txn judges what read_committed consumers may see.
 *
 * Isolation: a poll value may carry `isolation: "read_committed" | "read_uncommitted"`, an
 * assign `isolation` or `isolationLevel` (AssignValue); a poll without one takes the isolation
 * of its process's last assign that carried one, else read_uncommitted.
 * Offsets observed by read_committed polls are kept apart (`committedOffsets`) so checkers can
 * hold read_committed consumers only to records known to be committed.
 *
 * Folding is linear in the number of ops and records; the sort of known offsets is n log n.
 */

export type IsolationLevel = "read_uncommitted" | "read_committed";

/** Partitions are keyed `${topic}-${partition}`, as Kafka prints them: `orders-0`. */
export type PartitionKey = string;

/** The same memoised key the brokers use. */
export function partitionKey(topic: string, partition: number): PartitionKey {
  return brokerPartitionKey(topic, partition);
}

export type SendOutcome = "ok" | "fail" | "info" | "pending";

export interface Send {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly outcome: SendOutcome;
  readonly invoke: HistoryOp;
  /** The ok, fail or info that completed the send; undefined while pending. */
  readonly completion: HistoryOp | undefined;
  readonly partition: number | undefined;
  /** Set only for an `ok` with a non-negative offset. */
  readonly offset: number | undefined;
}

/** An acknowledged send with its position. */
export interface Ack {
  readonly send: Send;
  readonly value: string;
  readonly offset: number;
  readonly ok: HistoryOp;
}

/** One value read at one (partition, offset), over all polls that returned it there. */
export interface Observation {
  readonly value: string;
  readonly offset: number;
  /** The first poll (ok op) that returned it. */
  readonly first: HistoryOp;
  /** Distinct processes that read it, in first-read order. */
  readonly processes: readonly string[];
  /** How many times it was returned in all. */
  readonly reads: number;
  /** Whether a read_committed poll returned it. */
  readonly committed: boolean;
}

export interface PartitionFacts {
  readonly key: PartitionKey;
  readonly topic: string;
  readonly partition: number;
  /** Acknowledged sends by offset. */
  readonly acks: ReadonlyMap<number, readonly Ack[]>;
  /** Values read, by offset, in first-read order. */
  readonly observed: ReadonlyMap<number, readonly Observation[]>;
  /** The highest offset any poll returned, or -1. */
  readonly highestReadOffset: number;
  /** The largest end offset recorded by an end-offsets op, with the op; undefined if none. */
  readonly endOffset: { readonly offset: number; readonly op: HistoryOp } | undefined;
  /** Offsets known to hold a record (acknowledged or read), ascending. */
  readonly knownOffsets: readonly number[];
  /** Offsets read by a read_committed poll, ascending. */
  readonly committedOffsets: readonly number[];
}

/** Where a value was read: one entry per distinct (partition, offset). */
export interface ReadPosition {
  readonly partition: number;
  readonly observation: Observation;
}

export type ConsumerStep =
  | { readonly kind: "poll"; readonly op: HistoryOp; readonly isolation: IsolationLevel; readonly records: readonly PolledRecord[] }
  /** A poll that completed with info, or never completed: it may have moved positions unseen. */
  | { readonly kind: "unknown-poll"; readonly op: HistoryOp }
  /** A seek or assign, taken at its invoke (it may have taken effect whatever its outcome). */
  | { readonly kind: "reposition"; readonly op: HistoryOp; readonly partitions: readonly PartitionKey[] };

export interface KafkaHistory {
  /** The history folded: ops by index, for evidence and for the records of polls. */
  readonly history: HistoryReader;
  readonly partitions: ReadonlyMap<PartitionKey, PartitionFacts>;
  /** topic → value → every send of it, in invoke order. */
  readonly sends: ReadonlyMap<string, ReadonlyMap<string, readonly Send[]>>;
  /** topic → value → the distinct positions it was read at, in first-read order. */
  readonly reads: ReadonlyMap<string, ReadonlyMap<string, readonly ReadPosition[]>>;
  /** process → its polls and repositions, in order. */
  readonly consumers: ReadonlyMap<string, readonly ConsumerStep[]>;
}

/** At most this many ops, processes or offsets go into one violation's evidence lists. */
export const EVIDENCE_LIST_MAX = 10;

// ---- folding ----

/** Ascending union of two ascending lists of distinct numbers. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as number);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}

interface MutablePartition {
  key: PartitionKey;
  topic: string;
  partition: number;
  acks: OffsetListMap<Ack>;
  observed: OffsetListMap<Observation>;
  highestReadOffset: number;
  endOffset: { offset: number; op: HistoryOp } | undefined;
  knownOffsets: number[];
  committedOffsets: number[];
}

/** A poll step: its op kept as an index, its records decoded from the history each time they are read. */
class PollStep {
  readonly kind = "poll";

  constructor(
    private readonly history: HistoryReader,
    private readonly opIndex: number,
    readonly isolation: IsolationLevel,
  ) {}

  get op(): HistoryOp {
    return this.history.ref(this.opIndex);
  }

  get records(): readonly PolledRecord[] {
    return (this.history.op(this.opIndex).value as PollValue).records;
  }
}

/**
 * Folds a history op by op, in history order: a run hands it each op as it is recorded
 * (History.listen), so no op is decoded to fold it; kafkaHistoryOf folds a recorded history the
 * same way. Sends and reads go into typed tables (fold-tables.ts); a poll's records are not
 * kept but read back from the history when a checker walks the consumer's steps. `finish` ends
 * the fold (ops still open count as never completed) and returns the facts; no op may be added
 * after it.
 */
export class KafkaHistoryFold {
  private finished: KafkaHistory | undefined;
  private readonly partitions = new Map<PartitionKey, MutablePartition>();
  private readonly sends = new Map<string, StringListMap<Send>>();
  private readonly reads = new Map<string, StringListMap<ReadPosition>>();
  private readonly sendTable: SendTable;
  private readonly observations: ObservationTable;
  /** Whether observation `item` is of `value` (one function for every record folded). */
  private readonly holdsValue = (item: number, value: string): boolean => this.observations.valueOf(item) === value;
  private readonly consumers = new Map<string, ConsumerStep[]>();
  /** Sends, transactions and polls invoked and not completed yet, by invoke index. */
  private readonly pendingSends = new Map<number, HistoryOp>();
  private readonly pendingTxns = new Map<number, HistoryOp>();
  private readonly pendingPolls = new Map<number, HistoryOp>();
  private readonly consumerIsolation = new Map<string, IsolationLevel>();
  private lastPartition: MutablePartition | undefined;

  constructor(private readonly history: HistoryReader) {
    this.sendTable = new SendTable(history);
    this.observations = new ObservationTable(history);
  }

  add(op: HistoryOp): void {
    if (this.finished !== undefined) throw new Error(`kafka history fold: op ${op.index} added after the fold finished`);
    if (op.type === "invoke") this.invoke(op);
    else this.complete(op);
  }

  finish(): KafkaHistory {
    if (this.finished !== undefined) return this.finished;
    for (const invoke of this.pendingSends.values()) this.addSend(invoke.value as SendValue, invoke, undefined);
    for (const invoke of this.pendingTxns.values()) this.addTxnSends(invoke, undefined);
    for (const invoke of this.pendingPolls.values()) this.stepsOf(invoke.process).push({ kind: "unknown-poll", op: this.history.ref(invoke.index) });
    for (const facts of this.partitions.values()) this.sortOffsets(facts);
    this.pendingSends.clear();
    this.pendingTxns.clear();
    this.pendingPolls.clear();
    this.finished = { history: this.history, partitions: this.partitions, sends: this.sends, reads: this.reads, consumers: this.consumers };
    return this.finished;
  }

  private invoke(op: HistoryOp): void {
    switch (op.f) {
      case "send":
        if (isSendValue(op.value)) this.pendingSends.set(op.index, op);
        return;
      case "poll":
        this.pendingPolls.set(op.index, op);
        return;
      case "txn":
        if (isTxnValue(op.value)) this.pendingTxns.set(op.index, op);
        return;
      case "seek":
        if (isSeekValue(op.value)) this.reposition(op, [partitionKey(op.value.topic, op.value.partition)]);
        return;
      case "assign": {
        if (!isAssignValue(op.value)) return;
        const isolation = isolationIn(op.value);
        if (isolation !== undefined) this.consumerIsolation.set(op.process, isolation);
        this.reposition(op, op.value.partitions.map(([topic, partition]) => partitionKey(topic, partition)));
        return;
      }
    }
  }

  private complete(op: HistoryOp): void {
    const invokeIndex = op.invokeIndex;
    if (invokeIndex === undefined) return;
    switch (op.f) {
      case "send": {
        const invoke = this.pendingSends.get(invokeIndex);
        if (invoke === undefined) return;
        this.pendingSends.delete(invokeIndex);
        this.addSend(withPosition(invoke.value as SendValue, op.value), invoke, op);
        return;
      }
      case "poll": {
        const invoke = this.pendingPolls.get(invokeIndex);
        this.pendingPolls.delete(invokeIndex);
        if (op.type === "ok" && isPollValue(op.value)) this.addPoll(op, this.isolationOf(op, invoke));
        else if (op.type === "info") this.stepsOf(op.process).push({ kind: "unknown-poll", op: this.history.ref(op.index) });
        return;
      }
      case "end-offsets":
        if (op.type === "ok" && isEndOffsetsValue(op.value)) this.addEndOffsets(op, op.value);
        return;
      case "txn": {
        const invoke = this.pendingTxns.get(invokeIndex);
        if (invoke === undefined) return;
        this.pendingTxns.delete(invokeIndex);
        this.addTxnSends(invoke, op);
        return;
      }
    }
  }

  /** Each send of a transaction, as a send completed by the transaction's completion. */
  private addTxnSends(invoke: HistoryOp, completion: HistoryOp | undefined): void {
    const value = completion !== undefined && isTxnValue(completion.value) ? completion.value : (invoke.value as TxnValue);
    const committed = completion?.type === "ok" && value.outcome === "COMMIT";
    const outcome: SendOutcome = completion === undefined ? "pending" : committed ? "ok" : "info";
    for (const send of value.sends) this.addSend(send, invoke, completion, outcome);
  }

  private addSend(value: SendValue, invoke: HistoryOp, completion: HistoryOp | undefined, outcome: SendOutcome = outcomeOf(completion)): void {
    const placed = outcome === "ok" && completion !== undefined && value.partition !== undefined && value.offset !== undefined && value.offset >= 0;
    const index = this.sendTable.add({
      topic: value.topic,
      key: value.key,
      value: value.value,
      partition: value.partition,
      outcome,
      invokeIndex: invoke.index,
      completionIndex: completion === undefined ? -1 : completion.index,
      offset: placed ? value.offset : undefined,
    });
    listMapIn(this.sends, value.topic, this.sendTable.view).add(value.value, index);
    if (placed) this.partitionOf(value.topic, value.partition as number).acks.add(value.offset as number, index);
  }

  private addPoll(op: HistoryOp, isolation: IsolationLevel): void {
    const records = (op.value as PollValue).records;
    const process = op.process;
    this.stepsOf(process).push(new PollStep(this.history, op.index, isolation));
    const committed = isolation === "read_committed";
    const observations = this.observations;
    // Indexed loops, no destructuring or closures: this runs once per record read in the run.
    for (let r = 0; r < records.length; r++) {
      const record = records[r] as PolledRecord;
      const topic = record[0];
      const partition = record[1];
      const offset = record[2];
      const value = record[3];
      const facts = this.partitionOf(topic, partition);
      if (offset > facts.highestReadOffset) facts.highestReadOffset = offset;
      let observation = facts.observed.findItem(offset, this.holdsValue, value);
      if (observation < 0) {
        const canonical = this.canonical(topic, value);
        observation = observations.add(canonical, partition, offset, op.index, process);
        facts.observed.add(offset, observation);
        listMapIn(this.reads, topic, observations.view).add(canonical, observation);
      } else observations.readAgain(observation, process);
      if (committed) observations.markCommitted(observation);
    }
  }

  /** The sent copy of a value read, if it was sent: one string per value, not one per read. */
  private canonical(topic: string, value: string): string {
    const send = this.sends.get(topic)?.firstItem(value) ?? -1;
    return send < 0 ? value : this.sendTable.valueOf(send);
  }

  private addEndOffsets(op: HistoryOp, value: EndOffsetsValue): void {
    for (const [topic, partition, endOffset] of value.offsets) {
      const facts = this.partitionOf(topic, partition);
      if (facts.endOffset === undefined || endOffset > facts.endOffset.offset) facts.endOffset = { offset: endOffset, op: this.history.ref(op.index) };
    }
  }

  private isolationOf(poll: HistoryOp, invoke: HistoryOp | undefined): IsolationLevel {
    return isolationIn(poll.value) ?? isolationIn(invoke?.value) ?? this.consumerIsolation.get(poll.process) ?? "read_uncommitted";
  }

  private reposition(op: HistoryOp, partitions: readonly PartitionKey[]): void {
    this.stepsOf(op.process).push({ kind: "reposition", op: this.history.ref(op.index), partitions });
  }

  private stepsOf(process: string): ConsumerStep[] {
    return listIn(this.consumers, process);
  }

  private partitionOf(topic: string, partition: number): MutablePartition {
    // Consecutive records mostly come from one partition: skip the key and the lookup then.
    const last = this.lastPartition;
    if (last !== undefined && last.partition === partition && last.topic === topic) return last;
    const key = partitionKey(topic, partition);
    let facts = this.partitions.get(key);
    if (facts === undefined) {
      facts = {
        key,
        topic,
        partition,
        acks: new OffsetListMap(this.sendTable.view),
        observed: new OffsetListMap(this.observations.view),
        highestReadOffset: -1,
        endOffset: undefined,
        knownOffsets: [],
        committedOffsets: [],
      };
      this.partitions.set(key, facts);
    }
    this.lastPartition = facts;
    return facts;
  }

  private sortOffsets(facts: MutablePartition): void {
    if (!facts.acks.dense || !facts.observed.dense) {
      const known = new Set<number>(facts.acks.keys());
      for (const offset of facts.observed.keys()) known.add(offset);
      facts.knownOffsets = [...known].sort(ascending);
      facts.committedOffsets = [...facts.observed]
        .filter(([, observations]) => observations.some((o) => o.committed))
        .map(([offset]) => offset)
        .sort(ascending);
      return;
    }
    // The same lists, from the slots: ascending already, no set and no sort.
    const observed = facts.observed.sortedKeys();
    facts.knownOffsets = mergeAscending(facts.acks.sortedKeys(), observed);
    facts.committedOffsets = observed.filter((offset) => (facts.observed.get(offset) as readonly Observation[]).some((o) => o.committed));
  }
}

/** Folds a history into the per-partition, per-value and per-consumer facts. */
export function kafkaHistoryOf(source: HistorySource): KafkaHistory {
  const history = historyReader(source);
  const fold = new KafkaHistoryFold(history);
  for (let i = 0; i < history.length; i++) fold.add(history.op(i));
  return fold.finish();
}

// ---- helpers the checkers share ----

/** Index of the first element of an ascending array greater than `x` (length if none). */
export function firstAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Evidence from the ops involved (deduplicated, in history order): their trace indices and the latest time. */
export function evidenceOf(ops: readonly HistoryOp[], data: Readonly<Record<string, unknown>>): Evidence {
  const byIndex = new Map<number, HistoryOp>();
  for (const op of ops) byIndex.set(op.index, op);
  const sorted = [...byIndex.values()].sort((a, b) => a.index - b.index);
  return {
    ops: sorted.map((op) => op.index),
    traceIndices: sorted.map((op) => op.traceIndex),
    timeUs: sorted.reduce((latest, op) => Math.max(latest, op.timeUs), 0),
    data,
  };
}

/** Distinct strings, in first-seen order, at most EVIDENCE_LIST_MAX of them. */
export function distinctCapped(items: Iterable<string>): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (out.length >= EVIDENCE_LIST_MAX) break;
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** Sorts found violations by the history index at which each became provable (stable). */
export function inProofOrder<T extends { readonly at: number }>(found: T[]): T[] {
  return found.sort((a, b) => a.at - b.at);
}

/** "c1", "c1 and c2", "c1, c2 and c3". */
export function listed(items: readonly (string | number)[]): string {
  if (items.length <= 1) return items.map(String).join("");
  return `${items.slice(0, -1).join(", ")} and ${String(items[items.length - 1])}`;
}

function ascending(a: number, b: number): number {
  return a - b;
}

function listMapIn<V>(map: Map<string, StringListMap<V>>, key: string, view: (item: number) => V): StringListMap<V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new StringListMap(view);
    map.set(key, inner);
  }
  return inner;
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isSendValue(value: unknown): value is SendValue {
  return isObject(value) && typeof value.topic === "string" && typeof value.value === "string";
}

function isPollValue(value: unknown): value is PollValue {
  return isObject(value) && Array.isArray(value.records);
}

function isSeekValue(value: unknown): value is SeekValue {
  return isObject(value) && typeof value.topic === "string" && typeof value.partition === "number";
}

function isAssignValue(value: unknown): value is AssignValue {
  return isObject(value) && Array.isArray(value.partitions);
}

function isTxnValue(value: unknown): value is TxnValue {
  return isObject(value) && typeof value.transactionalId === "string" && Array.isArray(value.sends);
}

function outcomeOf(completion: HistoryOp | undefined): SendOutcome {
  return completion === undefined ? "pending" : (completion.type as Exclude<HistoryOp["type"], "invoke">);
}

function isEndOffsetsValue(value: unknown): value is EndOffsetsValue {
  return isObject(value) && Array.isArray(value.offsets);
}

/** The invoked send with the partition and offset its completion reported, if any. */
function withPosition(sent: SendValue, completion: unknown): SendValue {
  if (!isObject(completion)) return sent;
  // A writer's ok usually repeats the whole send with its position: take it as it is.
  if (completion.topic === sent.topic && completion.value === sent.value && completion.key === sent.key && typeof completion.partition === "number" && typeof completion.offset === "number") {
    return completion as unknown as SendValue;
  }
  const { partition, offset } = completion;
  // A literal, not spreads: cheaper, and the same fields for every reader of a SendValue.
  return {
    topic: sent.topic,
    key: sent.key,
    value: sent.value,
    partition: typeof partition === "number" ? partition : sent.partition,
    offset: typeof offset === "number" ? offset : sent.offset,
  };
}

/** The isolation level an op's value states (`isolation`, or an assign's `isolationLevel`), if it states one. */
function isolationIn(value: unknown): IsolationLevel | undefined {
  if (!isObject(value)) return undefined;
  const stated = value.isolation ?? value.isolationLevel;
  return stated === "read_committed" || stated === "read_uncommitted" ? stated : undefined;
}
