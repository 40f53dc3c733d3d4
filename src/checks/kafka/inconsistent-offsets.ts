import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, inProofOrder, listed, type Ack, type Observation, type PartitionFacts, type KafkaHistory } from "./kafka-history.js";

/**
 * inconsistent-offsets (Jepsen's Kafka workload): one position of the log holds two values.
 *
 * Definition: a (partition, offset) is inconsistent when the values placed there disagree, where
 * a value is placed by a poll that returned it at that offset or by a send acknowledged (ok) at
 * that offset. So two polls that disagree, a poll that disagrees with an acknowledgement, and two
 * acknowledged sends of different values at one offset are all inconsistent-offsets (not
 * duplicate). Sends without an offset, failed and indefinite sends place nothing.
 *
 * One violation per (partition, offset), provable at the op that placed its second value.
 */
export const INCONSISTENT_OFFSETS: InvariantInfo = {
  name: "inconsistent-offsets",
  kind: "safety",
  when: "history",
  description: "Every offset of a partition holds one value: all reads and all acknowledgements of an offset agree.",
};

/** The values placed at one offset, each with the first op that placed it and who placed it. */
interface Placement {
  readonly value: string;
  readonly first: HistoryOp;
  readonly ackedBy: string[];
  readonly readBy: string[];
}

export function checkInconsistentOffsets(history: KafkaHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const facts of history.partitions.values()) {
    const offsets = new Set<number>(facts.acks.keys());
    for (const offset of facts.observed.keys()) offsets.add(offset);
    for (const offset of offsets) {
      const acks = facts.acks.get(offset) ?? [];
      const observations = facts.observed.get(offset) ?? [];
      if (!twoValues(acks, observations)) continue;
      const placements = placementsAt(acks, observations);
      if (placements.length < 2) continue;
      const firsts = placements.map((p) => p.first.index).sort((a, b) => a - b);
      found.push({ at: firsts[1] as number, violation: inconsistencyOf(facts, offset, placements) });
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

/** Whether the acknowledgements and reads of one offset name two different values (two placements). */
function twoValues(acks: readonly Ack[], observations: readonly Observation[]): boolean {
  const first = acks[0]?.value ?? observations[0]?.value;
  for (const ack of acks) if (ack.value !== first) return true;
  for (const observation of observations) if (observation.value !== first) return true;
  return false;
}

function placementsAt(acks: readonly Ack[], observations: readonly Observation[]): Placement[] {
  const byValue = new Map<string, Placement>();
  const placementOf = (value: string, op: HistoryOp): Placement => {
    let placement = byValue.get(value);
    if (placement === undefined) {
      placement = { value, first: op, ackedBy: [], readBy: [] };
      byValue.set(value, placement);
    } else if (op.index < placement.first.index) {
      placement = { ...placement, first: op };
      byValue.set(value, placement);
    }
    return placement;
  };
  for (const ack of acks) addOnce(placementOf(ack.value, ack.ok).ackedBy, [ack.ok.process]);
  for (const observation of observations) addOnce(placementOf(observation.value, observation.first).readBy, observation.processes);
  return [...byValue.values()];
}

function inconsistencyOf(facts: PartitionFacts, offset: number, placements: readonly Placement[]): Violation {
  const shown = placements.slice(0, EVIDENCE_LIST_MAX);
  const described = shown.map((p) => `${p.value} (${describeSources(p)})`);
  return {
    invariant: INCONSISTENT_OFFSETS.name,
    kind: "safety",
    message: `${facts.key} offset ${offset} holds ${placements.length} different values: ${listed(described)}`,
    evidence: evidenceOf(
      shown.map((p) => p.first),
      {
        topic: facts.topic,
        partition: facts.partition,
        offset,
        values: shown.map((p) => p.value),
        processes: [...new Set(shown.flatMap((p) => [...p.ackedBy, ...p.readBy]))],
        sources: shown.map((p) => ({ value: p.value, ackedBy: p.ackedBy, readBy: p.readBy })),
      },
    ),
  };
}

function addOnce(list: string[], items: readonly string[]): void {
  for (const item of items) if (!list.includes(item)) list.push(item);
}

function describeSources(placement: Placement): string {
  const parts: string[] = [];
  if (placement.ackedBy.length > 0) parts.push(`acknowledged to ${listed(placement.ackedBy)}`);
  if (placement.readBy.length > 0) parts.push(`read by ${listed(placement.readBy)}`);
  return parts.join(", ");
}
