import { historyReader, type HistoryOp, type HistoryReader, type HistorySource } from "../../../sim/history.js";
import type { SimTimeUs } from "../../../sim/time.js";
import type { InitValue, PolledRecord, TxnIntent, TxnSend, TxnValue } from "../../nodes/kafka/history-values.js";
import { firstAbove, partitionKey, type PartitionKey } from "../kafka/kafka-history.js";

/**
 * The history of a transactional run folded once into what the transaction checkers read
 * (src/nodes/kafka/history-values.ts, transactional writers; eos-copy.ts adds the copier's
 * fields to f:"txn"):
 *
 * - every transaction (f:"txn"), with its status: `committed` (ok, outcome COMMIT), `aborted`
 *   (ok with outcome ABORT, or fail: definitely not committed) or `unknown` (info, or never
 *   completed: it may or may not have committed), and its acknowledged records (sends with a
 *   partition and a non-negative offset);
 * - every successful initTransactions (ok f:"init"), per transactionalId, in history order;
 * - every record a read_committed poll returned, in history order, with the transactions that
 *   sent its value (records are matched to transactions by topic and value: writers give each
 *   send a value of its own);
 * - per read_committed reader and partition, how far it got: the readable end it has passed
 *   rises to offset + 1 when a poll returns a record at that offset, and to E when the reader
 *   records end offset E (readers record end offsets once their positions reached them). An
 *   offset below that mark was passed: returned, or stepped over.
 *
 * Isolation is read as the data checkers read it: a poll's `isolation`, else its process's last
 * assign stating `isolation` or `isolationLevel`, else read_uncommitted.
 */

export type TxnStatus = "committed" | "aborted" | "unknown";

/** A send the broker acknowledged, at its position. */
export interface TxnRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** f:"txn" values as the fold reads them: TxnValue plus the copier's optional fields (eos-copy.ts). */
export type TxnOpValue = TxnValue & Readonly<Record<string, unknown>>;

export interface Txn {
  readonly transactionalId: string;
  /** The writer instance (process) that ran it. */
  readonly process: string;
  readonly invoke: HistoryOp;
  /** ok, fail or info; undefined if it never completed. */
  readonly completion: HistoryOp | undefined;
  readonly status: TxnStatus;
  /** What EndTxn answered (ok only). */
  readonly outcome: TxnIntent | undefined;
  /**
   * When commitTransaction/abortTransaction was called: a number, null when the writer says it
   * never was, undefined when unknown (the transaction never completed).
   */
  readonly endRequestedUs: SimTimeUs | null | undefined;
  /** The completion's value when it has sends, else the invoke's. */
  readonly value: TxnOpValue;
  readonly sends: readonly TxnSend[];
  readonly records: readonly TxnRecord[];
}

export interface InitOk {
  readonly transactionalId: string;
  readonly process: string;
  readonly ok: HistoryOp;
  readonly producerEpoch: number | undefined;
}

/** One record returned by a read_committed poll. */
export interface CommittedRead {
  readonly op: HistoryOp;
  readonly process: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  /** Every transaction that sent this value to this topic (usually one; none for a plain send). */
  readonly txns: readonly Txn[];
}

/** How far one read_committed reader got in one partition: `ends[i]` reached at `ops[i]`, rising. */
export interface ReaderProgress {
  readonly ends: readonly number[];
  readonly ops: readonly HistoryOp[];
}

export interface CommittedReader {
  readonly process: string;
  readonly progress: ReadonlyMap<PartitionKey, ReaderProgress>;
  /** Values it returned, per partition. */
  readonly returned: ReadonlyMap<PartitionKey, ReadonlySet<string>>;
}

export interface TxnHistory {
  readonly history: HistoryReader;
  /** In invoke order. */
  readonly txns: readonly Txn[];
  /** transactionalId → its successful inits, in history order. */
  readonly inits: ReadonlyMap<string, readonly InitOk[]>;
  readonly committedReads: readonly CommittedRead[];
  /** read_committed readers, by process, in order of their first read. */
  readonly readers: ReadonlyMap<string, CommittedReader>;
  /** topic → value → the transactions that sent it. */
  readonly txnsByValue: ReadonlyMap<string, ReadonlyMap<string, readonly Txn[]>>;
  /** The committed reads of each transaction's records (those whose value only it sent). */
  readonly readsByTxn: ReadonlyMap<Txn, readonly CommittedRead[]>;
  /** The end-offsets ops of read_committed readers (their LSOs), in history order. */
  readonly committedEnds: readonly { readonly op: HistoryOp; readonly offsets: EndOffsets }[];
}

// ---- queries the checkers share ----

/** The only transaction that sent this value to this topic, if exactly one did. */
export function onlyTxnOf(history: TxnHistory, topic: string, value: string): Txn | undefined {
  const txns = history.txnsByValue.get(topic)?.get(value);
  return txns?.length === 1 ? txns[0] : undefined;
}

/** The first op at which `reader` had passed `offset` of the partition, if it ever did. */
export function passedAt(reader: CommittedReader, key: PartitionKey, offset: number): HistoryOp | undefined {
  const progress = reader.progress.get(key);
  if (progress === undefined) return undefined;
  return progress.ops[firstAbove(progress.ends, offset)];
}

/** The first op at or after `from` (a history index) at which `reader` had passed `offset`, if any. */
export function passedSince(reader: CommittedReader, key: PartitionKey, offset: number, from: number): HistoryOp | undefined {
  const progress = reader.progress.get(key);
  if (progress === undefined) return undefined;
  // Both lists rise with i: the answer is the later of the two first positions.
  let lo = 0;
  let hi = progress.ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((progress.ops[mid] as HistoryOp).index < from) lo = mid + 1;
    else hi = mid;
  }
  return progress.ops[Math.max(lo, firstAbove(progress.ends, offset))];
}

/** The index of the first op at or after simulated time `timeUs` (ops are in time order). */
export function firstIndexAt(history: HistoryReader, timeUs: SimTimeUs): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (history.op(mid).timeUs < timeUs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The history index from which a reader stepping over one of the transaction's offsets proves
 * the record was not returned although it was there: from the moment the writer asked to end the
 * transaction (its records were all appended by the time EndTxn went out, and a read_committed
 * reader cannot pass them before the markers), else from its invoke. Earlier crossings prove
 * nothing: the offset may then have held another record, since truncated.
 */
export function crossingFrom(history: TxnHistory, txn: Txn): number {
  return typeof txn.endRequestedUs === "number" ? firstIndexAt(history.history, txn.endRequestedUs) : txn.invoke.index;
}

/** The read_committed reads of a transaction's records (reads whose value only it sent), in history order. */
export function readsOf(history: TxnHistory, txn: Txn): readonly CommittedRead[] {
  return history.readsByTxn.get(txn) ?? [];
}

export function returnedBy(reader: CommittedReader, key: PartitionKey, value: string): boolean {
  return reader.returned.get(key)?.has(value) === true;
}

/** "the transaction of w1 (transactionalId t1, op 12)". */
export function describeTxn(txn: Txn): string {
  return `the transaction of ${txn.process} (transactionalId ${txn.transactionalId}, op ${txn.invoke.index})`;
}

/** What is known of how a transaction ended, in words. */
export function describeEnd(txn: Txn): string {
  const c = txn.completion;
  if (c === undefined) return "never completed";
  const error = c.error === undefined ? "" : ` (${c.error})`;
  if (c.type === "ok") return `completed ok with outcome ${txn.outcome ?? "none"} at op ${c.index}`;
  return `completed ${c.type}${error} at op ${c.index}`;
}

/** The ops that show a transaction: its invoke and its completion. */
export function txnOps(txn: Txn): HistoryOp[] {
  return txn.completion === undefined ? [txn.invoke] : [txn.invoke, txn.completion];
}

// ---- folding ----

interface MutableReader {
  process: string;
  progress: Map<PartitionKey, { ends: number[]; ops: HistoryOp[] }>;
  returned: Map<PartitionKey, Set<string>>;
}

type Isolation = "read_committed" | "read_uncommitted";

export type EndOffsets = readonly (readonly [topic: string, partition: number, endOffset: number])[];

type ReaderStep =
  /** The records are read from the history when the step is folded, not kept until then. */
  | { readonly kind: "poll"; readonly op: HistoryOp }
  | { readonly kind: "end-offsets"; readonly op: HistoryOp; readonly offsets: EndOffsets };

/** The ops whose completions the fold reads along with their invokes. */
const COMPLETIONS_READ: ReadonlySet<string> = new Set(["txn", "init", "poll", "end-offsets"]);

/** Ops whose values the fold keeps: read back from the history, so the fold keeps the recorded snapshot. */
const VALUES_KEPT: ReadonlySet<string> = new Set(["txn", "init", "end-offsets"]);

/**
 * Folds a history op by op, in history order, as KafkaHistoryFold does: a run hands it each op as
 * it is recorded; txnHistoryOf folds a whole history at once. `finish` ends the fold.
 */
export class TxnHistoryFold {
  private finished: TxnHistory | undefined;
  private readonly txns: Txn[] = [];
  private readonly inits = new Map<string, InitOk[]>();
  private readonly committedReads: CommittedRead[] = [];
  private readonly readers = new Map<string, MutableReader>();
  private readonly txnsByValue = new Map<string, Map<string, Txn[]>>();
  private readonly committedEnds: { op: HistoryOp; offsets: EndOffsets }[] = [];
  private readonly readsByTxn = new Map<Txn, CommittedRead[]>();
  private readonly pendingTxns = new Map<number, HistoryOp>();
  /** The invokes of the open ops this fold reads the completions of, by index. */
  private readonly pendingInvokes = new Map<number, HistoryOp>();
  private readonly isolation = new Map<string, Isolation>();
  /** read_committed polls and end offsets, in history order, folded once every transaction is known. */
  private readonly reads: ReaderStep[] = [];

  constructor(private readonly history: HistoryReader) {}

  add(recorded: HistoryOp): void {
    if (this.finished !== undefined) throw new Error(`transaction history fold: op ${recorded.index} added after the fold finished`);
    const op = VALUES_KEPT.has(recorded.f) ? this.history.op(recorded.index) : recorded;
    if (op.type === "invoke") this.invoke(op);
    else this.complete(op);
  }

  finish(): TxnHistory {
    if (this.finished !== undefined) return this.finished;
    for (const invoke of this.pendingTxns.values()) this.addTxn(invoke, undefined);
    this.txns.sort((a, b) => a.invoke.index - b.invoke.index);
    for (const txn of this.txns) for (const send of txn.sends) listIn(mapIn(this.txnsByValue, send.topic), send.value).push(txn);
    // Reads are matched to transactions once every transaction is known (a read may come first).
    for (const step of this.reads) {
      if (step.kind === "poll") this.addCommittedPoll(step.op, (this.history.op(step.op.index).value as { records: readonly PolledRecord[] }).records);
      else this.addEndOffsets(step.op, step.offsets);
    }
    this.pendingTxns.clear();
    this.pendingInvokes.clear();
    this.reads.length = 0;
    const { history, txns, inits, committedReads, readers, txnsByValue, committedEnds, readsByTxn } = this;
    this.finished = { history, txns, inits, committedReads, readers, txnsByValue, committedEnds, readsByTxn };
    return this.finished;
  }

  private invoke(op: HistoryOp): void {
    if (COMPLETIONS_READ.has(op.f)) this.pendingInvokes.set(op.index, op);
    if (op.f === "txn" && isTxnValue(op.value)) this.pendingTxns.set(op.index, op);
    if (op.f === "assign") {
      const stated = isolationIn(op.value);
      if (stated !== undefined) this.isolation.set(op.process, stated);
    }
  }

  private complete(op: HistoryOp): void {
    if (op.invokeIndex === undefined) return;
    const invoke = this.pendingInvokes.get(op.invokeIndex);
    if (invoke === undefined) return;
    this.pendingInvokes.delete(op.invokeIndex);
    switch (op.f) {
      case "txn":
        if (this.pendingTxns.delete(op.invokeIndex)) this.addTxn(invoke, op);
        return;
      case "init":
        if (op.type === "ok") this.addInit(op, invoke);
        return;
      case "poll":
        if (op.type === "ok" && isPollValue(op.value) && this.isolationOf(op, invoke) === "read_committed") this.reads.push({ kind: "poll", op: this.history.ref(op.index) });
        return;
      case "end-offsets":
        if (op.type === "ok" && isEndOffsetsValue(op.value) && this.isolationOf(op, invoke) === "read_committed") this.reads.push({ kind: "end-offsets", op: this.history.ref(op.index), offsets: op.value.offsets });
        return;
    }
  }

  private addTxn(invoke: HistoryOp, completion: HistoryOp | undefined): void {
    const invoked = invoke.value as TxnOpValue;
    const value = completion !== undefined && isTxnValue(completion.value) ? (completion.value as TxnOpValue) : invoked;
    this.txns.push({
      transactionalId: invoked.transactionalId,
      process: invoke.process,
      invoke: this.history.ref(invoke.index),
      completion: completion === undefined ? undefined : this.history.ref(completion.index),
      status: statusOf(completion, value),
      outcome: completion?.type === "ok" ? value.outcome : undefined,
      endRequestedUs: completion === undefined ? undefined : (value.endRequestedUs ?? null),
      value,
      sends: value.sends,
      records: value.sends.filter(isPlaced).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset, value: s.value })),
    });
  }

  private addInit(op: HistoryOp, invoke: HistoryOp): void {
    const value = op.value as Partial<InitValue> | null;
    const invoked = invoke.value as Partial<InitValue> | null;
    const transactionalId = value?.transactionalId ?? invoked?.transactionalId;
    if (typeof transactionalId !== "string") return;
    listIn(this.inits, transactionalId).push({ transactionalId, process: op.process, ok: this.history.ref(op.index), producerEpoch: value?.producerEpoch });
  }

  private addCommittedPoll(op: HistoryOp, records: readonly PolledRecord[]): void {
    const process = op.process;
    const reader = this.readerOf(process);
    for (const [topic, partition, offset, value] of records) {
      const key = partitionKey(topic, partition);
      const txns = this.txnsByValue.get(topic)?.get(value) ?? [];
      const read: CommittedRead = { op, process, topic, partition, offset, value, txns };
      this.committedReads.push(read);
      if (txns.length === 1) listIn(this.readsByTxn, txns[0] as Txn).push(read);
      let returned = reader.returned.get(key);
      if (returned === undefined) reader.returned.set(key, (returned = new Set()));
      returned.add(value);
      this.advance(reader, key, offset + 1, op);
    }
  }

  private addEndOffsets(op: HistoryOp, offsets: EndOffsets): void {
    this.committedEnds.push({ op, offsets });
    const reader = this.readerOf(op.process);
    for (const [topic, partition, end] of offsets) this.advance(reader, partitionKey(topic, partition), end, op);
  }

  private advance(reader: MutableReader, key: PartitionKey, end: number, op: HistoryOp): void {
    let progress = reader.progress.get(key);
    if (progress === undefined) reader.progress.set(key, (progress = { ends: [], ops: [] }));
    const last = progress.ends[progress.ends.length - 1] ?? 0;
    if (end <= last) return;
    progress.ends.push(end);
    progress.ops.push(op);
  }

  private readerOf(process: string): MutableReader {
    let reader = this.readers.get(process);
    if (reader === undefined) this.readers.set(process, (reader = { process, progress: new Map(), returned: new Map() }));
    return reader;
  }

  private isolationOf(op: HistoryOp, invoke: HistoryOp): Isolation {
    return isolationIn(op.value) ?? isolationIn(invoke.value) ?? this.isolation.get(op.process) ?? "read_uncommitted";
  }
}

/** Folds a history into transactions, inits and what read_committed readers saw. */
export function txnHistoryOf(source: HistorySource): TxnHistory {
  const history = historyReader(source);
  const fold = new TxnHistoryFold(history);
  for (let i = 0; i < history.length; i++) fold.add(history.op(i));
  return fold.finish();
}

function statusOf(completion: HistoryOp | undefined, value: TxnOpValue): TxnStatus {
  if (completion === undefined || completion.type === "info") return "unknown";
  if (completion.type === "fail") return "aborted";
  return value.outcome === "COMMIT" ? "committed" : value.outcome === "ABORT" ? "aborted" : "unknown";
}

function isPlaced(send: TxnSend): send is TxnSend & { readonly partition: number; readonly offset: number } {
  return typeof send.partition === "number" && typeof send.offset === "number" && send.offset >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isTxnValue(value: unknown): value is TxnValue {
  return isObject(value) && typeof value.transactionalId === "string" && Array.isArray(value.sends);
}

function isPollValue(value: unknown): value is { readonly records: readonly PolledRecord[] } {
  return isObject(value) && Array.isArray(value.records);
}

function isEndOffsetsValue(value: unknown): value is { readonly offsets: EndOffsets } {
  return isObject(value) && Array.isArray(value.offsets);
}

function isolationIn(value: unknown): Isolation | undefined {
  if (!isObject(value)) return undefined;
  const stated = value.isolation ?? value.isolationLevel;
  return stated === "read_committed" || stated === "read_uncommitted" ? stated : undefined;
}

function mapIn<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (inner === undefined) map.set(key, (inner = new Map()));
  return inner;
}

function listIn<K, V>(map: Map<K, V[]>, key: K): V[] {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  return list;
}
