import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { keyName, recordInitFailure, type InitValue, type TxnIntent, type TxnSend, type TxnValue } from "../history-values.js";
import { CorrelationIds } from "./network-client.js";
import { KafkaProducer, type EndTransactionResult, type SendResult } from "./producer.js";
import type { ProducerOptions } from "./producer-config.js";
import type { TransactionOutcome, TxnCallResult } from "./transaction-manager.js";

export interface KafkaTxnWriterOptions {
  readonly bootstrapBrokers: readonly number[];
  /** Each send picks one of these (seeded); its partition comes from the default partitioner. */
  readonly topics: readonly string[];
  /** transactional.id; default: the node id, so a restarted node fences its previous incarnation. */
  readonly transactionalId?: string;
  /** Mean rate of new transactions while the workload runs (exponential gaps, seeded). */
  readonly transactionsPerSec: number;
  /** Sends per transaction, drawn uniformly (seeded). Default {min: 1, max: 5}. */
  readonly sendsPerTxn?: { readonly min: number; readonly max: number };
  /** Fraction of transactions aborted on purpose (seeded). Default 0. */
  readonly abortRatio?: number;
  /** Keys `k0`..`k<keyCount-1>`, drawn per record (seeded); null keys when absent. */
  readonly keyCount?: number;
  /** Producer settings (Kafka's defaults otherwise: transaction version 2, 60 s transaction timeout). */
  readonly producer?: Omit<ProducerOptions, "bootstrapBrokers" | "transactionalId">;
  /** Set by the driver: while false no new transaction starts (an open one still finishes). */
  readonly workload: { readonly active: boolean };
}

interface OpenTransaction {
  readonly intent: TxnIntent;
  readonly sends: readonly TxnSend[];
  readonly results: (SendResult | undefined)[];
  pending: number;
  endRequestedUs: number | null;
}

/**
 * A transactional writer: one KafkaProducer with a transactional.id, one transaction at a time,
 * recorded in the history as src/nodes/kafka/history-values.ts documents (f "init" once, then
 * f "txn" per transaction).
 *
 * A transaction: beginTransaction, every planned send (unique values `<process>-<n>`, topics and
 * keys drawn from the seed), and once every send has completed, commitTransaction (or
 * abortTransaction for the fraction `abortRatio` meant to abort). A commit that fails with an
 * abortable error is aborted. The completion is `ok` when EndTxn answered (outcome COMMIT or
 * ABORT), `fail` when the transaction definitely did not commit, `info` when an EndTxn(COMMIT)
 * went out and its answer never came. After a fatal error (fenced, for example) the producer is
 * closed and the writer stops: a fenced instance never comes back; a replacement is a new process.
 *
 * `endRequestedUs` is the simulated time ops are stamped with (not this node's clock, which
 * clock faults skew), so checkers can compare it with the times of reads.
 */
export class KafkaTxnWriter implements Actor {
  readonly producer: KafkaProducer;
  readonly transactionalId: string;
  private readonly process: string;
  private nextValue = 0;
  private open: OpenTransaction | undefined;
  private stoppedFlag = false;
  private initialized = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: KafkaTxnWriterOptions,
  ) {
    if (options.topics.length === 0) throw new Error("KafkaTxnWriter: topics is empty");
    this.transactionalId = options.transactionalId ?? ctx.id;
    this.process = ctx.incarnation === 0 ? ctx.id : `${ctx.id}#${ctx.incarnation}`;
    this.producer = new KafkaProducer(
      ctx,
      { clientId: `${ctx.id}/producer`, ...options.producer, transactionalId: this.transactionalId, bootstrapBrokers: options.bootstrapBrokers },
      new CorrelationIds(),
    );
  }

  onStart(): void {
    const invoked: InitValue = { transactionalId: this.transactionalId };
    this.ctx.history.invoke(this.process, "init", invoked);
    this.producer.initTransactions((result) => this.onInitialized(result));
  }

  onMessage(from: string, message: Message): void {
    this.producer.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.producer.onDisconnect(peer);
  }

  /** Transactions started and not yet recorded as complete (0 or 1). */
  get openTransactions(): number {
    return this.open === undefined ? 0 : 1;
  }

  /** True once a fatal error closed the producer: no transaction starts any more. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  private onInitialized(result: TxnCallResult): void {
    const transactionalId = this.transactionalId;
    if (result.ok) {
      const { producerId, producerEpoch } = this.producer.producerIdAndEpoch;
      const done: InitValue = { transactionalId, producerId, producerEpoch };
      this.ctx.history.ok(this.process, done);
      this.initialized = true;
      this.scheduleNext();
      return;
    }
    recordInitFailure(this.ctx.history, this.process, transactionalId, result.error, this.producer.initProducerIdAttempted);
    this.stop();
  }

  private scheduleNext(): void {
    const gapUs = Math.max(1, Math.round(this.ctx.rng.exponential(1_000_000 / this.options.transactionsPerSec)));
    this.ctx.after(gapUs, "next-txn", this.onTick);
  }

  private readonly onTick = (): void => {
    if (this.stoppedFlag || !this.initialized || this.open !== undefined || !this.options.workload.active) return;
    this.startTransaction();
  };

  private startTransaction(): void {
    const { min, max } = this.options.sendsPerTxn ?? { min: 1, max: 5 };
    const count = this.ctx.rng.int(min, max);
    const intent: TxnIntent = this.ctx.rng.next() < (this.options.abortRatio ?? 0) ? "ABORT" : "COMMIT";
    const sends: TxnSend[] = [];
    for (let i = 0; i < count; i++) sends.push(this.plannedSend());
    const open: OpenTransaction = { intent, sends, results: sends.map(() => undefined), pending: sends.length, endRequestedUs: null };
    this.open = open;
    const invoked: TxnValue = { transactionalId: this.transactionalId, intent, sends };
    this.ctx.history.invoke(this.process, "txn", invoked);
    const begun = this.producer.beginTransaction();
    if (!begun.ok) {
      this.finish(open, undefined, begun.error, { kind: "not-committed", error: begun.error });
      return;
    }
    if (sends.length === 0) {
      this.endTransaction(open);
      return;
    }
    sends.forEach((send, i) => {
      this.producer.send({ topic: send.topic, key: send.key, value: send.value }, (result) => {
        open.results[i] = result;
        if (--open.pending === 0) this.endTransaction(open);
      });
    });
  }

  private plannedSend(): TxnSend {
    const { topics, keyCount } = this.options;
    const topic = topics.length === 1 ? (topics[0] as string) : (topics[this.ctx.rng.int(0, topics.length - 1)] as string);
    const key = keyCount === undefined ? null : keyName(this.ctx.rng.int(0, keyCount - 1));
    return { topic, key, value: `${this.process}-${this.nextValue++}` };
  }

  private endTransaction(open: OpenTransaction): void {
    open.endRequestedUs = this.ctx.history.nowUs();
    if (open.intent === "COMMIT") this.producer.commitTransaction((result) => this.onEnded(open, result));
    else this.abort(open);
  }

  private abort(open: OpenTransaction): void {
    this.producer.abortTransaction((result) => this.onEnded(open, result));
  }

  /** commitTransaction or abortTransaction returned: record it, or abort after an abortable error. */
  private onEnded(open: OpenTransaction, result: EndTransactionResult): void {
    if (result.ok) this.finish(open, result.outcome, undefined, undefined);
    else if (result.errorClass === "abortable") this.abort(open);
    else this.finish(open, undefined, result.error, result.outcome);
  }

  /** Records the completion: `ended` when EndTxn answered, else the outcome the failure left. */
  private finish(open: OpenTransaction, ended: TransactionOutcome | undefined, error: string | undefined, unresolved: TransactionOutcome | undefined): void {
    this.open = undefined;
    const { producerId, producerEpoch } = ended !== undefined && "producerId" in ended ? ended : this.producer.producerIdAndEpoch;
    const base = {
      transactionalId: this.transactionalId,
      intent: open.intent,
      sends: open.sends.map((send, i) => placed(send, open.results[i])),
      producerId,
      producerEpoch,
      endRequestedUs: open.endRequestedUs,
    };
    const history = this.ctx.history;
    if (ended !== undefined && (ended.kind === "committed" || ended.kind === "aborted")) {
      const value: TxnValue = { ...base, outcome: ended.kind === "committed" ? "COMMIT" : "ABORT" };
      history.ok(this.process, value);
    } else if (unresolved?.kind === "unknown") {
      history.info(this.process, base, error);
    } else {
      history.fail(this.process, base, error);
    }
    if (this.producer.transactionState === "FATAL_ERROR" || this.producer.isClosed) this.stop();
    else this.scheduleNext();
  }

  private stop(): void {
    this.stoppedFlag = true;
    this.producer.close();
  }

}

/** A planned send with where it landed: partition and offset when acknowledged, offset -1 otherwise. */
function placed(send: TxnSend, result: SendResult | undefined): TxnSend {
  if (result?.ok === true) return { topic: send.topic, key: send.key, value: send.value, partition: result.partition, offset: result.offset };
  if (result?.partition !== undefined) return { topic: send.topic, key: send.key, value: send.value, partition: result.partition, offset: -1 };
  return { topic: send.topic, key: send.key, value: send.value, offset: -1 };
}
