import type { AssertionKind } from "../../../sim/assertions.js";

/**
 * Coverage properties of the primary-backup log: moments a sweep should reach, counted with
 * `sometimes` / `reachable` and declared up front (system build) so that one never reached
 * shows as zero. A sweep's coverage gate (`--require-coverage`) fails when one has no hit.
 */
export const PB_COVERAGE = {
  retryFromIndex: "pb: retried append answered from the index",
  readWhileRecovering: "pb: read refused while the primary recovers",
  retryAfterDisconnect: "pb: writer retried an append after a disconnect",
  primaryRecoveredLog: "pb: restarted primary rebuilt its index from the log on disk",
  backupBehind: "pb: backup behind the primary's offset asked to be resent from its end",
  ackAfterRetries: "pb: an acknowledged append took more than one attempt",
} as const;

export const PB_COVERAGE_KINDS: Readonly<Record<(typeof PB_COVERAGE)[keyof typeof PB_COVERAGE], AssertionKind>> = {
  [PB_COVERAGE.retryFromIndex]: "reachable",
  [PB_COVERAGE.readWhileRecovering]: "reachable",
  [PB_COVERAGE.retryAfterDisconnect]: "reachable",
  [PB_COVERAGE.primaryRecoveredLog]: "reachable",
  [PB_COVERAGE.backupBehind]: "reachable",
  [PB_COVERAGE.ackAfterRetries]: "sometimes",
};
