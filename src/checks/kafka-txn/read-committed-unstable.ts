import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { evidenceOf, inProofOrder, partitionKey } from "../kafka/kafka-history.js";
import { describeEnd, describeTxn, passedSince, readsOf, returnedBy, txnOps, type CommittedRead, type Txn, type TxnHistory } from "./txn-history.js";

/**
 * read-committed-unstable (eosim's own): a record of an undecided transaction was visible to a
 * read_committed consumer and later was not.
 *
 * Definition: a transaction that completed info or never completed (it may or may not have
 * committed) had a record returned by a read_committed poll at (partition, offset); afterwards
 * (a later op) a read_committed reader that never returned that value in that partition passed
 * the offset: it returned a record at a higher offset there, or recorded an end offset above it.
 * Either outcome of the transaction is allowed, but not both: the record appeared, then was gone.
 * A reader that itself returned the record is not judged again after a seek back.
 *
 * Decided transactions are judged elsewhere: for a committed one the record going missing is
 * lost-write (or torn-transaction, when other records of it were seen); for an aborted one any
 * read_committed read is aborted-read.
 *
 * One violation per transaction, at the first crossing that proves it.
 */
export const READ_COMMITTED_UNSTABLE: InvariantInfo = {
  name: "read-committed-unstable",
  kind: "safety",
  when: "history",
  description: "A record of an undecided (info) transaction that a read_committed consumer returned stays visible to later read_committed reads.",
};

interface Vanishing {
  readonly seen: CommittedRead;
  readonly process: string;
  readonly crossing: HistoryOp;
}

export function checkReadCommittedUnstable(history: TxnHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const txn of history.txns) {
    if (txn.status !== "unknown") continue;
    const vanishing = firstVanishing(history, readsOf(history, txn));
    if (vanishing !== undefined) found.push({ at: vanishing.crossing.index, violation: unstableOf(txn, vanishing) });
  }
  return inProofOrder(found).map((f) => f.violation);
}

function firstVanishing(history: TxnHistory, reads: readonly CommittedRead[]): Vanishing | undefined {
  let earliest: Vanishing | undefined;
  const judged = new Set<string>();
  for (const seen of reads) {
    const key = partitionKey(seen.topic, seen.partition);
    // The first read of each (partition, offset, value) is the earliest point a later crossing can follow.
    const id = `${key}/${seen.offset}/${seen.value}`;
    if (judged.has(id)) continue;
    judged.add(id);
    for (const reader of history.readers.values()) {
      if (returnedBy(reader, key, seen.value)) continue;
      const crossing = passedSince(reader, key, seen.offset, seen.op.index + 1);
      if (crossing !== undefined && (earliest === undefined || crossing.index < earliest.crossing.index)) earliest = { seen, process: reader.process, crossing };
    }
  }
  return earliest;
}

function unstableOf(txn: Txn, v: Vanishing): Violation {
  const { seen } = v;
  return {
    invariant: READ_COMMITTED_UNSTABLE.name,
    kind: "safety",
    message: `${seen.process} read ${seen.value} at ${seen.topic}-${seen.partition} offset ${seen.offset} under read_committed (op ${seen.op.index}), a record of ${describeTxn(txn)} that ${describeEnd(txn)}; later ${v.process} read past that offset under read_committed (op ${v.crossing.index}) without returning it`,
    evidence: evidenceOf([...txnOps(txn), seen.op, v.crossing], {
      transactionalId: txn.transactionalId,
      writer: txn.process,
      topic: seen.topic,
      partition: seen.partition,
      offset: seen.offset,
      values: [seen.value],
      processes: [txn.process, seen.process, v.process],
      missedBy: v.process,
    }),
  };
}
