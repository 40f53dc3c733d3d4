/**
 * What Kafka applications record in the history (Jepsen's Kafka workload, adapted). The
 * checkers in src/checks/kafka read exactly these shapes.
 *
 * Writers, one operation per record sent:
 *   invoke  f:"send"  {topic, key, value}
 *   ok      f:"send"  {topic, key, value, partition, offset}      the broker acknowledged it at offset
 *   fail    f:"send"  {topic, key, value, partition?}             definitely not written
 *   info    f:"send"  {topic, key, value, partition?}             unknown: it may have been written
 *
 * Readers (consumers), one operation per poll that returned records, and one per reposition:
 *   invoke/ok f:"poll"   {records: [[topic, partition, offset, value], ...]} in the order returned
 *   invoke/ok f:"seek"   {topic, partition, offset}                the position was set explicitly
 *   invoke/ok f:"assign" {partitions: [[topic, partition], ...]}  the consumer now reads these
 * A consumer's successive polls of a partition continue from the previous position unless a
 * seek or assign for that partition came between them.
 * Readers also record, at the end of the run, the readable end of each partition:
 *   invoke/ok f:"end-offsets" {offsets: [[topic, partition, endOffset], ...]}  (the HW, or LSO for read_committed)
 */
import type { History } from "../../../sim/history.js";
export interface SendValue {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly partition?: number;
  readonly offset?: number;
}

export type PolledRecord = readonly [topic: string, partition: number, offset: number, value: string];

export interface PollValue {
  readonly records: readonly PolledRecord[];
}

export interface SeekValue {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface AssignValue {
  readonly partitions: readonly (readonly [topic: string, partition: number])[];
  /** Absent means read_uncommitted (the data plane's readers). */
  readonly isolationLevel?: "read_uncommitted" | "read_committed";
}

export interface EndOffsetsValue {
  readonly offsets: readonly (readonly [topic: string, partition: number, endOffset: number])[];
}

/**
 * Transactional writers (one process per producer instance; a replacement instance with the
 * same transactional.id is a new process), one operation per transaction:
 *   invoke f:"init" {transactionalId}
 *   ok     f:"init" {transactionalId, producerId, producerEpoch}   initTransactions returned: every
 *                                                                 older instance of the id is fenced
 *   fail/info f:"init" {transactionalId}
 *   invoke f:"txn"  {transactionalId, intent, sends: [{topic, key, value}]}   at beginTransaction
 *   ok     f:"txn"  {…, outcome, producerId, producerEpoch, endRequestedUs, sends: [{…, partition, offset}]}
 *                   EndTxn answered: `outcome` COMMIT or ABORT is definitely what happened
 *   fail   f:"txn"  {…}  definitely not committed: aborted, or failed before EndTxn(COMMIT) was sent
 *   info   f:"txn"  {…}  EndTxn(COMMIT) was sent and its answer is unknown: it may have committed
 * `intent` is what the writer meant to do (it aborts some transactions on purpose).
 * `endRequestedUs` is the simulated time at which commitTransaction/abortTransaction was called
 * (null if it never was): a read_committed read that returned a record of the transaction
 * before then saw uncommitted data. `sends` in a completion carry partition and offset for each
 * send the broker acknowledged (offset -1 when it did not).
 * Readers record their isolation level in their `assign` (AssignValue.isolationLevel).
 */
export type TxnIntent = "COMMIT" | "ABORT";

export interface InitValue {
  readonly transactionalId: string;
  readonly producerId?: number;
  readonly producerEpoch?: number;
}

export interface TxnSend {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly partition?: number;
  readonly offset?: number;
}

export interface TxnValue {
  readonly transactionalId: string;
  readonly intent: TxnIntent;
  readonly sends: readonly TxnSend[];
  readonly outcome?: TxnIntent;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly endRequestedUs?: number | null;
}

/**
 * Consume-transform-produce copiers record each transaction as an f:"txn" op with these extra
 * fields (src/checks/kafka-txn/eos-copy.ts judges them): the input records consumed, the
 * outputs (one per input, valued `copyValueOf(input)`), and the offsets given to
 * sendOffsetsToTransaction. Optionally, at the end, f:"committed-offsets" {groupId, offsets}.
 */
export interface CopierTxnFields {
  readonly groupId: string;
  readonly inputs: readonly PolledRecord[];
  readonly offsets: readonly (readonly [topic: string, partition: number, offset: number])[];
}

export interface CommittedOffsetsValue {
  readonly groupId: string;
  readonly offsets: readonly (readonly [topic: string, partition: number, offset: number])[];
}

const COPY_PREFIX = "copy:";
const COPY_PATTERN = /^copy:([A-Za-z0-9._-]+):(\d+):(\d+):([\s\S]*)$/;

/** The output value a copier writes for one input record. */
export function copyValueOf(topic: string, partition: number, offset: number, value: string): string {
  return `${COPY_PREFIX}${topic}:${partition}:${offset}:${value}`;
}

/** The input record an output value names, or undefined if it is not a copy. */
export function parseCopyValue(output: string): PolledRecord | undefined {
  if (!output.startsWith(COPY_PREFIX)) return undefined;
  const match = COPY_PATTERN.exec(output);
  if (match === null) return undefined;
  return [match[1] as string, Number(match[2]), Number(match[3]), match[4] as string];
}


const keyNames: string[] = [];

/**
 * The key `k<i>` writers draw for their records: one string per key for the whole process (a
 * pure function, so a process-wide memo is safe), shared by every send and history value.
 */
export function keyName(i: number): string {
  return (keyNames[i] ??= `k${i}`);
}

/**
 * Completes a failed initTransactions: info when an InitProducerId left the client (it may have
 * fenced the older instances of the transactional id anyway), fail when none did.
 */
export function recordInitFailure(history: History, process: string, transactionalId: string, error: string, initProducerIdAttempted: boolean): void {
  const value: InitValue = { transactionalId };
  if (initProducerIdAttempted) history.info(process, value, error);
  else history.fail(process, value, error);
}
