import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { keyName, type SendValue } from "../history-values.js";
import { CorrelationIds } from "./network-client.js";
import { KafkaProducer, type SendResult } from "./producer.js";
import type { ProducerOptions } from "./producer-config.js";

export interface KafkaWriterOptions {
  readonly bootstrapBrokers: readonly number[];
  readonly topic: string;
  /** Mean rate of new sends while the workload runs (exponential gaps, seeded). */
  readonly opsPerSec: number;
  /**
   * Sends outstanding at once (default 1). History allows one open operation per process, so
   * with more than one each slot records as its own process `<node>/<slot>`.
   */
  readonly concurrency?: number;
  /** Keys `k0`..`k<keyCount-1>`, drawn per record (seeded); null keys when absent. */
  readonly keyCount?: number;
  /** Producer settings (Kafka's defaults otherwise: idempotence on, acks=-1). */
  readonly producer?: Omit<ProducerOptions, "bootstrapBrokers">;
  /** Set by the driver: while false no new send starts (open ones still finish). */
  readonly workload: { readonly active: boolean };
}

/**
 * Sends unique values `<node>-<n>` to one topic through a KafkaProducer and records each send
 * in the history (src/nodes/kafka/history-values.ts): invoke, then `ok` with partition and
 * offset when the broker acknowledged it, `fail` when it definitely was not written, `info` when
 * it may have been (an indefinite failure, or acks=0 where nobody confirms anything).
 *
 * After a restart the node is a new process (`<node>#<incarnation>`) with values
 * `<node>#<incarnation>-<n>`: the old incarnation's open sends stay open, as Jepsen does.
 */
export class KafkaWriter implements Actor {
  readonly producer: KafkaProducer;
  private nextValue = 0;
  private readonly busy: boolean[];
  private readonly processBase: string;
  /** History process of each slot, built once: every op of the slot names it. */
  private readonly processes: readonly string[];

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: KafkaWriterOptions,
  ) {
    this.producer = new KafkaProducer(ctx, { clientId: `${ctx.id}/producer`, ...options.producer, bootstrapBrokers: options.bootstrapBrokers }, new CorrelationIds());
    this.busy = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => false);
    this.processBase = ctx.incarnation === 0 ? ctx.id : `${ctx.id}#${ctx.incarnation}`;
    this.processes = this.busy.map((_, slot) => (this.busy.length === 1 ? this.processBase : `${this.processBase}/${slot}`));
  }

  onStart(): void {
    this.scheduleNext();
  }

  onMessage(from: string, message: Message): void {
    this.producer.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.producer.onDisconnect(peer);
  }

  /** Sends started and not yet completed. */
  get openSends(): number {
    return this.busy.filter(Boolean).length;
  }

  private scheduleNext(): void {
    const gapUs = Math.max(1, Math.round(this.ctx.rng.exponential(1_000_000 / this.options.opsPerSec)));
    this.ctx.after(gapUs, "next-send", this.onTick);
  }

  private readonly onTick = (): void => this.tick();

  private tick(): void {
    if (!this.options.workload.active) return;
    this.scheduleNext();
    const slot = this.busy.indexOf(false);
    if (slot >= 0) this.startSend(slot);
  }

  private process(slot: number): string {
    return this.processes[slot] as string;
  }

  private startSend(slot: number): void {
    const { topic, keyCount } = this.options;
    const value = `${this.processBase}-${this.nextValue++}`;
    const key = keyCount === undefined ? null : keyName(this.ctx.rng.int(0, keyCount - 1));
    const process = this.process(slot);
    this.busy[slot] = true;
    const sent: SendValue = { topic, key, value };
    this.ctx.history.invoke(process, "send", sent);
    this.producer.send({ topic, key, value }, (result) => {
      this.busy[slot] = false;
      this.record(process, sent, result);
    });
  }


  private record(process: string, sent: SendValue, result: SendResult): void {
    const history = this.ctx.history;
    // Literals, not spreads of `sent`: V8 gives every spread-and-extend clone a hidden class of
    // its own, and the history keeps these values for the whole run.
    const { topic, key, value: sentValue } = sent;
    if (result.ok) {
      const placed: SendValue =
        result.offset >= 0 ? { topic, key, value: sentValue, partition: result.partition, offset: result.offset } : { topic, key, value: sentValue, partition: result.partition };
      if (result.unconfirmed) history.info(process, placed, "acks=0: not confirmed");
      else history.ok(process, placed);
      return;
    }
    const value: SendValue = result.partition === undefined ? sent : { topic, key, value: sentValue, partition: result.partition };
    if (result.definite) history.fail(process, value, result.error);
    else history.info(process, value, result.error);
  }
}
