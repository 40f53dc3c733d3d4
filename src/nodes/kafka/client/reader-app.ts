import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs } from "../../../../sim/time.js";
import type { AssignValue, EndOffsetsValue, PolledRecord, PollValue, SeekValue } from "../history-values.js";
import { partitionKey, type TopicPartition } from "../protocol.js";
import type { ConsumerOptions } from "./consumer-config.js";
import { KafkaConsumer, type PollResult } from "./consumer.js";
import { CorrelationIds } from "./network-client.js";

export interface KafkaReaderOptions {
  readonly bootstrapBrokers: readonly number[];
  readonly topics: readonly string[];
  /** Consumer settings; auto.offset.reset defaults to earliest here. */
  readonly consumer?: Omit<ConsumerOptions, "bootstrapBrokers">;
  /** How long one poll waits for records. Default 1000. */
  readonly pollTimeoutMs?: number;
  /** While draining and not caught up, the end offsets are asked again this often. Default 1000. */
  readonly endOffsetsRefreshMs?: number;
  /** Set by the driver near the end: read up to the end offsets, then record them. */
  readonly drain: { readonly active: boolean };
}

/**
 * Reads every partition of its topics from the beginning and records what it saw
 * (src/nodes/kafka/history-values.ts):
 * - `assign` once the topics' partitions are known from metadata;
 * - `seek` whenever a position is set other than by reading on: the reset to the beginning
 *   after the assignment, and any later auto.offset.reset (OFFSET_OUT_OF_RANGE);
 * - `poll` for every poll that returned records, in the order returned;
 * - `end-offsets`, once `drain` is set and its positions have reached the end offsets it asked
 *   for (the HW, or the LSO under read_committed).
 * Every operation is recorded as an invoke immediately followed by its ok.
 */
export class KafkaReader implements Actor {
  readonly consumer: KafkaConsumer;
  private readonly process: string;
  private endOffsets: ReadonlyMap<string, number> | undefined;
  private endOffsetsInFlight = false;
  private endOffsetsAskedUs = 0;
  private drained = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: KafkaReaderOptions,
  ) {
    this.consumer = new KafkaConsumer(ctx, { clientId: `${ctx.id}/consumer`, autoOffsetReset: "earliest", ...options.consumer, bootstrapBrokers: options.bootstrapBrokers }, new CorrelationIds());
    this.process = ctx.incarnation === 0 ? ctx.id : `${ctx.id}#${ctx.incarnation}`;
    this.consumer.onReset((tp, offset) => this.recordSeek(tp, offset));
  }

  onStart(): void {
    this.discover([...this.options.topics], []);
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
    const value: AssignValue = { partitions: partitions.map(({ topic, partition }) => [topic, partition] as const) };
    this.ctx.history.invoke(this.process, "assign", value);
    this.ctx.history.ok(this.process, value);
    this.consumer.seekToBeginning(partitions);
    this.poll();
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
    if (result.ok) this.poll();
    else this.ctx.after(msToUs(this.consumer.config.retryBackoffMs), "poll-retry", () => this.poll());
  }

  private recordSeek(tp: TopicPartition, offset: number): void {
    const value: SeekValue = { topic: tp.topic, partition: tp.partition, offset };
    this.ctx.history.invoke(this.process, "seek", value);
    this.ctx.history.ok(this.process, value);
  }

  private maybeDrain(): void {
    if (this.drained || !this.options.drain.active) return;
    const assignment = this.consumer.assignment();
    if (assignment.length === 0) return;
    const now = this.ctx.monotonicClockUs();
    const refreshUs = msToUs(this.options.endOffsetsRefreshMs ?? 1000);
    if (this.endOffsets === undefined || (!this.endOffsetsInFlight && now - this.endOffsetsAskedUs >= refreshUs && !this.caughtUp(this.endOffsets))) {
      if (!this.endOffsetsInFlight) this.askEndOffsets(assignment, now);
      if (this.endOffsets === undefined) return;
    }
    if (!this.caughtUp(this.endOffsets)) return;
    const offsets = [...this.endOffsets].map(([key, end]) => {
      const tp = assignment.find((a) => partitionKey(a.topic, a.partition) === key) as TopicPartition;
      return [tp.topic, tp.partition, end] as const;
    });
    const value: EndOffsetsValue = { offsets };
    this.ctx.history.invoke(this.process, "end-offsets", value);
    this.ctx.history.ok(this.process, value);
    this.drained = true;
  }

  private askEndOffsets(assignment: readonly TopicPartition[], now: number): void {
    this.endOffsetsInFlight = true;
    this.endOffsetsAskedUs = now;
    this.consumer.endOffsets(assignment, (result) => {
      this.endOffsetsInFlight = false;
      if (result.ok) this.endOffsets = result.offsets;
    });
  }

  private caughtUp(ends: ReadonlyMap<string, number>): boolean {
    for (const tp of this.consumer.assignment()) {
      const end = ends.get(partitionKey(tp.topic, tp.partition));
      const position = this.consumer.position(tp);
      if (end === undefined || position === undefined || position < end) return false;
    }
    return true;
  }
}
