import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, inProofOrder, partitionKey } from "../kafka/kafka-history.js";
import { crossingFrom, describeTxn, passedSince, readsOf, returnedBy, txnOps, type CommittedRead, type CommittedReader, type Txn, type TxnHistory, type TxnRecord } from "./txn-history.js";

/**
 * torn-transaction (atomicity, catalog invariant A): read_committed consumers saw only part of a
 * transaction that committed.
 *
 * Definition: take a transaction that did not definitely abort and of which a read_committed
 * poll returned at least one record (so it committed, at least in part), and each of its
 * acknowledged records r (a send with partition and offset). r is torn away when
 * - a read_committed reader that returned some record of the transaction passed r's offset in
 *   r's partition without ever returning r there (reader-side: that reader saw the transaction
 *   in part), or
 * - no read_committed reader ever returned r, and some read_committed reader passed its offset
 *   (write-side: the commit reached some partitions and not others).
 * A reader passed offset o when it returned a record above o in that partition, or recorded an
 * end offset (its LSO, reached by its position) above o. Only crossings from the moment the
 * writer asked to end the transaction count (before that the offset may have held another
 * record); a read_committed reader cannot have passed an open transaction's records legitimately.
 *
 * An undecided transaction (info) seen fully, or not at all, is fine; seen in part it is torn.
 * A committed transaction that no read_committed reader saw at all is lost-write's (data
 * checkers). A transaction that definitely aborted is aborted-read's.
 *
 * One violation per transaction, listing every record torn away (capped), at the first crossing.
 */
export const TORN_TRANSACTION: InvariantInfo = {
  name: "torn-transaction",
  kind: "safety",
  when: "history",
  description: "read_committed consumers see all of a committed transaction's records or none: no reader returns some and reads past others.",
};

interface Tear {
  readonly record: TxnRecord;
  readonly process: string;
  readonly crossing: HistoryOp;
  /** Whether the reader that passed it returned other records of the transaction. */
  readonly sawPart: boolean;
}

export function checkTornTransactions(history: TxnHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const txn of history.txns) {
    if (txn.status === "aborted") continue;
    const reads = readsOf(history, txn);
    if (reads.length === 0) continue;
    const tears = tearsOf(history, txn, reads);
    if (tears.length === 0) continue;
    const first = tears.reduce((a, b) => (b.crossing.index < a.crossing.index ? b : a));
    found.push({ at: first.crossing.index, violation: tornOf(txn, reads, tears, first) });
  }
  return inProofOrder(found).map((f) => f.violation);
}

function tearsOf(history: TxnHistory, txn: Txn, reads: readonly CommittedRead[]): Tear[] {
  const from = crossingFrom(history, txn);
  const sawPart = new Set(reads.map((r) => r.process));
  const tears: Tear[] = [];
  for (const record of txn.records) {
    const key = partitionKey(record.topic, record.partition);
    const everReturned = [...history.readers.values()].some((reader) => returnedBy(reader, key, record.value));
    const tear = tearOf(history.readers.values(), record, from, (reader) => sawPart.has(reader.process) || !everReturned, sawPart);
    if (tear !== undefined) tears.push(tear);
  }
  return tears;
}

/** The earliest crossing of the record's offset by a judged reader that never returned it. */
function tearOf(readers: Iterable<CommittedReader>, record: TxnRecord, from: number, judged: (reader: CommittedReader) => boolean, sawPart: ReadonlySet<string>): Tear | undefined {
  const key = partitionKey(record.topic, record.partition);
  let earliest: Tear | undefined;
  for (const reader of readers) {
    if (!judged(reader) || returnedBy(reader, key, record.value)) continue;
    const crossing = passedSince(reader, key, record.offset, from);
    if (crossing === undefined || (earliest !== undefined && earliest.crossing.index <= crossing.index)) continue;
    earliest = { record, process: reader.process, crossing, sawPart: sawPart.has(reader.process) };
  }
  return earliest;
}

function tornOf(txn: Txn, reads: readonly CommittedRead[], tears: readonly Tear[], first: Tear): Violation {
  const r = first.record;
  const missing = `${r.value} at ${r.topic}-${r.partition} offset ${r.offset}`;
  const seenByPasser = reads.find((read) => read.process === first.process);
  const seen = seenByPasser ?? (reads[0] as CommittedRead);
  const saw = `${seen.process} read ${seen.value} at ${seen.topic}-${seen.partition} offset ${seen.offset} (op ${seen.op.index})`;
  const how = first.sawPart
    ? `${saw} under read_committed but read past ${missing} (op ${first.crossing.index}) without returning it`
    : `${saw} under read_committed, but no read_committed reader ever returned ${missing}, though ${first.process} read past it (op ${first.crossing.index})`;
  const more = tears.length > 1 ? `; ${tears.length} of its ${txn.records.length} records torn away in all` : "";
  const shownTears = tears.slice(0, EVIDENCE_LIST_MAX);
  return {
    invariant: TORN_TRANSACTION.name,
    kind: "safety",
    message: `${describeTxn(txn)} (${txn.status === "committed" ? "committed" : "outcome unknown"}) was seen in part: ${how}${more}`,
    evidence: evidenceOf([...txnOps(txn), seen.op, ...shownTears.map((t) => t.crossing)], {
      transactionalId: txn.transactionalId,
      writer: txn.process,
      seen: reads.slice(0, EVIDENCE_LIST_MAX).map((read) => [read.topic, read.partition, read.offset, read.value]),
      torn: shownTears.map((t) => ({ record: [t.record.topic, t.record.partition, t.record.offset, t.record.value], passedBy: t.process, op: t.crossing.index })),
      values: shownTears.map((t) => t.record.value),
      processes: [txn.process, ...new Set([...reads.map((read) => read.process), ...shownTears.map((t) => t.process)])],
    }),
  };
}
