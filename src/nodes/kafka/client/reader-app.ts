import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs } from "../../../../sim/time.js";
import type { AssignValue, EndOffsetsValue, PolledRecord, PollValue, SeekValue } from "../history-values.js";
import { partitionKey, type IsolationLevel, type TopicPartition } from "../protocol.js";
import type { ConsumerOptions } from "./consumer-config.js";
import { KafkaConsumer, type PollResult } from "./consumer.js";
import { CorrelationIds } from "./network-client.js";

export interface KafkaReaderOptions {
  readonly bootstrapBrokers: readonly number[];
  readonly topics: readonly string[];
  /** Consumer settings; auto.offset.reset defaults to earliest here. */
  readonly consumer?: Omit<ConsumerOptions, "bootstrapBrokers">;
  /** isolation.level (overrides consumer.isolationLevel); recorded in every `assign`. Default read_uncommitted. */
  readonly isolationLevel?: IsolationLevel;
  /** Read as a member of this consumer group (subscribe) instead of assigning every partition. */
  readonly groupId?: string;
  /** Group members only: commit the positions after every poll that returned records (commitSync), before polling again. Default false. */
  readonly commitAfterPoll?: boolean;
  /** How long one poll waits for records. Default 1000. */
  readonly pollTimeoutMs?: number;
  /** While draining and not caught up, the end offsets are asked again this often. Default 1000. */
  readonly endOffsetsRefreshMs?: number;
  /** Set by the driver near the end: read up to the end offsets, then record them. */
  readonly drain: { readonly active: boolean };
}

/**
 * Reads every partition of its topics from the beginning, or, with a `groupId`, the partitions
 * the group assigns it from the group's committed offsets, and records what it saw
 * (src/nodes/kafka/history-values.ts):
 * - `assign` (with the isolation level) once the topics' partitions are known from metadata;
 *   as a group member, at every assignment change: the empty assignment when a rebalance
 *   revokes its partitions, and the new assignment when it completes;
 * - `seek` whenever a position is set other than by reading on: the reset to the beginning
 *   after the assignment, the group's committed offset (or auto.offset.reset when there is
 *   none) after a group assignment, and any later auto.offset.reset (OFFSET_OUT_OF_RANGE);
 * - `poll` for every poll that returned records, in the order returned;
 * - `end-offsets`, once `drain` is set and its positions have reached the end offsets it asked
 *   for (the HW, or the LSO under read_committed).
 * Every operation is recorded as an invoke immediately followed by its ok.
 */
export class KafkaReader implements Actor {
  readonly consumer: KafkaConsumer;
  private readonly process: string;
  private endOffsets: ReadonlyMap<string, readonly [topic: string, partition: number, endOffset: number]> | undefined;
  private endOffsetsInFlight = false;
  private endOffsetsAskedUs = 0;
  private drained = false;
  /** The end offsets last recorded, to record again only when they moved. */
  private recordedEnds: string | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: KafkaReaderOptions,
  ) {
    const consumerOptions: ConsumerOptions = {
      clientId: `${ctx.id}/consumer`,
      autoOffsetReset: "earliest",
      ...options.consumer,
      isolationLevel: options.isolationLevel ?? options.consumer?.isolationLevel,
      groupId: options.groupId ?? options.consumer?.groupId,
      bootstrapBrokers: options.bootstrapBrokers,
    };
    this.consumer = new KafkaConsumer(ctx, consumerOptions, new CorrelationIds());
    this.process = ctx.incarnation === 0 ? ctx.id : `${ctx.id}#${ctx.incarnation}`;
    this.consumer.onReset((tp, offset) => this.recordSeek(tp, offset));
  }

  onStart(): void {
    if (this.options.groupId === undefined) {
      this.discover([...this.options.topics], []);
      return;
    }
    this.consumer.subscribe(this.options.topics, {
      onPartitionsRevoked: (partitions) => this.recordRevoked(partitions),
      onPartitionsLost: (partitions) => this.recordRevoked(partitions),
      onPartitionsAssigned: (partitions) => this.recordAssign(partitions),
    });
    this.poll();
  }

  onMessage(from: string, message: Message): void {
    this.consumer.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.consumer.onDisconnect(peer);
  }

  /** True once the end offsets were recorded. */
  get hasDrained(): boolean {
    return this.drained;
  }

  private discover(topics: string[], found: TopicPartition[]): void {
    const topic = topics.shift();
    if (topic === undefined) return this.start(found);
    this.consumer.partitionsFor(topic, (result) => {
      if (!result.ok) {
        topics.unshift(topic);
        this.ctx.after(msToUs(this.consumer.config.retryBackoffMs), "partitions-for-retry", () => this.discover(topics, found));
        return;
      }
      this.discover(topics, [...found, ...result.partitions.map((partition) => ({ topic, partition }))]);
    });
  }

  private start(partitions: readonly TopicPartition[]): void {
    this.consumer.assign(partitions);
    this.recordAssign(partitions);
    this.consumer.seekToBeginning(partitions);
    this.poll();
  }

  private recordRevoked(partitions: readonly TopicPartition[]): void {
    if (partitions.length > 0) this.recordAssign([]);
  }

  private recordAssign(partitions: readonly TopicPartition[]): void {
    const value: AssignValue = { partitions: partitions.map(({ topic, partition }) => [topic, partition] as const), isolationLevel: this.consumer.config.isolationLevel };
    this.ctx.history.invoke(this.process, "assign", value);
    this.ctx.history.ok(this.process, value);
  }

  private poll(): void {
    this.consumer.poll(this.options.pollTimeoutMs ?? 1000, (result) => this.polled(result));
  }

  private polled(result: PollResult): void {
    if (result.ok && result.records.length > 0) {
      const records: PolledRecord[] = result.records.map((r) => [r.topic, r.partition, r.offset, r.value] as const);
      const value: PollValue & { isolation?: string } =
        this.consumer.config.isolationLevel === "read_committed" ? { records, isolation: "read_committed" } : { records };
      this.ctx.history.invoke(this.process, "poll", null);
      this.ctx.history.ok(this.process, value);
    }
    this.maybeDrain();
    if (!result.ok) this.ctx.after(msToUs(this.consumer.config.retryBackoffMs), "poll-retry", () => this.poll());
    else if (result.records.length > 0 && this.options.commitAfterPoll === true && this.consumer.subscribed) this.commitPositions();
    else this.poll();
  }

  /** commitSync of every position, then the next poll whatever the outcome (a failed commit is retried by the next one). */
  private commitPositions(): void {
    const offsets = this.consumer.assignment().flatMap((tp) => {
      const offset = this.consumer.position(tp);
      return offset === undefined ? [] : [{ ...tp, offset }];
    });
    this.consumer.commitOffsets(offsets, () => this.poll());
  }

  private recordSeek(tp: TopicPartition, offset: number): void {
    const value: SeekValue = { topic: tp.topic, partition: tp.partition, offset };
    this.ctx.history.invoke(this.process, "seek", value);
    this.ctx.history.ok(this.process, value);
  }

  /**
   * Once draining, records the end offsets each time it has caught up with a new end: a copier
   * may still be committing after the writers stopped, and the checkers judge what the last
   * recorded end covers.
   */
  private maybeDrain(): void {
    if (!this.options.drain.active) return;
    const assignment = this.consumer.assignment();
    if (assignment.length === 0) return;
    const now = this.ctx.monotonicClockUs();
    const refreshUs = msToUs(this.options.endOffsetsRefreshMs ?? 1000);
    if (!this.endOffsetsInFlight && (this.endOffsets === undefined || now - this.endOffsetsAskedUs >= refreshUs)) this.askEndOffsets(assignment, now);
    if (this.endOffsets === undefined || !this.caughtUp(this.endOffsets)) return;
    const value: EndOffsetsValue = { offsets: assignment.map((tp) => this.endOffsets?.get(partitionKey(tp.topic, tp.partition)) as readonly [string, number, number]) };
    const signature = JSON.stringify(value.offsets);
    if (signature === this.recordedEnds) return;
    this.ctx.history.invoke(this.process, "end-offsets", value);
    this.ctx.history.ok(this.process, value);
    this.recordedEnds = signature;
    this.drained = true;
  }

  private askEndOffsets(assignment: readonly TopicPartition[], now: number): void {
    this.endOffsetsInFlight = true;
    this.endOffsetsAskedUs = now;
    this.consumer.endOffsets(assignment, (result) => {
      this.endOffsetsInFlight = false;
      if (!result.ok) return;
      const ends = new Map<string, readonly [string, number, number]>();
      for (const tp of assignment) {
        const key = partitionKey(tp.topic, tp.partition);
        const end = result.offsets.get(key);
        if (end !== undefined) ends.set(key, [tp.topic, tp.partition, end]);
      }
      this.endOffsets = ends;
    });
  }

  private caughtUp(ends: ReadonlyMap<string, readonly [string, number, number]>): boolean {
    for (const tp of this.consumer.assignment()) {
      const end = ends.get(partitionKey(tp.topic, tp.partition))?.[2];
      const position = this.consumer.position(tp);
      if (end === undefined || position === undefined || position < end) return false;
    }
    return true;
  }
}
