import type { HistoryOp } from "../../../sim/history.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { EVIDENCE_LIST_MAX, evidenceOf, firstAbove, inProofOrder, listed, partitionKey, type Ack, type KafkaHistory, type Observation, type PartitionFacts, type PartitionKey } from "./kafka-history.js";

/**
 * lost-write (Jepsen's Kafka workload): an acknowledged record that readers went past but never saw.
 *
 * Definition: the readable end of a partition is the larger of (the highest offset any poll
 * returned in it) + 1 and the largest end offset an end-offsets op recorded for it. A send
 * acknowledged (ok) at (partition, offset) with offset below the readable end is lost when no
 * poll ever returned its value in that partition, at any offset. Acknowledged sends at or beyond
 * the readable end are not judged: no reader is known to have reached them. Indefinite (info or
 * never completed) and failed sends are never lost: they were not acknowledged. A value read at
 * another offset than the acknowledged one is not lost (inconsistent-offsets and poll-skip judge
 * the position).
 *
 * Isolation: for now every poll counts as a read, whatever its isolation, and the readable end is
 * taken over all readers; end offsets recorded by read_committed readers are LSOs. When
 * transactional sends appear, the acknowledged sends of aborted transactions must be left out
 * and read_committed reads held to committed records (see Observation.committed).
 *
 * A value some consumer read can still be lost later: when a consumer reads across its offset
 * after the acknowledgement and never sees it, the record was no longer in the log then (an
 * unclean election or a truncation removed it after an earlier reader saw it). Crossing
 * before the acknowledgement proves nothing (the offset may have held a record that was
 * truncated, and the acknowledged one written there afterwards).
 *
 * One violation per (partition, value), with the acknowledgement, for each consumer the first
 * poll that returned an offset beyond it, and the end-offsets op if it reached beyond it.
 */
export const KAFKA_LOST_WRITE: InvariantInfo = {
  name: "lost-write",
  kind: "safety",
  when: "history",
  description: "Every acknowledged send below a partition's readable end is read by some consumer.",
};

/** Per consumer, the polls at which its highest offset read in one partition went up. */
interface Progress {
  readonly highest: number[];
  readonly ops: HistoryOp[];
}

export function checkKafkaLostWrites(history: KafkaHistory): Violation[] {
  const progress = progressOf(history);
  const found: { at: number; violation: Violation }[] = [];
  for (const facts of history.partitions.values()) {
    const readableEnd = Math.max(facts.highestReadOffset + 1, facts.endOffset?.offset ?? 0);
    const reads = new ReadIndex(facts);
    const reported = new Set<string>();
    const consumers = progress.get(facts.key);
    for (const offset of ascendingOffsets(facts.acks)) {
      if (offset >= readableEnd) break;
      for (const ack of facts.acks.get(offset) as readonly Ack[]) {
        if (reported.has(ack.value)) continue;
        if (!reads.anyRead(ack)) {
          reported.add(ack.value);
          found.push(lostWriteOf(facts, ack, readableEnd, consumers));
          continue;
        }
        const crosser = consumerThatMissedIt(ack, consumers, reads);
        if (crosser === undefined) continue;
        reported.add(ack.value);
        found.push(lostLaterOf(facts, ack, crosser));
      }
    }
  }
  return inProofOrder(found).map((f) => f.violation);
}

/**
 * Who read which value in one partition. Most acknowledged values were read at their own
 * offset, which one lookup answers; the per-consumer sets of every value read in the partition
 * are built only when some value was not (then a value read at another offset still counts).
 */
class ReadIndex {
  private byConsumer: Map<string, Set<string>> | undefined;
  private all: Set<string> | undefined;

  constructor(private readonly facts: PartitionFacts) {}

  /** Whether any consumer read the ack's value in this partition, at any offset. */
  anyRead(ack: Ack): boolean {
    if (this.atOwnOffset(ack) !== undefined) return true;
    this.all ??= readValuesOf(this.facts);
    return this.all.has(ack.value);
  }

  /** Whether `process` read the ack's value in this partition, at any offset. */
  readBy(process: string, ack: Ack): boolean {
    if (this.atOwnOffset(ack)?.processes.includes(process) === true) return true;
    this.byConsumer ??= readValuesByConsumer(this.facts);
    return this.byConsumer.get(process)?.has(ack.value) === true;
  }

  private atOwnOffset(ack: Ack): Observation | undefined {
    return this.facts.observed.get(ack.offset)?.find((o) => o.value === ack.value);
  }
}

/** The keys of an offset map in ascending order. */
function ascendingOffsets(map: ReadonlyMap<number, unknown>): number[] {
  return [...map.keys()].sort((a, b) => a - b);
}

function lostWriteOf(facts: PartitionFacts, ack: Ack, readableEnd: number, progress: ReadonlyMap<string, Progress> | undefined): { at: number; violation: Violation } {
  const passing: HistoryOp[] = [];
  for (const consumer of progress?.values() ?? []) {
    if (passing.length >= EVIDENCE_LIST_MAX) break;
    const i = firstAbove(consumer.highest, ack.offset);
    if (i < consumer.highest.length) passing.push(consumer.ops[i] as HistoryOp);
  }
  passing.sort((a, b) => a.index - b.index);
  const endOp = facts.endOffset !== undefined && facts.endOffset.offset > ack.offset ? facts.endOffset.op : undefined;
  const witnesses = endOp === undefined ? passing : [...passing, endOp];
  const readers = passing.map((op) => op.process);
  const firstWitness = Math.min(...witnesses.map((op) => op.index));
  const beyond = readers.length > 0 ? `, though ${listed(readers)} read past it` : `, though end offsets put the readable end at ${readableEnd}`;
  return {
    at: Math.max(ack.ok.index, firstWitness),
    violation: {
      invariant: KAFKA_LOST_WRITE.name,
      kind: "safety",
      message: `send of ${ack.value} by ${ack.ok.process} was acknowledged at ${facts.key} offset ${ack.offset} but never read${beyond}`,
      evidence: evidenceOf([ack.ok, ...witnesses], {
        topic: facts.topic,
        partition: facts.partition,
        offset: ack.offset,
        values: [ack.value],
        processes: [ack.ok.process, ...readers],
        readableEnd,
        passedBy: readers,
      }),
    },
  };
}

/** A consumer that crossed the ack's offset after the acknowledgement without ever reading its value. */
function consumerThatMissedIt(
  ack: Ack,
  consumers: ReadonlyMap<string, Progress> | undefined,
  reads: ReadIndex,
): { process: string; crossing: HistoryOp } | undefined {
  for (const [process, mine] of consumers ?? []) {
    const i = firstAbove(mine.highest, ack.offset - 1);
    const crossing = mine.ops[i];
    if (crossing === undefined || crossing.index < ack.ok.index) continue;
    if (reads.readBy(process, ack)) continue;
    return { process, crossing };
  }
  return undefined;
}

function lostLaterOf(facts: PartitionFacts, ack: Ack, crosser: { process: string; crossing: HistoryOp }): { at: number; violation: Violation } {
  const sawIt = [...facts.observed.values()].flat().find((o) => o.value === ack.value);
  const earlier = sawIt === undefined ? [] : [sawIt.first];
  return {
    at: Math.max(ack.ok.index, crosser.crossing.index),
    violation: {
      invariant: KAFKA_LOST_WRITE.name,
      kind: "safety",
      message: `send of ${ack.value} by ${ack.ok.process} was acknowledged at ${facts.key} offset ${ack.offset}${sawIt ? ` and read by ${listed([...sawIt.processes])}` : ""}, but ${crosser.process} later read across that offset without seeing it: the record left the log`,
      evidence: evidenceOf([ack.ok, ...earlier, crosser.crossing], {
        topic: facts.topic,
        partition: facts.partition,
        offset: ack.offset,
        values: [ack.value],
        processes: [ack.ok.process, ...(sawIt?.processes ?? []), crosser.process],
        missedBy: crosser.process,
      }),
    },
  };
}

function readValuesByConsumer(facts: PartitionFacts): Map<string, Set<string>> {
  const byConsumer = new Map<string, Set<string>>();
  for (const observations of facts.observed.values()) {
    for (const o of observations) {
      for (const process of o.processes) {
        let values = byConsumer.get(process);
        if (values === undefined) byConsumer.set(process, (values = new Set()));
        values.add(o.value);
      }
    }
  }
  return byConsumer;
}

function readValuesOf(facts: PartitionFacts): Set<string> {
  const read = new Set<string>();
  for (const observations of facts.observed.values()) for (const o of observations) read.add(o.value);
  return read;
}

/** partition → consumer → the polls at which its highest offset read there rose. */
function progressOf(history: KafkaHistory): Map<PartitionKey, Map<string, Progress>> {
  const progress = new Map<PartitionKey, Map<string, Progress>>();
  for (const [process, steps] of history.consumers) {
    for (const step of steps) {
      if (step.kind !== "poll") continue;
      for (const [topic, partition, offset] of step.records) {
        const key = partitionKey(topic, partition);
        let consumers = progress.get(key);
        if (consumers === undefined) progress.set(key, (consumers = new Map()));
        let mine = consumers.get(process);
        if (mine === undefined) consumers.set(process, (mine = { highest: [], ops: [] }));
        const highest = mine.highest[mine.highest.length - 1] ?? -1;
        if (offset <= highest) continue;
        mine.highest.push(offset);
        mine.ops.push(step.op);
      }
    }
  }
  return progress;
}
