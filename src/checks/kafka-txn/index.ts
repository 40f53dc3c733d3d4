import type { HistorySource } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { ABORTED_READ, checkAbortedReads } from "./aborted-read.js";
import { checkEosCopy, EOS_COPY } from "./eos-copy.js";
import { checkReadCommittedUnstable, READ_COMMITTED_UNSTABLE } from "./read-committed-unstable.js";
import { checkTornTransactions, TORN_TRANSACTION } from "./torn-transaction.js";
import { txnHistoryOf, type TxnHistory } from "./txn-history.js";
import { checkUncommittedReads, UNCOMMITTED_READ } from "./uncommitted-read.js";
import { checkZombieCommits, ZOMBIE_COMMIT } from "./zombie-commit.js";

/**
 * The history checkers of Kafka transactions: what read_committed consumers saw against what
 * transactional writers were told (Jepsen/Elle's anomaly vocabulary where it has a word). Each
 * file defines its invariant in its header; the history is folded once (txn-history.ts).
 *
 * The history shapes are those of src/nodes/kafka/history-values.ts (f:"init", f:"txn", and the
 * readers' isolation level), plus the copier's extension of f:"txn" defined in eos-copy.ts:
 *   invoke f:"txn" {transactionalId, intent, groupId, inputs: [[topic, partition, offset, value], ...],
 *                   sends: [{topic, key, value: copyValueOf(input)}], offsets: [[topic, partition, nextOffset], ...]}
 *   ok/fail/info f:"txn" {…the same, outcome, endRequestedUs, sends with partition and offset}
 *   invoke/ok f:"committed-offsets" {groupId, offsets: [[topic, partition, offset], ...]}   (optional, at the end)
 * with each output value `copy:<input topic>:<input partition>:<input offset>:<input value>`.
 *
 * What the data checkers (src/checks/kafka) judge on the same history and these do not:
 * duplicate (a value read at two offsets, transactional or not) and lost-write (a record of a
 * definitely committed transaction below the readable end that no consumer read), since their
 * fold turns each transaction's sends into sends of its outcome.
 *
 * Status (how each transaction ended) is judged strictly: ok COMMIT committed; ok ABORT and fail
 * aborted; info and never completed unknown, which may be seen fully or not at all, but not in
 * part (torn-transaction) and not seen then gone (read-committed-unstable).
 */

export { txnHistoryOf, TxnHistoryFold } from "./txn-history.js";
export type { TxnHistory, Txn, TxnStatus, CommittedRead } from "./txn-history.js";
export { ABORTED_READ, checkAbortedReads } from "./aborted-read.js";
export { UNCOMMITTED_READ, checkUncommittedReads } from "./uncommitted-read.js";
export { READ_COMMITTED_UNSTABLE, checkReadCommittedUnstable } from "./read-committed-unstable.js";
export { ZOMBIE_COMMIT, checkZombieCommits } from "./zombie-commit.js";
export { TORN_TRANSACTION, checkTornTransactions } from "./torn-transaction.js";
export { EOS_COPY, checkEosCopy, copyValueOf, parseCopyValue } from "./eos-copy.js";
export type { CopierTxnFields, CommittedOffsetsValue, CopyKind } from "./eos-copy.js";

interface KafkaTxnCheck {
  readonly info: InvariantInfo;
  readonly check: (history: TxnHistory) => Violation[];
}

const CHECKS: readonly KafkaTxnCheck[] = [
  { info: ABORTED_READ, check: checkAbortedReads },
  { info: UNCOMMITTED_READ, check: checkUncommittedReads },
  { info: READ_COMMITTED_UNSTABLE, check: checkReadCommittedUnstable },
  { info: TORN_TRANSACTION, check: checkTornTransactions },
  { info: ZOMBIE_COMMIT, check: checkZombieCommits },
  { info: EOS_COPY, check: checkEosCopy },
];

/** Every transaction invariant checkKafkaTxnHistory checks, in the order it reports them. */
export const KAFKA_TXN_INVARIANTS: readonly InvariantInfo[] = CHECKS.map((c) => c.info);

export interface KafkaTxnCheckOptions {
  /** Only these invariants (by name); default: all of them. */
  readonly invariants?: readonly string[];
}

/** Folds the history once and runs every transaction checker on it (or those named in options). */
export function checkKafkaTxnHistory(source: HistorySource, options: KafkaTxnCheckOptions = {}): Violation[] {
  return checkFoldedKafkaTxn(txnHistoryOf(source), options);
}

/** Runs every transaction checker (or those named in options) on a folded history. */
export function checkFoldedKafkaTxn(history: TxnHistory, options: KafkaTxnCheckOptions = {}): Violation[] {
  const wanted = options.invariants === undefined ? undefined : new Set(options.invariants);
  return CHECKS.filter((c) => wanted === undefined || wanted.has(c.info.name)).flatMap((c) => c.check(history));
}
