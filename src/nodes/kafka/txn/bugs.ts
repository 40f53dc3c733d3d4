/**
 * Transaction-coordinator guards that can be switched off by name (`bugs:` in a scenario,
 * `--bug` on the CLI), next to the data plane's `KAFKA_BUGS`.
 */
export const TXN_BUGS = {
  /**
   * KAFKA-6119 (fixed 2017, commit 501a5e26270): the timeout scan aborts an expired transaction
   * at the producer's own epoch instead of fencing it (no PrepareEpochFence and, under
   * transaction version 2, no bump on the abort either), so the zombie can keep producing and
   * commit later.
   */
  noFenceOnTimeout: "no-fence-on-timeout",
  /**
   * KAFKA-17754: transaction version 2 without its epoch bump per transaction. EndTxn neither
   * bumps the epoch nor can tell a retry from the next transaction's request, so a delayed
   * EndTxn completes a later transaction of the same producer.
   */
  noEpochBumpPerTxn: "no-epoch-bump-per-txn",
  /**
   * The coordinator answers after an acks=1 append to `__transaction_state` instead of acks=all
   * (Kafka enforces -1). Read by the coordinator actor, not by the logic in this folder.
   */
  txnLogAcks1: "txn-log-acks-1",
  /**
   * KAFKA-20785 (Kafka 4.x): a client's EndTxn(COMMIT) that arrives after the coordinator timed
   * the transaction out and aborted it (CompleteAbort, one epoch up) is taken by the TV2 retry
   * rule (`stored == request + 1`) and answered INVALID_TXN_STATE, a fatal error that kills a
   * Streams thread, instead of PRODUCER_FENCED, from which Streams recovers.
   */
  fatalCommitAfterTimeout: "fatal-commit-after-timeout",
} as const;

export type TxnBug = (typeof TXN_BUGS)[keyof typeof TXN_BUGS];

/** One line per switch, for `eosim list` and the system model's bug table. */
export const TXN_BUG_DESCRIPTIONS: Readonly<Record<TxnBug, string>> = {
  "no-fence-on-timeout": "The timeout scan aborts an expired transaction without bumping the producer epoch (KAFKA-6119): a paused producer resumes and commits.",
  "no-epoch-bump-per-txn": "Transaction version 2 without the epoch bump per transaction: a delayed EndTxn completes the producer's next transaction (KAFKA-17754).",
  "txn-log-acks-1": "Coordinator state is appended to __transaction_state with acks=1: a failover can forget a decision the client was told about.",
  "fatal-commit-after-timeout":
    "A commit that arrives after the coordinator timed its transaction out is answered INVALID_TXN_STATE instead of PRODUCER_FENCED (KAFKA-20785): a Streams-like copier cannot recover from it, dies, and its group stops copying.",
};
