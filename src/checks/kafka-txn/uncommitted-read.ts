import type { InvariantInfo, Violation } from "../violation.js";
import { evidenceOf, inProofOrder } from "../kafka/kafka-history.js";
import { describeTxn, txnOps, type CommittedRead, type Txn, type TxnHistory } from "./txn-history.js";

/**
 * uncommitted-read (Adya's G1b, read before the commit): a read_committed consumer returned a
 * record before its transaction could have committed.
 *
 * Definition: a read_committed poll returned a record whose value was sent only by transactions
 * that, each, either had their end requested (commitTransaction/abortTransaction called, the
 * txn op's `endRequestedUs`) strictly after the poll completed, or completed saying the end was
 * never requested (`endRequestedUs` null) without definitely aborting. No transaction commits
 * before its writer asks: the reader saw data that was still open. A transaction that never
 * completed is not judged (whether and when its end was requested is unknown); a transaction
 * that definitely aborted with no end requested is aborted-read's.
 *
 * Equal times are not judged: with zero network latency a commit and the read that follows it
 * can share one simulated microsecond.
 *
 * One violation per transaction, at its first such read.
 */
export const UNCOMMITTED_READ: InvariantInfo = {
  name: "uncommitted-read",
  kind: "safety",
  when: "history",
  description: "A read_committed consumer never returns a record before its writer asked to end the transaction.",
};

export function checkUncommittedReads(history: TxnHistory): Violation[] {
  const reported = new Set<Txn>();
  const found: { at: number; violation: Violation }[] = [];
  for (const read of history.committedReads) {
    if (read.txns.length === 0 || !read.txns.every((txn) => isOpenAt(txn, read))) continue;
    const txn = read.txns[0] as Txn;
    if (reported.has(txn)) continue;
    reported.add(txn);
    found.push({ at: Math.max(read.op.index, txn.completion?.index ?? 0), violation: uncommittedReadOf(txn, read) });
  }
  return inProofOrder(found).map((f) => f.violation);
}

/** Whether the transaction was certainly not yet asked to end when the read completed. */
function isOpenAt(txn: Txn, read: CommittedRead): boolean {
  if (txn.endRequestedUs === undefined) return false;
  if (txn.endRequestedUs === null) return txn.status !== "aborted";
  return read.op.timeUs < txn.endRequestedUs;
}

function uncommittedReadOf(txn: Txn, read: CommittedRead): Violation {
  const when = txn.endRequestedUs === null || txn.endRequestedUs === undefined ? `, though ${txn.process} never asked to end it` : `, before ${txn.process} asked to end it at ${txn.endRequestedUs}µs`;
  return {
    invariant: UNCOMMITTED_READ.name,
    kind: "safety",
    message: `${read.process}'s read_committed poll (op ${read.op.index}) returned ${read.value} at ${read.topic}-${read.partition} offset ${read.offset} at ${read.op.timeUs}µs, a record of ${describeTxn(txn)}${when}`,
    evidence: evidenceOf([...txnOps(txn), read.op], {
      transactionalId: txn.transactionalId,
      writer: txn.process,
      readAtUs: read.op.timeUs,
      endRequestedUs: txn.endRequestedUs ?? null,
      records: [[read.topic, read.partition, read.offset, read.value]],
      values: [read.value],
      processes: [txn.process, read.process],
    }),
  };
}
