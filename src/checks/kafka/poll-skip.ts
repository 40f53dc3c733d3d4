import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, firstAbove, inProofOrder, listed, partitionKey, type KafkaHistory, type PartitionFacts, type PartitionKey } from "./kafka-history.js";

/**
 * poll-skip (Jepsen's Kafka workload): a consumer jumps over records that are in the log.
 *
 * Definition: take the records one consumer process polled from one partition, in the order its
 * polls returned them. A record at offset b that follows a record at offset a with b > a + 1,
 * with no seek or assign naming that partition in between, skips every offset in (a, b) known to
 * hold a record; it is a violation when there is at least one. An offset is known to hold a
 * record when some poll (of any consumer) returned a record there or a send was acknowledged
 * there. Gaps alone are not violations: control records (transaction markers) and compacted
 * offsets are never returned nor acknowledged, so they are not known records.
 *
 * Isolation: for a read_committed poll only offsets some read_committed poll returned count as
 * known, since an acknowledged or read_uncommitted record may belong to an aborted transaction.
 *
 * Resets: a seek or assign naming the partition (from its invoke, whatever its outcome) forgets
 * the consumer's last offset there, so the first record after it is not judged (the seek target
 * may lie below the log start). A poll that completed with info forgets all of the consumer's
 * last offsets: it may have returned records that were not recorded.
 *
 * Assumes retention and compaction never remove a record after some reader saw it.
 *
 * One violation per jump, provable at the poll that made it.
 */
export const POLL_SKIP: InvariantInfo = {
  name: "poll-skip",
  kind: "safety",
  when: "history",
  description: "A consumer's successive polls of a partition skip no offset known to hold a record unless it seeks or is reassigned in between.",
};

interface Last {
  readonly offset: number;
  readonly op: HistoryOp;
}

export function checkPollSkips(history: KafkaHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const [process, steps] of history.consumers) {
    const last = new Map<PartitionKey, Last>();
    for (const step of steps) {
      if (step.kind === "unknown-poll") last.clear();
      if (step.kind === "reposition") for (const key of step.partitions) last.delete(key);
      if (step.kind !== "poll") continue;
      for (const [topic, partition, offset] of step.records) {
        const key = partitionKey(topic, partition);
        const previous = last.get(key);
        last.set(key, { offset, op: step.op });
        if (previous === undefined || offset <= previous.offset + 1) continue;
        const facts = history.partitions.get(key) as PartitionFacts;
        const known = step.isolation === "read_committed" ? facts.committedOffsets : facts.knownOffsets;
        const from = firstAbove(known, previous.offset);
        const to = firstAbove(known, offset - 1);
        if (from >= to) continue;
        const skipped = known.slice(from, to);
        found.push({ at: step.op.index, violation: skipOf(process, facts, previous, { offset, op: step.op }, skipped) });
      }
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

function skipOf(process: string, facts: PartitionFacts, previous: Last, current: Last, skipped: readonly number[]): Violation {
  const shown = skipped.slice(0, EVIDENCE_LIST_MAX);
  const first = shown[0] as number;
  const holders = holdersAt(facts, first);
  const values = [...new Set(shown.flatMap((offset) => holdersAt(facts, offset).map((h) => h.value)))];
  const skippedText = skipped.length === 1 ? `offset ${first}` : `${skipped.length} offsets from ${first}`;
  return {
    invariant: POLL_SKIP.name,
    kind: "safety",
    message: `${process} polled ${facts.key} offset ${current.offset} right after offset ${previous.offset}, skipping ${skippedText} known to hold ${listed(values.slice(0, 3))}${values.length > 3 ? " and more" : ""}`,
    evidence: evidenceOf([previous.op, current.op, ...holders.map((h) => h.op)], {
      topic: facts.topic,
      partition: facts.partition,
      offset: current.offset,
      previousOffset: previous.offset,
      skippedOffsets: shown,
      skippedCount: skipped.length,
      values,
      processes: [...new Set([process, ...holders.map((h) => h.op.process)])],
    }),
  };
}

/** The values known at one offset, each with the op that proves it (acknowledgement or first read). */
function holdersAt(facts: PartitionFacts, offset: number): { value: string; op: HistoryOp }[] {
  const acks = (facts.acks.get(offset) ?? []).map((ack) => ({ value: ack.value, op: ack.ok }));
  const reads = (facts.observed.get(offset) ?? []).map((o) => ({ value: o.value, op: o.first }));
  return [...acks, ...reads];
}
