import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, inProofOrder, listed } from "../kafka/kafka-history.js";
import { describeEnd, describeTxn, txnOps, type CommittedRead, type Txn, type TxnHistory } from "./txn-history.js";

/**
 * aborted-read (Adya's G1a, as Jepsen checks it): a read_committed consumer returned a record of
 * a transaction that definitely aborted.
 *
 * Definition: a record returned by a read_committed poll whose value was sent (in its topic) only
 * by transactions that definitely did not commit: each completed ok with outcome ABORT, or fail.
 * A transaction that completed info or never completed may have committed: reading it is fine
 * here (torn-transaction and read-committed-unstable judge how it was seen). read_uncommitted
 * consumers may read aborted records: they are never judged.
 *
 * One violation per aborted transaction, provable once both its first read_committed read and its
 * completion are in the history.
 */
export const ABORTED_READ: InvariantInfo = {
  name: "aborted-read",
  kind: "safety",
  when: "history",
  description: "A read_committed consumer never returns a record of a transaction that aborted (G1a).",
};

export function checkAbortedReads(history: TxnHistory): Violation[] {
  const byTxn = new Map<Txn, CommittedRead[]>();
  for (const read of history.committedReads) {
    if (read.txns.length === 0 || !read.txns.every((txn) => txn.status === "aborted")) continue;
    const txn = read.txns[0] as Txn;
    const reads = byTxn.get(txn);
    if (reads === undefined) byTxn.set(txn, [read]);
    else reads.push(read);
  }
  const found = [...byTxn].map(([txn, reads]) => {
    const first = reads[0] as CommittedRead;
    return { at: Math.max(first.op.index, txn.completion?.index ?? 0), violation: abortedReadOf(txn, reads) };
  });
  return inProofOrder(found).map((f) => f.violation);
}

function abortedReadOf(txn: Txn, reads: readonly CommittedRead[]): Violation {
  const shown = reads.slice(0, EVIDENCE_LIST_MAX);
  const first = shown[0] as CommittedRead;
  const more = reads.length > 1 ? ` (${reads.length} reads of its records in all, by ${listed([...new Set(reads.map((r) => r.process))])})` : "";
  return {
    invariant: ABORTED_READ.name,
    kind: "safety",
    message: `${first.process} read ${first.value} at ${first.topic}-${first.partition} offset ${first.offset} under read_committed (op ${first.op.index}), but ${describeTxn(txn)} that sent it ${describeEnd(txn)}${more}`,
    evidence: evidenceOf([...txnOps(txn), ...shown.map((r) => r.op)], {
      transactionalId: txn.transactionalId,
      writer: txn.process,
      outcome: txn.outcome ?? txn.completion?.type ?? null,
      records: shown.map((r) => [r.topic, r.partition, r.offset, r.value]),
      values: [...new Set(shown.map((r) => r.value))],
      processes: [txn.process, ...new Set(shown.map((r) => r.process))],
    }),
  };
}
