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
}

export interface EndOffsetsValue {
  readonly offsets: readonly (readonly [topic: string, partition: number, endOffset: number])[];
}
