import type { HistorySource } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { checkKafkaDuplicates, KAFKA_DUPLICATE } from "./duplicate.js";
import { checkInconsistentOffsets, INCONSISTENT_OFFSETS } from "./inconsistent-offsets.js";
import { kafkaHistoryOf, type KafkaHistory } from "./kafka-history.js";
import { checkKafkaLostWrites, KAFKA_LOST_WRITE } from "./lost-write.js";
import { checkNonmonotonicPolls, NONMONOTONIC_POLL } from "./nonmonotonic-poll.js";
import { checkPollSkips, POLL_SKIP } from "./poll-skip.js";
import { checkUnexpectedWrites, UNEXPECTED_WRITE } from "./unexpected-write.js";

/**
 * The history checkers of Kafka's data plane: what consumers read against what producers were
 * told. Each file defines its invariant in its header; the history is folded once
 * (kafka-history.ts) and every checker reads the folded facts.
 */

export { kafkaHistoryOf, KafkaHistoryFold, partitionKey } from "./kafka-history.js";
export type { KafkaHistory, IsolationLevel, PartitionKey } from "./kafka-history.js";
export { checkKafkaDuplicates, KAFKA_DUPLICATE } from "./duplicate.js";
export { checkInconsistentOffsets, INCONSISTENT_OFFSETS } from "./inconsistent-offsets.js";
export { checkKafkaLostWrites, KAFKA_LOST_WRITE } from "./lost-write.js";
export { checkUnexpectedWrites, UNEXPECTED_WRITE } from "./unexpected-write.js";
export { checkNonmonotonicPolls, NONMONOTONIC_POLL } from "./nonmonotonic-poll.js";
export { checkPollSkips, POLL_SKIP } from "./poll-skip.js";

interface KafkaDataCheck {
  readonly info: InvariantInfo;
  readonly check: (history: KafkaHistory) => Violation[];
}

const CHECKS: readonly KafkaDataCheck[] = [
  { info: KAFKA_DUPLICATE, check: checkKafkaDuplicates },
  { info: KAFKA_LOST_WRITE, check: checkKafkaLostWrites },
  { info: UNEXPECTED_WRITE, check: checkUnexpectedWrites },
  { info: INCONSISTENT_OFFSETS, check: checkInconsistentOffsets },
  { info: NONMONOTONIC_POLL, check: checkNonmonotonicPolls },
  { info: POLL_SKIP, check: checkPollSkips },
];

/** Every data-plane invariant checkKafkaDataHistory checks, in the order it reports them. */
export const KAFKA_DATA_INVARIANTS: readonly InvariantInfo[] = CHECKS.map((c) => c.info);

/** Folds the history once and runs every data-plane checker on it. */
export function checkKafkaDataHistory(source: HistorySource): Violation[] {
  return checkFoldedKafkaData(kafkaHistoryOf(source));
}

/** Runs every data-plane checker on a folded history (a KafkaHistoryFold's, when the run folded online). */
export function checkFoldedKafkaData(history: KafkaHistory): Violation[] {
  return CHECKS.flatMap((c) => c.check(history));
}
