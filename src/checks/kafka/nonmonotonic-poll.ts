import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { evidenceOf, inProofOrder, partitionKey, type KafkaHistory, type PartitionKey } from "./kafka-history.js";

/**
 * nonmonotonic-poll (Jepsen's Kafka workload): a consumer goes back in a partition without being told to.
 *
 * Definition: take the records one consumer process polled from one partition, in the order its
 * polls returned them (within a poll, in the order of the poll's records). A record at offset b
 * that follows a record at offset a with b ≤ a (backwards, or the same offset again) is
 * nonmonotonic unless a seek or an assign naming that partition came between them. Seeks and assigns count from
 * their invoke, whatever their outcome (they may have taken effect). Going back after a seek is
 * fine; so is a gap (poll-skip judges gaps). A poll that completed with info does not reset
 * anything: it can only have moved the position forward.
 *
 * A consumer that restarts must record an assign (or seek) or use a new process name.
 *
 * One violation per backward step, provable at the poll that made it.
 */
export const NONMONOTONIC_POLL: InvariantInfo = {
  name: "nonmonotonic-poll",
  kind: "safety",
  when: "history",
  description: "A consumer's successive polls of a partition return increasing offsets unless it seeks or is reassigned in between.",
};

interface Last {
  readonly offset: number;
  readonly value: string;
  readonly op: HistoryOp;
}

export function checkNonmonotonicPolls(history: KafkaHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const [process, steps] of history.consumers) {
    const last = new Map<PartitionKey, Last>();
    for (const step of steps) {
      if (step.kind === "reposition") for (const key of step.partitions) last.delete(key);
      if (step.kind !== "poll") continue;
      for (const [topic, partition, offset, value] of step.records) {
        const key = partitionKey(topic, partition);
        const previous = last.get(key);
        const current = { offset, value, op: step.op };
        last.set(key, current);
        if (previous === undefined || offset > previous.offset) continue;
        found.push({ at: step.op.index, violation: nonmonotonicOf(process, topic, partition, previous, current) });
      }
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

function nonmonotonicOf(process: string, topic: string, partition: number, previous: Last, current: Last): Violation {
  const how = current.offset === previous.offset ? "again" : `after offset ${previous.offset}`;
  const samePoll = current.op.index === previous.op.index ? " in the same poll" : "";
  return {
    invariant: NONMONOTONIC_POLL.name,
    kind: "safety",
    message: `${process} polled ${partitionKey(topic, partition)} offset ${current.offset} ${how}${samePoll}, with no seek or assign in between`,
    evidence: evidenceOf([previous.op, current.op], {
      topic,
      partition,
      offset: current.offset,
      previousOffset: previous.offset,
      values: [previous.value, current.value],
      processes: [process],
    }),
  };
}
