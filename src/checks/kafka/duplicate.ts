import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, inProofOrder, listed, type KafkaHistory, type ReadPosition } from "./kafka-history.js";

/**
 * duplicate (Jepsen's Kafka workload): one value is present at two or more positions of a topic.
 *
 * Definition: a value V is duplicated in topic T when the polls of all consumers together read V
 * at two or more distinct (partition, offset) positions of T. Only reads place a value: an
 * acknowledgement at offset o combined with a read at o' ≠ o is not a duplicate unless V is also
 * read at o (present twice). Reading V at one position many times (several consumers, re-reads
 * after a seek, a producer retry acknowledged once) is not a duplicate. Values are compared per
 * topic, so a consume-transform-produce copy of V into another topic is not a duplicate.
 *
 * Related, reported elsewhere: two values at one position is inconsistent-offsets; a value
 * acknowledged at o but read only at o' shows as inconsistent-offsets or poll-skip at o.
 *
 * One violation per (topic, value), provable at the first poll that read its second position.
 */
export const KAFKA_DUPLICATE: InvariantInfo = {
  name: "duplicate",
  kind: "safety",
  when: "history",
  description: "No value is read at two different offsets of a topic: every send is in the log at most once, retries included.",
};

export function checkKafkaDuplicates(history: KafkaHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const [topic, values] of history.reads) {
    for (const [value, positions] of values) {
      if (positions.length < 2) continue;
      found.push({ at: secondFirstRead(positions), violation: duplicateOf(topic, value, positions) });
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

function duplicateOf(topic: string, value: string, positions: readonly ReadPosition[]): Violation {
  const shown = positions.slice(0, EVIDENCE_LIST_MAX);
  const where = shown.map((p) => `${topic}-${p.partition} offset ${p.observation.offset} (read by ${listed(p.observation.processes)})`);
  const processes = [...new Set(shown.flatMap((p) => p.observation.processes))];
  return {
    invariant: KAFKA_DUPLICATE.name,
    kind: "safety",
    message: `value ${value} was read at ${positions.length} positions of ${topic}: ${listed(where)}`,
    evidence: evidenceOf(
      shown.map((p) => p.observation.first),
      {
        topic,
        partition: (positions[0] as ReadPosition).partition,
        offsets: shown.map((p) => p.observation.offset),
        positions: shown.map((p) => [p.partition, p.observation.offset]),
        values: [value],
        processes,
      },
    ),
  };
}

/** The history index at which the value had been read at two positions. */
function secondFirstRead(positions: readonly ReadPosition[]): number {
  const indices = positions.map((p) => p.observation.first.index).sort((a, b) => a - b);
  return indices[1] as number;
}
