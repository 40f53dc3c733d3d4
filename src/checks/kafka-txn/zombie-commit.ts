import type { InvariantInfo, Violation } from "../violation.js";
import { evidenceOf, inProofOrder } from "../kafka/kafka-history.js";
import { describeTxn, readsOf, txnOps, type CommittedRead, type InitOk, type Txn, type TxnHistory } from "./txn-history.js";

/**
 * zombie-commit (Kafka's fencing guarantee; catalog invariant Z): a writer instance that another
 * instance had already fenced got a transaction committed.
 *
 * Definition: a transaction of instance P (a process) with transactionalId T is visible (one of
 * its records was returned by a read_committed poll) or was acknowledged committed (ok, outcome
 * COMMIT), and its end was requested (`endRequestedUs`) after some other instance Q's
 * initTransactions for T had completed ok, where Q's init completed after P's own last init
 * before the transaction. Q's InitProducerId bumped the epoch: from then on P is fenced, and
 * nothing P asks to commit may commit.
 *
 * Commits P requested before Q's init completed are legitimate (Q's init waits for them). A
 * transaction that never completed has no known end request and is not judged.
 *
 * One violation per zombie transaction, provable once the fencing init, the commit or the read,
 * and the end request are all in the history.
 */
export const ZOMBIE_COMMIT: InvariantInfo = {
  name: "zombie-commit",
  kind: "safety",
  when: "history",
  description: "No transaction whose writer was fenced by a newer instance's initTransactions before it asked to commit becomes visible or is acknowledged committed.",
};

export function checkZombieCommits(history: TxnHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const txn of history.txns) {
    if (typeof txn.endRequestedUs !== "number") continue;
    const reads = readsOf(history, txn);
    if (reads.length === 0 && txn.status !== "committed") continue;
    const inits = history.inits.get(txn.transactionalId) ?? [];
    const own = lastInitBefore(inits, txn);
    const endRequestedUs = txn.endRequestedUs;
    const fence = inits.find((i) => i.process !== txn.process && i.ok.index > (own?.ok.index ?? -1) && i.ok.timeUs < endRequestedUs);
    if (fence === undefined) continue;
    const shown = reads[0];
    const proof = Math.min(shown?.op.index ?? Infinity, txn.status === "committed" ? (txn.completion?.index ?? Infinity) : Infinity);
    found.push({ at: Math.max(fence.ok.index, proof), violation: zombieOf(txn, fence, own, shown) });
  }
  return inProofOrder(found).map((f) => f.violation);
}

function lastInitBefore(inits: readonly InitOk[], txn: Txn): InitOk | undefined {
  let last: InitOk | undefined;
  for (const init of inits) if (init.process === txn.process && init.ok.index < txn.invoke.index) last = init;
  return last;
}

function zombieOf(txn: Txn, fence: InitOk, own: InitOk | undefined, read: CommittedRead | undefined): Violation {
  const seen =
    read === undefined
      ? `was acknowledged COMMIT (op ${txn.completion?.index ?? "?"})`
      : `became visible: ${read.process} read ${read.value} at ${read.topic}-${read.partition} offset ${read.offset} under read_committed (op ${read.op.index})`;
  const epochs = fence.producerEpoch === undefined ? "" : ` (epoch ${fence.producerEpoch}${own?.producerEpoch === undefined ? "" : ` over ${own.producerEpoch}`})`;
  return {
    invariant: ZOMBIE_COMMIT.name,
    kind: "safety",
    message: `${describeTxn(txn)} ${seen}, though ${txn.process} asked to end it at ${txn.endRequestedUs ?? "?"}µs, after ${fence.process}'s initTransactions for ${txn.transactionalId} had fenced it (op ${fence.ok.index} at ${fence.ok.timeUs}µs${epochs})`,
    evidence: evidenceOf([...txnOps(txn), fence.ok, ...(own === undefined ? [] : [own.ok]), ...(read === undefined ? [] : [read.op])], {
      transactionalId: txn.transactionalId,
      zombie: txn.process,
      fencedBy: fence.process,
      endRequestedUs: txn.endRequestedUs ?? null,
      fencedAtUs: fence.ok.timeUs,
      records: read === undefined ? [] : [[read.topic, read.partition, read.offset, read.value]],
      processes: [txn.process, fence.process, ...(read === undefined ? [] : [read.process])],
    }),
  };
}
