import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, inProofOrder, type KafkaHistory, type ReadPosition, type Send } from "./kafka-history.js";

/**
 * unexpected-write (eosim's own; Jepsen's Kafka workload has no such check): a value is read
 * that no send can explain.
 *
 * Definition: a value V read in topic T is unexpected when no send of V to T was ever invoked,
 * or when every send of V to T definitely failed (completed with fail). A send that completed
 * with info, or never completed, may have been written: reading its value is fine. So is
 * reading the value of an acknowledged send, wherever it was read (the position is judged by
 * inconsistent-offsets, duplicate and poll-skip).
 *
 * Every record read must therefore come from a recorded send: workloads that put records into
 * a topic some other way must record those sends too.
 *
 * One violation per (topic, value), provable at the first poll that read it.
 */
export const UNEXPECTED_WRITE: InvariantInfo = {
  name: "unexpected-write",
  kind: "safety",
  when: "history",
  description: "Every value read was sent, and not by a send that definitely failed.",
};

export function checkUnexpectedWrites(history: KafkaHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const [topic, values] of history.reads) {
    const sendsOfTopic = history.sends.get(topic);
    for (const [value, positions] of values) {
      const sends = sendsOfTopic?.get(value) ?? [];
      if (sends.some((send) => send.outcome !== "fail")) continue;
      const first = firstRead(positions);
      found.push({ at: first.observation.first.index, violation: unexpectedOf(topic, value, first, positions, sends) });
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

function unexpectedOf(topic: string, value: string, first: ReadPosition, positions: readonly ReadPosition[], sends: readonly Send[]): Violation {
  const failed = sends.slice(0, EVIDENCE_LIST_MAX);
  const read = first.observation;
  const why =
    sends.length === 0
      ? " but was never sent"
      : `, but ${sends.length === 1 ? "its only send" : `all ${sends.length} of its sends`} definitely failed (${failedErrors(failed)})`;
  const shown = positions.slice(0, EVIDENCE_LIST_MAX);
  return {
    invariant: UNEXPECTED_WRITE.name,
    kind: "safety",
    message: `value ${value} read at ${topic}-${first.partition} offset ${read.offset} by ${read.processes[0] ?? "?"}${why}`,
    evidence: evidenceOf([...shown.map((p) => p.observation.first), ...failed.flatMap((s) => (s.completion === undefined ? [] : [s.invoke, s.completion]))], {
      topic,
      partition: first.partition,
      offset: read.offset,
      values: [value],
      processes: [...new Set([...shown.flatMap((p) => p.observation.processes), ...failed.map((s) => s.invoke.process)])],
      positions: shown.map((p) => [p.partition, p.observation.offset]),
      failedSends: failed.map((s) => ({ process: s.invoke.process, error: s.completion?.error ?? null })),
    }),
  };
}

function firstRead(positions: readonly ReadPosition[]): ReadPosition {
  return positions.reduce((a, b) => (b.observation.first.index < a.observation.first.index ? b : a));
}

function failedErrors(sends: readonly Send[]): string {
  const errors = [...new Set(sends.map((s) => s.completion?.error ?? "no error given"))];
  return errors.join(", ");
}
