/** Kafka guards that can be switched off by name (`bugs:` in a scenario, `--bug` on the CLI). */
export const KAFKA_BUGS = {
  noDedup: "no-dedup",
  dedupWindow1: "dedup-window-1",
  noSequenceCheck: "no-sequence-check",
  noEpochCheck: "no-epoch-check",
  truncateToHw: "truncate-to-hw",
  noIsrJoinRule: "no-isr-join-rule",
  noMinIsrHwGate: "no-min-isr-hw-gate",
  /** read_committed fetches and ListOffsets are bounded by the HW, not the LSO: open transactions are readable. */
  lsoIgnoresOpenTxns: "lso-ignores-open-txns",
  /** Redpanda #3036: the LSO is one past the first unstable offset, so a transaction's first record is readable. */
  lsoOffByOne: "lso-off-by-one",
  /** Fetches carry no aborted-transaction list: read_committed consumers keep aborted records. */
  noAbortedFilter: "no-aborted-filter",
  /** A marker below the partition's producer epoch is written anyway (ProducerAppendInfo.checkProducerEpoch). */
  noMarkerEpochCheck: "no-marker-epoch-check",
  /** A marker from a coordinator epoch older than the partition last saw is written anyway. */
  noCoordinatorEpochCheck: "no-coordinator-epoch-check",
  /**
   * KAFKA-19999: under transaction version 2 a marker must carry an epoch strictly above the
   * partition's, with no exception for a retry of the marker that already ended the transaction.
   */
  noMarkerRetryRule: "no-marker-retry-rule",
  /** KAFKA-12671: a first transactional produce on a partition is appended without asking the coordinator (KIP-890 part 1 off). */
  noPartitionVerification: "no-partition-verification",
} as const;

export type KafkaBug = (typeof KAFKA_BUGS)[keyof typeof KAFKA_BUGS];
