import type { Message, NodeContext } from "../../../../sim/actor.js";
import type { SimNode } from "../../../../sim/node.js";
import { Simulation } from "../../../../sim/simulation.js";
import { msToUs } from "../../../../sim/time.js";
import type { TraceRecord } from "../../../../sim/trace.js";
import type { BrokerServices, InternalAppend } from "../../../../src/nodes/kafka/coordinator-host.js";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, KafkaResponse, RecordBatch, TopicPartition } from "../../../../src/nodes/kafka/protocol.js";
import { txnCoordinatorConfig, type TxnCoordinatorConfig } from "../../../../src/nodes/kafka/txn/config.js";
import { TransactionCoordinator } from "../../../../src/nodes/kafka/txn/coordinator.js";
import { TRANSACTION_STATE_TOPIC, type TxnMarkerEntry } from "../../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor, type TransactionLogRecord, toKafkaRecord } from "../../../../src/nodes/kafka/txn/transaction-log.js";

/**
 * A transaction coordinator hosted by a fake broker (`b0`) on a real Simulation: appends wait
 * until the test completes them (successful ones enter the partition's log), everything the
 * coordinator sends is captured, partition leaders are a table the test edits, and time moves
 * only through `advance`, which fires the coordinator's timers.
 */

export const COORDINATOR_NODE = "b0";
export const CLIENT = "client";

type WithoutCorrelationId<T> = T extends unknown ? Omit<T, "correlationId"> : never;

type CoordinatorRequestBody =
  | WithoutCorrelationId<Extract<GroupAndTxnRequest, { type: "AddPartitionsToTxn" | "AddOffsetsToTxn" | "EndTxn" }>>
  | { readonly type: "InitProducerId"; readonly transactionalId: string | null; readonly transactionTimeoutMs: number; readonly producerId: number; readonly producerEpoch: number };

export interface SentMessage {
  readonly to: string;
  readonly message: Message;
}

export interface PendingAppend {
  readonly append: InternalAppend;
  readonly done: (error: KafkaError, baseOffset: number) => void;
}

export type WriteTxnMarkersRequest = Extract<GroupAndTxnRequest, { type: "WriteTxnMarkers" }>;

/** The broker side of the seam, in memory. */
export class FakeBrokerServices implements BrokerServices {
  readonly brokerId = 0;
  /** `__transaction_state` partition → its batches. */
  readonly logs = new Map<number, RecordBatch[]>();
  readonly pendingAppends: PendingAppend[] = [];
  /** Every append asked for, in order. */
  readonly appendsAsked: InternalAppend[] = [];
  /** `topic-partition` → leader; anything else is led by `defaultLeader`. */
  readonly leaders = new Map<string, number>();
  defaultLeader = 1;
  nextProducerId = 1000;
  producerIdsAvailable = true;

  constructor(
    readonly ctx: NodeContext,
    private readonly txnTopicPartitions: number,
  ) {}

  appendInternal(append: InternalAppend, done: (error: KafkaError, baseOffset: number) => void): void {
    this.appendsAsked.push(append);
    this.pendingAppends.push({ append, done });
  }

  readLocalLog(topic: string, partition: number): readonly RecordBatch[] {
    return topic === TRANSACTION_STATE_TOPIC ? (this.logs.get(partition) ?? []) : [];
  }

  leaderOf(topic: string, partition: number): number {
    return this.leaders.get(`${topic}-${partition}`) ?? this.defaultLeader;
  }

  partitionCount(topic: string): number {
    return topic === TRANSACTION_STATE_TOPIC ? this.txnTopicPartitions : 0;
  }

  generateProducerId(): number | undefined {
    return this.producerIdsAvailable ? this.nextProducerId++ : undefined;
  }

  /** Writes records into a partition's log as one batch, as a successful append would. */
  writeToLog(partition: number, records: InternalAppend["records"]): void {
    const log = this.logs.get(partition) ?? [];
    const baseOffset = log.reduce((n, b) => n + b.records.length, 0);
    log.push({ baseOffset, partitionLeaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, isControl: false, records });
    this.logs.set(partition, log);
  }
}

export class CoordinatorHarness {
  readonly sim: Simulation;
  readonly node: SimNode;
  readonly config: TxnCoordinatorConfig;
  readonly sent: SentMessage[] = [];
  readonly traces: TraceRecord[] = [];
  private servicesValue: FakeBrokerServices | undefined;
  private coordinatorValue: TransactionCoordinator | undefined;
  private nextCorrelationId = 1;

  constructor(options: { config?: Partial<TxnCoordinatorConfig>; bugs?: readonly string[]; lead?: readonly number[] | "all" } = {}) {
    this.config = txnCoordinatorConfig({ transactionStateTopicPartitions: 4, ...options.config });
    this.sim = new Simulation({ seed: 1, bugs: options.bugs ?? [] });
    this.sim.transport = { send: (_from, to, message) => this.sent.push({ to, message }) };
    this.sim.trace.listen((record) => this.traces.push(record));
    this.node = this.sim.addNode(COORDINATOR_NODE, (ctx) => {
      this.servicesValue = new FakeBrokerServices(ctx, this.config.transactionStateTopicPartitions);
      this.coordinatorValue = new TransactionCoordinator(this.servicesValue, this.config);
      return {};
    });
    this.node.start();
    const lead = options.lead ?? "all";
    const partitions = lead === "all" ? [...Array(this.config.transactionStateTopicPartitions).keys()] : lead;
    for (const p of partitions) this.coordinator.onBecomeLeader(p, 0);
    this.advance(0);
  }

  get coordinator(): TransactionCoordinator {
    if (this.coordinatorValue === undefined) throw new Error("coordinator not started");
    return this.coordinatorValue;
  }

  get services(): FakeBrokerServices {
    if (this.servicesValue === undefined) throw new Error("coordinator not started");
    return this.servicesValue;
  }

  partitionOf(transactionalId: string): number {
    return partitionFor(transactionalId, this.config.transactionStateTopicPartitions);
  }

  /** Moves simulated time on by `ms`, firing every timer due meanwhile. */
  advance(ms: number): void {
    this.sim.runUntil(this.sim.nowUs + msToUs(ms));
  }

  /** Sends a request from the client; returns its correlation id. */
  request(body: CoordinatorRequestBody): number {
    const correlationId = this.nextCorrelationId++;
    this.coordinator.onRequest(CLIENT, { ...body, correlationId } as Parameters<TransactionCoordinator["onRequest"]>[1]);
    return correlationId;
  }

  /** The responses sent to the client with this correlation id. */
  responsesTo(correlationId: number): KafkaResponse[] {
    return this.sent.filter((s) => s.to === CLIENT && (s.message as KafkaResponse).correlationId === correlationId).map((s) => s.message as KafkaResponse);
  }

  /** The one response to a request (fails if there is none or more than one). */
  responseTo(correlationId: number): KafkaResponse {
    const responses = this.responsesTo(correlationId);
    if (responses.length !== 1) throw new Error(`expected one response to ${correlationId}, got ${responses.length}`);
    return responses[0] as KafkaResponse;
  }

  /** Completes every waiting append with `error`; NONE (and AFTER_APPEND) put the records in the log. */
  completeAppends(error: KafkaError = "NONE"): number {
    let completed = 0;
    while (this.services.pendingAppends.length > 0) {
      const { append, done } = this.services.pendingAppends.shift() as PendingAppend;
      if (error === "NONE" || error === "NOT_ENOUGH_REPLICAS_AFTER_APPEND") this.services.writeToLog(append.partition, append.records);
      done(error, 0);
      completed++;
    }
    return completed;
  }

  /** WriteTxnMarkers requests sent so far, with their destination. */
  markerRequests(): { readonly to: string; readonly request: WriteTxnMarkersRequest }[] {
    return this.sent.filter((s) => s.message.type === "WriteTxnMarkers").map((s) => ({ to: s.to, request: s.message as WriteTxnMarkersRequest }));
  }

  /** Answers a WriteTxnMarkers request; `errorFor` picks each partition's error (NONE by default). */
  answerMarkers(sent: { readonly to: string; readonly request: WriteTxnMarkersRequest }, errorFor: (tp: TopicPartition, marker: TxnMarkerEntry) => KafkaError = () => "NONE"): boolean {
    const response: GroupAndTxnResponse = {
      type: "WriteTxnMarkersResponse",
      correlationId: sent.request.correlationId,
      markers: sent.request.markers.map((m) => ({ producerId: m.producerId, partitions: m.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: errorFor(p, m) })) })),
    };
    return this.coordinator.onResponse(sent.to, response);
  }

  /** Answers every WriteTxnMarkers request not answered yet with NONE. */
  answerAllMarkers(): void {
    for (const sent of this.markerRequests().slice(this.markersAnswered)) this.answerMarkers(sent);
    this.markersAnswered = this.markerRequests().length;
  }
  private markersAnswered = 0;

  /** Init → (optional partitions) with every append completing; returns the producer. */
  initProducer(transactionalId: string, transactionTimeoutMs = 60_000): { producerId: number; producerEpoch: number } {
    const id = this.request({ type: "InitProducerId", transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 });
    this.completeAppends();
    const response = this.responseTo(id);
    if (response.type !== "InitProducerIdResponse" || response.error !== "NONE") throw new Error(`InitProducerId failed: ${JSON.stringify(response)}`);
    return { producerId: response.producerId, producerEpoch: response.producerEpoch };
  }

  /** Adds partitions the way a TV1 client does, completing the append. */
  addPartitions(transactionalId: string, producer: { producerId: number; producerEpoch: number }, partitions: readonly TopicPartition[]): KafkaResponse {
    const id = this.request({ type: "AddPartitionsToTxn", transactionalId, ...producer, partitions, verifyOnly: false, transactionVersion: this.config.transactionVersion });
    this.completeAppends();
    return this.responseTo(id);
  }

  /** Trace records of a kind. */
  tracesOf(kind: string): TraceRecord[] {
    return this.traces.filter((r) => r.kind === kind);
  }

  /** Hits of a coverage property. */
  hits(name: string): number {
    return this.sim.assert.snapshot().find((s) => s.name === name)?.hits ?? 0;
  }

  /** Puts records in a partition's log directly (as a previous coordinator would have). */
  seedLog(partition: number, records: readonly TransactionLogRecord[]): void {
    this.services.writeToLog(
      partition,
      records.map((r) => toKafkaRecord(r, 0)),
    );
  }
}

export const TP_A0: TopicPartition = { topic: "a", partition: 0 };
export const TP_A1: TopicPartition = { topic: "a", partition: 1 };
export const TP_B0: TopicPartition = { topic: "b", partition: 0 };
