import type { AssertionKind, Assertions } from "../../../../sim/assertions.js";

/**
 * Coverage properties of the transaction coordinator: moments a sweep should reach, counted with
 * `reachable` and declared up front (system build) so that one never reached shows as zero.
 */
export const TXN_COVERAGE = {
  /** The coordinator answered PRODUCER_FENCED: a producer with an old epoch (or id) was refused. */
  zombieFenced: "txn: a zombie fenced",
  /** A new coordinator loaded a PrepareCommit and sent its markers again. */
  failoverDuringPrepareCommit: "txn: a coordinator failover during PrepareCommit",
  /** A transaction marker was sent again (retriable error, unknown leader, lost request). */
  markerRetried: "txn: a marker retried",
  /** A producer's epoch ran out and the coordinator rotated its producer id. */
  epochExhausted: "txn: an epoch exhausted",
} as const;

export type TxnCoverage = (typeof TXN_COVERAGE)[keyof typeof TXN_COVERAGE];

export const TXN_COVERAGE_KINDS: Readonly<Record<TxnCoverage, AssertionKind>> = {
  [TXN_COVERAGE.zombieFenced]: "reachable",
  [TXN_COVERAGE.failoverDuringPrepareCommit]: "reachable",
  [TXN_COVERAGE.markerRetried]: "reachable",
  [TXN_COVERAGE.epochExhausted]: "reachable",
};

/**
 * Safety assertions of the coordinator (`always`). A transition Kafka would reject with an
 * IllegalStateException is a model error, not a Kafka behaviour: it fails the run.
 */
export const TXN_ASSERTIONS = {
  legalTransitions: "txn: coordinator state transitions are legal",
  stableTopicPartitionCount: "txn: __transaction_state has the partition count the coordinator hashes with",
} as const;

/** Declares every coordinator property, so that a run that never reaches one reports a zero. */
export function declareTxnProperties(assert: Assertions): void {
  for (const [name, kind] of Object.entries(TXN_COVERAGE_KINDS)) assert.declare(name, kind);
  for (const name of Object.values(TXN_ASSERTIONS)) assert.declare(name, "always");
}
