/**
 * Group-coordinator guards that can be switched off by name (`bugs:` in a scenario, `--bug` on
 * the CLI), next to the data plane's `KAFKA_BUGS` and the transaction coordinator's `TXN_BUGS`.
 */
export const GROUP_BUGS = {
  /**
   * TxnOffsetCommit offsets are committed as soon as their record is appended (written as a plain
   * offset commit), instead of being held pending per producer until the transaction's marker:
   * offsets of an aborted transaction become visible, and the consumer that takes the partition
   * over resumes past records whose processing was rolled back.
   */
  offsetsOutsideTxn: "offsets-outside-txn",
  /**
   * OffsetFetch ignores `requireStable` (KIP-447): a new owner reads the committed offset while
   * the old owner's transactional offsets are still pending, and resumes from a stale position.
   */
  noRequireStable: "no-require-stable",
  /**
   * OffsetCommit and TxnOffsetCommit skip the member and generation validation: the zombie of an
   * old generation (KIP-447's fencing) can still commit offsets for partitions it no longer owns.
   */
  noGenerationCheck: "no-generation-check",
} as const;

export type GroupBug = (typeof GROUP_BUGS)[keyof typeof GROUP_BUGS];

/** One line per switch, for `eosim list` and the system model's bug table. */
export const GROUP_BUG_DESCRIPTIONS: Readonly<Record<GroupBug, string>> = {
  "offsets-outside-txn": "TxnOffsetCommit offsets are applied at once instead of pending until the transaction's COMMIT marker: an aborted transaction's offsets become visible.",
  "no-require-stable": "OffsetFetch ignores require_stable (KIP-447): a new owner reads a committed offset while transactional offsets are pending.",
  "no-generation-check": "OffsetCommit and TxnOffsetCommit skip the member and generation checks: a zombie of an old generation commits offsets.",
};
