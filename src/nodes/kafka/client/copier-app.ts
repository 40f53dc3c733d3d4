import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import type { Rng } from "../../../../sim/rng.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import { copyValueOf, recordInitFailure, type CopierTxnFields } from "../history-values.js";
import type { InitValue, PolledRecord, TxnIntent, TxnSend, TxnValue } from "../history-values.js";
import { partitionKey, type PartitionOffset, type TopicPartition } from "../protocol.js";
import type { ConsumerOptions } from "./consumer-config.js";
import { KafkaConsumer, type ConsumerRecord, type PollResult } from "./consumer.js";
import { CorrelationIds } from "./network-client.js";
import { KafkaProducer, type EndTransactionResult, type SendResult } from "./producer.js";
import type { ProducerOptions } from "./producer-config.js";
import type { TransactionOutcome, TxnCallResult } from "./transaction-manager.js";

/** Application guards of the copier that a scenario can switch off by name (`bugs:` / `--bug`). */
export const COPIER_BUGS = {
  /**
   * KAFKA-17582 ("intentional"): the consumer does not rewind after an abort. Without this guard
   * the copier keeps reading from where the aborted transaction left off, so its input records
   * are skipped and a later commit covers them (eos-copy: input lost).
   */
  noRewindAfterAbort: "no-rewind-after-abort",
} as const;

export interface KafkaCopierOptions {
  readonly bootstrapBrokers: readonly number[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  /** The consumer group (Streams' application.id); its committed offsets are the copier's progress. */
  readonly groupId: string;
  /** transactional.id; default: the node id, so a replacement with the same id fences this instance. */
  readonly transactionalId?: string;
  /** Streams' commit.interval.ms: a transaction commits once this long has passed since it began. Default 100 (Streams under EOS). */
  readonly commitIntervalMs?: number;
  /** Streams' poll.ms: how long one poll waits for records (less when a commit is due sooner). Default 100. */
  readonly pollMs?: number;
  /** max.poll.records. Default 1000 (Streams' override). */
  readonly maxPollRecords?: number;
  /** transaction.timeout.ms. Default 10000 (Streams' override under EOS). */
  readonly transactionTimeoutMs?: number;
  /** Transaction version of the producer. Default 2. */
  readonly transactionVersion?: 1 | 2;
  /** Fraction of transactions aborted on purpose after their offsets were sent (seeded). Default 0. */
  readonly abortRatio?: number;
  /** Producer settings; the options above win. */
  readonly producer?: Omit<ProducerOptions, "bootstrapBrokers" | "transactionalId">;
  /** Consumer settings (auto.offset.reset defaults to earliest, as in Streams); read_committed always. */
  readonly consumer?: Omit<ConsumerOptions, "bootstrapBrokers" | "groupId" | "isolationLevel">;
  /**
   * What a fenced instance does (its producer failed with a fencing error, e.g. PRODUCER_FENCED
   * after the coordinator timed its transaction out): stop (a plain application; the default),
   * or, as a Kafka Streams thread does under exactly-once v2 (TaskMigratedException), close its
   * clients, build a new producer with the same transactional.id (initTransactions fences what
   * is left of the old one) and rejoin the group, resuming from the committed offsets. Other
   * fatal errors (INVALID_TXN_STATE, ...) stop it either way: they kill a Streams thread.
   */
  readonly rebuildOnFenced?: boolean;
  /** Set by the driver: while false, transactions commit as soon as their records are copied and none aborts on purpose. */
  readonly workload: { readonly active: boolean };
}

type CopierTxnValue = TxnValue & CopierTxnFields;

interface OpenCopy {
  readonly intent: TxnIntent;
  readonly beganUs: SimTimeUs;
  readonly inputs: PolledRecord[];
  readonly sends: TxnSend[];
  readonly results: (SendResult | undefined)[];
  /** Per input partition: the offset of its first record in this transaction (where an abort rewinds to). */
  readonly startOffsets: Map<string, PartitionOffset>;
  /** Per input partition: the offset after its last record in this transaction. */
  readonly nextOffsets: Map<string, PartitionOffset>;
  /** What was given to sendOffsetsToTransaction (empty until then). */
  offsets: readonly PartitionOffset[];
  invoked: boolean;
  ending: boolean;
  endRequestedUs: SimTimeUs | null;
  /** A rebalance took the partitions away: the group's committed offsets, not a seek, set the positions. */
  revoked: boolean;
}

/**
 * A consume-transform-produce copier in the style of Kafka Streams under exactly_once_v2
 * (KIP-447): one transactional producer per instance and one read_committed consumer in a group.
 * It copies every record of `inputTopic` to `outputTopic` with the same key, as
 * `copyValueOf(topic, partition, offset, value)`, and commits its input offsets in the same
 * transaction (sendOffsetsToTransaction with the consumer's group metadata, so a member of an
 * older generation cannot commit).
 *
 * The loop: initTransactions, subscribe, then poll; the first record polled begins a transaction,
 * every record is sent at once; once `commitIntervalMs` has passed since the transaction began
 * (or when the workload stops) it sends the offsets after the last record of each input
 * partition and commits. A commit that fails with an abortable error is aborted. Polling pauses
 * while a transaction ends (Streams' commit blocks its thread).
 *
 * After an abort the copier seeks every input partition of the transaction back to its first
 * record, as Streams re-reads from the committed offsets (the consumer alone does not rewind,
 * KAFKA-17582; COPIER_BUGS.noRewindAfterAbort switches this off). A rebalance that revokes or
 * loses the partitions aborts the open transaction; the new assignment resumes from the group's
 * committed offsets (OffsetFetch requireStable waits for the abort). Deliberate deviation from
 * Streams: Streams commits the open transaction on revocation (its listener blocks the rebalance);
 * the model's listener cannot block, so the copier aborts instead.
 *
 * A fatal error (PRODUCER_FENCED, ...) or a failed poll stops the instance: the producer closes
 * and the consumer leaves the group; a replacement is another process.
 *
 * History (src/checks/kafka-txn/eos-copy.ts defines the format): f "init" once, then per
 * transaction one f "txn" op with groupId, inputs, sends and offsets. The invoke is recorded once
 * the transaction's content is final, right before its offsets are sent (or before the abort of a
 * transaction that never got that far); the completion is ok (COMMIT / ABORT) when EndTxn
 * answered, fail when it definitely did not commit, info when an EndTxn(COMMIT) went out unanswered.
 * `endRequestedUs` is the simulated time (History.nowUs) when commitTransaction/abortTransaction was called.
 * The copier records no poll ops: it is not a reader.
 */
/** How long a fenced copier waits before it rebuilds its clients (Streams' retry.backoff.ms is 100; this also lets the old member's LeaveGroup land). */
const REBUILD_BACKOFF_MS = 1000;

export class KafkaCopier implements Actor {
  private producerValue: KafkaProducer;
  private consumerValue: KafkaConsumer;
  private rebuilds = 0;
  readonly transactionalId: string;
  private readonly process: string;
  private readonly rng: Rng;
  private open: OpenCopy | undefined;
  private pollPending = false;
  private stoppedFlag = false;
  /** A poll failed for good: the open transaction aborts, then the instance stops. */
  private shuttingDown = false;
  private committedCount = 0;
  private abortedCount = 0;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: KafkaCopierOptions,
  ) {
    this.transactionalId = options.transactionalId ?? ctx.id;
    this.process = ctx.incarnation === 0 ? ctx.id : `${ctx.id}#${ctx.incarnation}`;
    this.rng = ctx.rng.fork("copier");
    const correlationIds = new CorrelationIds();
    this.correlationIds = correlationIds;
    this.producerValue = this.newProducer("");
    this.consumerValue = this.newConsumer("");
  }

  private readonly correlationIds: CorrelationIds;

  get producer(): KafkaProducer {
    return this.producerValue;
  }

  get consumer(): KafkaConsumer {
    return this.consumerValue;
  }

  /** A producer with this instance's transactional.id; `suffix` tells rebuilt clients apart in traces. */
  private newProducer(suffix: string): KafkaProducer {
    const options = this.options;
    return new KafkaProducer(
      this.ctx,
      {
        transactionTimeoutMs: options.transactionTimeoutMs ?? 10_000,
        ...options.producer,
        clientId: `${options.producer?.clientId ?? `${this.ctx.id}/producer`}${suffix}`,
        ...(options.transactionVersion === undefined ? {} : { transactionVersion: options.transactionVersion }),
        transactionalId: this.transactionalId,
        bootstrapBrokers: options.bootstrapBrokers,
      },
      this.correlationIds,
    );
  }

  private newConsumer(suffix: string): KafkaConsumer {
    const options = this.options;
    return new KafkaConsumer(
      this.ctx,
      {
        autoOffsetReset: "earliest",
        maxPollRecords: options.maxPollRecords ?? 1000,
        ...options.consumer,
        clientId: `${options.consumer?.clientId ?? `${this.ctx.id}/consumer`}${suffix}`,
        groupId: options.groupId,
        isolationLevel: "read_committed",
        bootstrapBrokers: options.bootstrapBrokers,
      },
      this.correlationIds,
    );
  }

  onStart(): void {
    this.initialize();
  }

  private initialize(): void {
    const invoked: InitValue = { transactionalId: this.transactionalId };
    this.ctx.history.invoke(this.process, "init", invoked);
    this.producer.initTransactions((result) => this.onInitialized(result));
  }

  onMessage(from: string, message: Message): void {
    if (!this.producer.handle(from, message)) this.consumer.handle(from, message);
  }

  onDisconnect(peer: string): void {
    this.producer.onDisconnect(peer);
    this.consumer.onDisconnect(peer);
  }

  /** Transactions begun and not yet recorded as complete (0 or 1). */
  get openTransactions(): number {
    return this.open === undefined ? 0 : 1;
  }

  /** True once a fatal error (or a poll that failed for good) stopped the instance. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** Transactions that ended committed / aborted (EndTxn answered). */
  get committedTransactions(): number {
    return this.committedCount;
  }

  get abortedTransactions(): number {
    return this.abortedCount;
  }

  private onInitialized(result: TxnCallResult): void {
    const transactionalId = this.transactionalId;
    if (result.ok) {
      const { producerId, producerEpoch } = this.producer.producerIdAndEpoch;
      const done: InitValue = { transactionalId, producerId, producerEpoch };
      this.ctx.history.ok(this.process, done);
      this.consumer.subscribe([this.options.inputTopic], {
        onPartitionsRevoked: (partitions) => this.onPartitionsTakenAway(partitions),
        onPartitionsLost: (partitions) => this.onPartitionsTakenAway(partitions),
        onPartitionsAssigned: () => undefined,
      });
      this.pollNext();
      return;
    }
    recordInitFailure(this.ctx.history, this.process, transactionalId, result.error, this.producer.initProducerIdAttempted);
    this.stop();
  }

  // ---- the poll loop ----

  private pollNext(): void {
    if (this.stoppedFlag || this.shuttingDown || this.pollPending || this.open?.ending === true) return;
    // The copier is part of the system under test: it keeps copying after the workload stops
    // (the liveness phase checks it drained its input), committing each transaction at once.
    this.pollPending = true;
    const consumer = this.consumerValue;
    consumer.poll(this.pollTimeoutMs(), (result) => {
      // A poll of a consumer closed by a rebuild answers nobody.
      if (consumer === this.consumerValue) this.onPolled(result);
    });
  }

  /** poll.ms, or less when the open transaction is due to commit sooner. */
  private pollTimeoutMs(): number {
    const pollMs = this.options.pollMs ?? 100;
    const open = this.open;
    if (open === undefined) return pollMs;
    const dueUs = open.beganUs + msToUs(this.commitIntervalMs);
    return Math.min(pollMs, Math.max(0, Math.ceil((dueUs - this.ctx.monotonicClockUs()) / 1000)));
  }

  private get commitIntervalMs(): number {
    return this.options.commitIntervalMs ?? 100;
  }

  private onPolled(result: PollResult): void {
    this.pollPending = false;
    if (this.stoppedFlag) return;
    if (!result.ok) {
      this.ctx.trace("copier.poll-failed", { owner: this.process, error: result.error });
      this.shutDown();
      return;
    }
    const records = result.records;
    // While a transaction ends (an abort after a revocation), these are read again later.
    if (this.open?.ending === true) {
      this.unread(records);
      this.pollNext();
      return;
    }
    for (const record of records) this.copy(record);
    if (this.stoppedFlag) return;
    const open = this.open;
    if (open !== undefined && (!this.options.workload.active || this.ctx.monotonicClockUs() >= open.beganUs + msToUs(this.commitIntervalMs))) {
      this.endTransaction(open);
      return;
    }
    this.pollNext();
  }

  /** Seeks each partition back to the first of `records`, so the next polls return them again. */
  private unread(records: readonly ConsumerRecord[]): void {
    const first = new Map<string, PartitionOffset>();
    for (const r of records) if (!first.has(partitionKey(r.topic, r.partition))) first.set(partitionKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: r.offset });
    this.seekIfAssigned([...first.values()]);
  }

  private seekIfAssigned(positions: readonly PartitionOffset[]): void {
    const assigned = new Set(this.consumer.assignment().map((tp) => partitionKey(tp.topic, tp.partition)));
    for (const { topic, partition, offset } of positions) {
      if (!assigned.has(partitionKey(topic, partition))) continue;
      const tp: TopicPartition = { topic, partition };
      this.ctx.trace("copier.seek", { owner: this.process, topic, partition, offset });
      this.consumer.seek(tp, offset);
    }
  }

  // ---- one transaction ----

  private copy(record: ConsumerRecord): void {
    if (this.stoppedFlag) return;
    const open = this.open ?? this.begin();
    if (open === undefined) return;
    const key = partitionKey(record.topic, record.partition);
    open.inputs.push([record.topic, record.partition, record.offset, record.value]);
    if (!open.startOffsets.has(key)) open.startOffsets.set(key, { topic: record.topic, partition: record.partition, offset: record.offset });
    open.nextOffsets.set(key, { topic: record.topic, partition: record.partition, offset: record.offset + 1 });
    const send: TxnSend = { topic: this.options.outputTopic, key: record.key, value: copyValueOf(record.topic, record.partition, record.offset, record.value) };
    const index = open.sends.length;
    open.sends.push(send);
    open.results.push(undefined);
    this.producer.send({ topic: send.topic, key: send.key, value: send.value }, (result) => {
      open.results[index] = result;
    });
  }

  private begin(): OpenCopy | undefined {
    const begun = this.producer.beginTransaction();
    if (!begun.ok) {
      // Only a fatal state refuses a new transaction here (an abortable one is always aborted first).
      this.ctx.trace("copier.begin-failed", { owner: this.process, error: begun.error });
      this.stop();
      return undefined;
    }
    // Deliberate aborts stop with the workload, so the liveness phase can drain the input.
    const ratio = this.options.workload.active ? (this.options.abortRatio ?? 0) : 0;
    const intent: TxnIntent = ratio > 0 && this.rng.next() < ratio ? "ABORT" : "COMMIT";
    const open: OpenCopy = {
      intent,
      beganUs: this.ctx.monotonicClockUs(),
      inputs: [],
      sends: [],
      results: [],
      startOffsets: new Map(),
      nextOffsets: new Map(),
      offsets: [],
      invoked: false,
      ending: false,
      endRequestedUs: null,
      revoked: false,
    };
    this.open = open;
    return open;
  }

  /** The transaction's content is final: record it, send its offsets, then commit (or abort on purpose). */
  private endTransaction(open: OpenCopy): void {
    open.ending = true;
    open.offsets = [...open.nextOffsets.values()];
    this.recordInvoke(open);
    this.producer.sendOffsetsToTransaction(open.offsets, this.consumer.groupMetadata(), (result) => this.onOffsetsSent(open, result));
  }

  private onOffsetsSent(open: OpenCopy, result: TxnCallResult): void {
    if (result.ok && open.intent === "COMMIT" && !open.revoked) {
      open.endRequestedUs = this.ctx.history.nowUs();
      this.producer.commitTransaction((ended) => this.onEnded(open, ended));
    } else if (result.ok || result.errorClass === "abortable") {
      this.abort(open);
    } else {
      this.finish(open, undefined, result.error, this.producer.unresolvedTransactionOutcome(result.error));
    }
  }

  /** A rebalance took the input partitions away: abort the open transaction (unless it is already ending). */
  private onPartitionsTakenAway(partitions: readonly TopicPartition[]): void {
    const open = this.open;
    if (this.stoppedFlag || open === undefined || partitions.length === 0) return;
    open.revoked = true;
    if (open.ending) return;
    open.ending = true;
    this.recordInvoke(open);
    this.abort(open);
  }

  private abort(open: OpenCopy): void {
    open.endRequestedUs = this.ctx.history.nowUs();
    this.producer.abortTransaction((ended) => this.onEnded(open, ended));
  }

  /** commitTransaction or abortTransaction returned: record it, or abort after an abortable error. */
  private onEnded(open: OpenCopy, result: EndTransactionResult): void {
    if (result.ok) this.finish(open, result.outcome, undefined, undefined);
    else if (result.errorClass === "abortable") this.abort(open);
    else this.finish(open, undefined, result.error, result.outcome);
  }

  private recordInvoke(open: OpenCopy): void {
    if (open.invoked) return;
    open.invoked = true;
    const invoked: CopierTxnValue = {
      transactionalId: this.transactionalId,
      intent: open.intent,
      groupId: this.options.groupId,
      inputs: [...open.inputs],
      sends: [...open.sends],
      offsets: offsetTuples(open.offsets),
    };
    this.ctx.history.invoke(this.process, "txn", invoked);
  }

  /** Records the completion: `ended` when EndTxn answered, else the outcome the failure left. */
  private finish(open: OpenCopy, ended: TransactionOutcome | undefined, error: string | undefined, unresolved: TransactionOutcome | undefined): void {
    this.open = undefined;
    this.recordInvoke(open);
    const { producerId, producerEpoch } = ended !== undefined && "producerId" in ended ? ended : this.producer.producerIdAndEpoch;
    const base: CopierTxnValue = {
      transactionalId: this.transactionalId,
      intent: open.intent,
      groupId: this.options.groupId,
      inputs: [...open.inputs],
      sends: open.sends.map((send, i) => placed(send, open.results[i])),
      offsets: offsetTuples(open.offsets),
      producerId,
      producerEpoch,
      endRequestedUs: open.endRequestedUs,
    };
    const committed = ended?.kind === "committed";
    if (ended !== undefined && (ended.kind === "committed" || ended.kind === "aborted")) {
      this.ctx.history.ok(this.process, { ...base, outcome: committed ? "COMMIT" : "ABORT" });
    } else if (unresolved?.kind === "unknown") {
      this.ctx.history.info(this.process, base, error);
    } else {
      this.ctx.history.fail(this.process, base, error);
    }
    if (committed) this.committedCount++;
    else if (ended?.kind === "aborted") this.abortedCount++;
    if (!this.shuttingDown && this.producer.transactionState === "FATAL_ERROR" && this.options.rebuildOnFenced === true && isFencing(this.producer.transactionError)) {
      this.rebuild(error);
      return;
    }
    if (this.shuttingDown || this.producer.transactionState === "FATAL_ERROR" || this.producer.isClosed) {
      this.stop();
      return;
    }
    if (!committed) this.rewind(open);
    this.pollNext();
  }

  /** Back to the first record of each input partition of an aborted transaction (Streams re-reads from the committed offsets). */
  private rewind(open: OpenCopy): void {
    if (open.revoked || this.ctx.bugs.has(COPIER_BUGS.noRewindAfterAbort)) return;
    this.seekIfAssigned([...open.startOffsets.values()]);
  }

  // ---- stopping ----

  /** A poll failed for good: abort what is open (finish then stops), or stop now. */
  private shutDown(): void {
    this.shuttingDown = true;
    const open = this.open;
    if (open === undefined) {
      this.stop();
      return;
    }
    if (open.ending) return;
    open.ending = true;
    this.recordInvoke(open);
    this.abort(open);
  }

  /**
   * Streams' reaction to a fenced producer under exactly-once v2 (TaskMigratedException): close
   * the clients (the consumer leaves the group), then after retry.backoff start again with a new
   * producer of the same transactional.id and a new member, from the committed offsets.
   */
  private rebuild(error: string | undefined): void {
    this.rebuilds++;
    this.ctx.trace("copier.rebuild", { owner: this.process, error: error ?? "fatal", rebuilds: this.rebuilds });
    this.producerValue.close();
    this.consumerValue.close();
    this.pollPending = false;
    this.ctx.after(msToUs(REBUILD_BACKOFF_MS), "copier-rebuild", () => {
      if (this.stoppedFlag) return;
      this.producerValue = this.newProducer(`#${this.rebuilds}`);
      this.consumerValue = this.newConsumer(`#${this.rebuilds}`);
      this.initialize();
    });
  }

  /** Closes the producer and leaves the group (Streams shutting the thread down). */
  private stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    this.ctx.trace("copier.stopped", { owner: this.process, error: this.producer.transactionState === "FATAL_ERROR" ? "fatal" : "closed" });
    this.producer.close();
    this.consumer.close();
  }
}

function offsetTuples(offsets: readonly PartitionOffset[]): CopierTxnFields["offsets"] {
  return offsets.map(({ topic, partition, offset }) => [topic, partition, offset] as const);
}

/** A send with where it landed: partition and offset when acknowledged, offset -1 otherwise. */
function placed(send: TxnSend, result: SendResult | undefined): TxnSend {
  if (result?.ok === true) return { topic: send.topic, key: send.key, value: send.value, partition: result.partition, offset: result.offset };
  if (result?.partition !== undefined) return { topic: send.topic, key: send.key, value: send.value, partition: result.partition, offset: -1 };
  return { topic: send.topic, key: send.key, value: send.value, offset: -1 };
}

/**
 * The errors Streams recovers from by migrating the task (StreamsProducer's fencing check:
 * ProducerFencedException, InvalidProducerEpochException, InvalidPidMappingException,
 * UnknownProducerIdException); any other fatal error kills the thread.
 */
const FENCING_ERRORS: ReadonlySet<string> = new Set(["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING", "UNKNOWN_PRODUCER_ID"]);

function isFencing(error: string | undefined): boolean {
  return error !== undefined && FENCING_ERRORS.has(error);
}
