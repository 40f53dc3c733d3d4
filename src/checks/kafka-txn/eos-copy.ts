import type { HistoryOp } from "../../../sim/history.js";
import { parseCopyValue, type CommittedOffsetsValue, type CopierTxnFields, type PolledRecord, type SendValue } from "../../nodes/kafka/history-values.js";
import type { InvariantInfo, Violation } from "../violation.js";
import { evidenceOf, inProofOrder, listed, partitionKey, type PartitionKey } from "../kafka/kafka-history.js";
import type { EndOffsets, Txn, TxnHistory } from "./txn-history.js";

/**
 * eos-copy (catalog invariant CTP): a consume-transform-produce copier reflects every input
 * record in its committed output exactly once, and its committed group offsets agree with that
 * output.
 *
 * History format (an extension of src/nodes/kafka/history-values.ts). A copier transaction is an
 * f:"txn" op (so every other transaction checker judges it too) with three more fields:
 *   invoke f:"txn" {transactionalId, intent, groupId, inputs, sends, offsets}
 *     groupId  the consumer group whose offsets the transaction commits
 *     inputs   [[topic, partition, offset, value], ...]  the input records this transaction
 *              processes, as the copier's read_committed consumer returned them
 *     sends    one per input: {topic: <output topic>, key, value: copyValueOf(input)}
 *     offsets  [[topic, partition, nextOffset], ...]  what sendOffsetsToTransaction is given
 *   ok/fail/info f:"txn"  the same fields, as for any transactional writer (outcome,
 *              endRequestedUs, and each send's partition and offset once acknowledged)
 * An output value names its input: `copy:<input topic>:<input partition>:<input offset>:<input
 * value>` (copyValueOf / parseCopyValue; Kafka topic names cannot hold ':'), so each output maps
 * back to exactly one input offset whoever reads it.
 * At the end of the run the copier (or the driver) may record the group's committed offsets, as
 * OffsetFetch(requireStable) returns them:
 *   invoke/ok f:"committed-offsets" {groupId, offsets: [[topic, partition, offset], ...]}
 * Without it, the committed position of an input partition is bounded by the copier's
 * transactions: at least the largest offset of a definitely committed one, at most the largest
 * of those that may have committed (committed or info).
 * Readers of the output topic record their reads as any reader does (read_committed).
 *
 * Definition, per group, over records read by read_committed polls of the output topics:
 * - duplicated: an input offset has copies at two or more output positions;
 * - input lost: an input record known to exist (a copier transaction's input, whatever its
 *   outcome, a read_committed read of an input topic, or an acknowledged send to one) below the final committed position of
 *   its partition has no copy, though a read_committed reader of the output drained every
 *   output partition after the copier's last transaction completed;
 * - offset behind output: a copy of an input offset at or above the highest possible committed
 *   position was committed: a restarted copier would process that input again;
 * - wrong input: a copy names an input value other than the one at that input offset.
 *
 * One violation per input offset and kind, in proof order.
 */
export const EOS_COPY: InvariantInfo = {
  name: "eos-copy",
  kind: "safety",
  when: "history",
  description: "A consume-transform-produce copier's committed output holds every input record below its committed offsets exactly once, and no output beyond them.",
};

export type CopyKind = "duplicated" | "input lost" | "offset behind output" | "wrong input";

/** The fields a copier transaction adds to f:"txn" values. */
export { copyValueOf, parseCopyValue, type CommittedOffsetsValue, type CopierTxnFields } from "../../nodes/kafka/history-values.js";

interface Known {
  readonly value: string;
  readonly op: HistoryOp;
}

interface Copy {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly inputValue: string;
  readonly op: HistoryOp;
  readonly process: string;
}

/** The final committed position: at least `low`, at most `high`, with the ops that show each. */
interface Position {
  readonly low: number;
  readonly high: number;
  readonly lowOp: HistoryOp | undefined;
  readonly highOp: HistoryOp | undefined;
}

const NOTHING_COMMITTED: Position = { low: 0, high: 0, lowOp: undefined, highOp: undefined };

interface Group {
  readonly groupId: string;
  readonly txns: readonly Txn[];
  readonly inputTopics: ReadonlySet<string>;
  readonly outputTopics: ReadonlySet<string>;
}

export function checkEosCopy(history: TxnHistory): Violation[] {
  const found: { at: number; violation: Violation }[] = [];
  for (const group of groupsOf(history)) found.push(...checkGroup(history, group));
  return inProofOrder(found).map((f) => f.violation);
}

function checkGroup(history: TxnHistory, group: Group): { at: number; violation: Violation }[] {
  const inputs = knownInputs(history, group);
  const copies = copiesOf(history, group);
  const positions = committedPositions(history, group);
  const drain = drainAfter(history, group, copies);
  const found: { at: number; violation: Violation }[] = [];
  const report = (kind: CopyKind, at: number, message: string, ops: readonly HistoryOp[], data: Record<string, unknown>): void => {
    found.push({ at, violation: { invariant: EOS_COPY.name, kind: "safety", message: `${kind}: ${message}`, evidence: evidenceOf(ops, { kind, groupId: group.groupId, ...data }) } });
  };
  for (const [id, list] of copies) {
    const first = list[0] as Copy;
    const input = parseId(id);
    const where = `input ${input.key} offset ${input.offset}`;
    if (list.length > 1) {
      const at = [...list].map((c) => c.op.index).sort((a, b) => a - b)[1] as number;
      const places = list.map((c) => `${c.topic}-${c.partition} offset ${c.offset}`);
      report("duplicated", at, `${where} was copied ${list.length} times in the committed output of group ${group.groupId}: ${listed(places)}`, list.map((c) => c.op), {
        input: [input.key, input.offset],
        outputs: list.map((c) => [c.topic, c.partition, c.offset]),
        processes: [...new Set(list.map((c) => c.process))],
      });
    }
    const known = inputs.get(input.key)?.get(input.offset);
    if (known !== undefined && known.value !== first.inputValue) {
      report("wrong input", Math.max(first.op.index, known.op.index), `the copy at ${first.topic}-${first.partition} offset ${first.offset} names ${where} as ${first.inputValue}, but that offset held ${known.value}`, [first.op, known.op], {
        input: [input.key, input.offset],
        values: [first.inputValue, known.value],
      });
    }
    const position = positions.get(input.key) ?? NOTHING_COMMITTED;
    if (input.offset >= position.high) {
      const committed = position.highOp === undefined ? "has no committed offset" : `committed offset is at most ${position.high}`;
      report("offset behind output", first.op.index, `${where} was copied to ${first.topic}-${first.partition} offset ${first.offset} (read by ${first.process}, op ${first.op.index}), but group ${group.groupId}'s ${committed}: a restarted copier processes it again`, position.highOp === undefined ? [first.op] : [first.op, position.highOp], {
        input: [input.key, input.offset],
        committedOffset: position.high,
        outputs: [[first.topic, first.partition, first.offset]],
      });
    }
  }
  if (drain === undefined) return found;
  for (const [key, byOffset] of inputs) {
    const position = positions.get(key);
    if (position === undefined) continue;
    for (const [offset, known] of [...byOffset].sort(([a], [b]) => a - b)) {
      if (offset >= position.low) break;
      if (copies.has(idOf(key, offset))) continue;
      const ops = [known.op, drain, ...(position.lowOp === undefined ? [] : [position.lowOp])];
      report("input lost", Math.max(...ops.map((op) => op.index)), `input ${key} offset ${offset} (${known.value}) lies below group ${group.groupId}'s committed offset ${position.low}, but no copy of it was read from ${listed([...group.outputTopics])} under read_committed, though ${drain.process} read the output to its end (op ${drain.index})`, ops, {
        input: [key, offset],
        values: [known.value],
        committedOffset: position.low,
        drainedBy: drain.process,
      });
    }
  }
  return found;
}

function groupsOf(history: TxnHistory): Group[] {
  const byGroup = new Map<string, Txn[]>();
  for (const txn of history.txns) {
    const fields = copierFieldsOf(txn);
    if (fields === undefined) continue;
    const list = byGroup.get(fields.groupId);
    if (list === undefined) byGroup.set(fields.groupId, [txn]);
    else list.push(txn);
  }
  return [...byGroup].map(([groupId, txns]) => ({
    groupId,
    txns,
    inputTopics: new Set(txns.flatMap((t) => (copierFieldsOf(t) as CopierTxnFields).inputs.map(([topic]) => topic))),
    outputTopics: new Set(txns.flatMap((t) => t.sends.map((s) => s.topic))),
  }));
}

function copierFieldsOf(txn: Txn): CopierTxnFields | undefined {
  const { groupId, inputs, offsets } = txn.value;
  if (typeof groupId !== "string") return undefined;
  if (Array.isArray(inputs) && Array.isArray(offsets)) return { groupId, inputs: inputs as PolledRecord[], offsets: offsets as CopierTxnFields["offsets"] };
  // The completion lacks them: take them from the invoke (read from the history only then).
  const invoked = txn.invoke.value as Readonly<Record<string, unknown>>;
  if (!Array.isArray(inputs ?? invoked.inputs)) return undefined;
  return { groupId, inputs: (inputs ?? invoked.inputs) as PolledRecord[], offsets: (Array.isArray(offsets) ? offsets : Array.isArray(invoked.offsets) ? invoked.offsets : []) as CopierTxnFields["offsets"] };
}

/** Input records known to exist: copier inputs (any outcome), read_committed reads of input topics, acknowledged sends to them. */
function knownInputs(history: TxnHistory, group: Group): Map<PartitionKey, Map<number, Known>> {
  const known = new Map<PartitionKey, Map<number, Known>>();
  const add = (topic: string, partition: number, offset: number, value: string, op: HistoryOp): void => {
    const key = partitionKey(topic, partition);
    let byOffset = known.get(key);
    if (byOffset === undefined) known.set(key, (byOffset = new Map()));
    if (!byOffset.has(offset)) byOffset.set(offset, { value, op });
  };
  for (const txn of group.txns) for (const [topic, partition, offset, value] of (copierFieldsOf(txn) as CopierTxnFields).inputs) add(topic, partition, offset, value, txn.invoke);
  for (const read of history.committedReads) if (group.inputTopics.has(read.topic)) add(read.topic, read.partition, read.offset, read.value, read.op);
  // Acknowledged writes to an input topic exist too, whether or not any copier ever got them.
  for (let i = 0; i < history.history.length; i++) {
    // The handle reads f and type without decoding the value: only acknowledged sends are decoded.
    const ref = history.history.ref(i);
    if (ref.f !== "send" || ref.type !== "ok") continue;
    const op = history.history.op(i);
    const sent = op.value as SendValue;
    if (group.inputTopics.has(sent.topic) && sent.partition !== undefined && sent.offset !== undefined && sent.offset >= 0) add(sent.topic, sent.partition, sent.offset, sent.value, op);
  }
  return known;
}

/** input position id → the distinct output positions read under read_committed that copy it. */
function copiesOf(history: TxnHistory, group: Group): Map<string, Copy[]> {
  const copies = new Map<string, Copy[]>();
  for (const read of history.committedReads) {
    if (!group.outputTopics.has(read.topic)) continue;
    const input = parseCopyValue(read.value);
    if (input === undefined || !group.inputTopics.has(input[0])) continue;
    const id = idOf(partitionKey(input[0], input[1]), input[2]);
    const copy: Copy = { topic: read.topic, partition: read.partition, offset: read.offset, inputValue: input[3], op: read.op, process: read.process };
    const list = copies.get(id);
    if (list === undefined) copies.set(id, [copy]);
    else if (!list.some((c) => c.topic === copy.topic && c.partition === copy.partition && c.offset === copy.offset)) list.push(copy);
  }
  return copies;
}

/** Per input partition, the group's final committed position, exactly or as bounds. */
function committedPositions(history: TxnHistory, group: Group): Map<PartitionKey, Position> {
  const fetched = lastCommittedOffsets(history, group.groupId);
  const positions = new Map<PartitionKey, Position>();
  if (fetched !== undefined) {
    for (const [topic, partition, offset] of (fetched.value as CommittedOffsetsValue).offsets) positions.set(partitionKey(topic, partition), { low: offset, high: offset, lowOp: fetched, highOp: fetched });
    return positions;
  }
  for (const txn of group.txns) {
    if (txn.status === "aborted") continue;
    for (const [topic, partition, offset] of (copierFieldsOf(txn) as CopierTxnFields).offsets) {
      const key = partitionKey(topic, partition);
      const was = positions.get(key) ?? NOTHING_COMMITTED;
      const raisesLow = txn.status === "committed" && offset > was.low;
      const raisesHigh = offset > was.high;
      positions.set(key, {
        low: raisesLow ? offset : was.low,
        high: raisesHigh ? offset : was.high,
        lowOp: raisesLow ? txn.completion : was.lowOp,
        highOp: raisesHigh ? (txn.completion ?? txn.invoke) : was.highOp,
      });
    }
  }
  return positions;
}

function lastCommittedOffsets(history: TxnHistory, groupId: string): HistoryOp | undefined {
  for (let i = history.history.length - 1; i >= 0; i--) {
    const ref = history.history.ref(i);
    if (ref.f !== "committed-offsets" || ref.type !== "ok") continue;
    const op = history.history.op(i);
    const value = op.value as Partial<CommittedOffsetsValue> | null;
    if (value?.groupId === groupId && Array.isArray(value.offsets)) return op;
  }
  return undefined;
}

/** A read_committed end-offsets op covering every output partition, after the copier's last completed transaction. */
function drainAfter(history: TxnHistory, group: Group, copies: ReadonlyMap<string, readonly Copy[]>): HistoryOp | undefined {
  const lastCompletion = Math.max(-1, ...group.txns.map((t) => t.completion?.index ?? -1));
  const outputs = new Set<PartitionKey>();
  for (const txn of group.txns) for (const s of txn.sends) if (typeof s.partition === "number" && (s.offset ?? -1) >= 0) outputs.add(partitionKey(s.topic, s.partition));
  for (const list of copies.values()) for (const c of list) outputs.add(partitionKey(c.topic, c.partition));
  return history.committedEnds.find((end) => end.op.index > lastCompletion && covers(end.offsets, outputs))?.op;
}

function covers(offsets: EndOffsets, keys: ReadonlySet<PartitionKey>): boolean {
  const have = new Set(offsets.map(([topic, partition]) => partitionKey(topic, partition)));
  return [...keys].every((key) => have.has(key));
}

function idOf(key: PartitionKey, offset: number): string {
  return `${key}@${offset}`;
}

function parseId(id: string): { key: PartitionKey; offset: number } {
  const at = id.lastIndexOf("@");
  return { key: id.slice(0, at), offset: Number(id.slice(at + 1)) };
}
