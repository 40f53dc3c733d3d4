import type { Message, NodeContext } from "../../../../sim/actor.js";
import { Simulation } from "../../../../sim/simulation.js";
import { msToUs } from "../../../../sim/time.js";
import type { TraceRecord } from "../../../../sim/trace.js";
import { markerRecord } from "../../../../src/nodes/kafka/control-records.js";
import type { BrokerServices, InternalAppend } from "../../../../src/nodes/kafka/coordinator-host.js";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import { groupCoordinatorConfig, type GroupCoordinatorConfig } from "../../../../src/nodes/kafka/group/config.js";
import { GroupCoordinator } from "../../../../src/nodes/kafka/group/coordinator.js";
import { fromKafkaRecord, type GroupLogRecord } from "../../../../src/nodes/kafka/group/group-log.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, PartitionOffset, RecordBatch, TopicPartition } from "../../../../src/nodes/kafka/protocol.js";
import { GROUP_METADATA_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../../../src/nodes/kafka/txn/transaction-log.js";

/**
 * A group coordinator on a fake broker: one simulated node whose BrokerServices keep a tiny
 * in-memory `__consumer_offsets` log per partition. An append lands in the log at once and is
 * acknowledged `appendDelayMs` later (the time acks=all takes), unless a test makes the next
 * append fail. Requests go straight to the coordinator; its responses are collected by
 * correlation id.
 */

type AnyResponse = GroupAndTxnResponse;
export type ResponseOf<T extends AnyResponse["type"]> = Extract<AnyResponse, { type: T }>;

/** A request without its correlation id (the bed assigns one). */
export type RequestBody<T extends GroupAndTxnRequest["type"]> = Omit<Extract<GroupAndTxnRequest, { type: T }>, "correlationId">;
type AnyRequestBody = GroupAndTxnRequest extends infer R ? (R extends GroupAndTxnRequest ? Omit<R, "correlationId"> : never) : never;

export interface FailNextAppend {
  readonly error: KafkaError;
  /** The record reaches the log although the append fails (NOT_ENOUGH_REPLICAS_AFTER_APPEND). */
  readonly appended: boolean;
}

export const PARTITIONS = 4;
export const GROUP = "g1";
export const GROUP_PARTITION = partitionFor(GROUP, PARTITIONS);
export const T0P0: TopicPartition = { topic: "in", partition: 0 };
export const T0P1: TopicPartition = { topic: "in", partition: 1 };

export class GroupBed {
  readonly sim: Simulation;
  readonly config: GroupCoordinatorConfig;
  readonly logs = new Map<number, RecordBatch[]>();
  readonly appends: InternalAppend[] = [];
  readonly responses = new Map<number, { to: string; response: AnyResponse }>();
  readonly traces: TraceRecord[] = [];
  appendDelayMs = 5;
  failNextAppend: FailNextAppend | undefined;
  private nextCorrelationId = 1;
  private coordinatorInstance: GroupCoordinator | undefined;
  private context: NodeContext | undefined;

  constructor(options: { config?: Partial<GroupCoordinatorConfig>; bugs?: readonly string[]; lead?: boolean } = {}) {
    this.config = groupCoordinatorConfig({ offsetsTopicNumPartitions: PARTITIONS, ...options.config });
    this.sim = new Simulation({ seed: 7, bugs: options.bugs ?? [] });
    this.sim.transport = { send: (_from, to, message) => this.collect(to, message) };
    this.sim.trace.listen((record) => this.traces.push(record));
    this.sim
      .addNode("b1", (ctx) => {
        this.context = ctx;
        this.coordinatorInstance = new GroupCoordinator(this.services(ctx), this.config);
        return {};
      })
      .start();
    if (options.lead ?? true) this.leadAll();
  }

  get coordinator(): GroupCoordinator {
    if (this.coordinatorInstance === undefined) throw new Error("coordinator not started");
    return this.coordinatorInstance;
  }

  get ctx(): NodeContext {
    if (this.context === undefined) throw new Error("node not started");
    return this.context;
  }

  /** Leads every `__consumer_offsets` partition at `epoch` and waits for the loads. */
  leadAll(epoch = 1): void {
    for (let p = 0; p < PARTITIONS; p++) this.coordinator.onBecomeLeader(p, epoch);
    this.runMs(this.config.offsetsLoadDelayMs);
  }

  runMs(ms: number): void {
    this.sim.runUntil(this.sim.nowUs + msToUs(ms));
  }

  /** Sends a request from `from`; returns its correlation id. */
  send(from: string, request: AnyRequestBody): number {
    const correlationId = this.nextCorrelationId++;
    this.coordinator.onRequest(from, { ...request, correlationId } as GroupAndTxnRequest);
    return correlationId;
  }

  response<T extends AnyResponse["type"]>(correlationId: number, type: T): ResponseOf<T> | undefined {
    const got = this.responses.get(correlationId)?.response;
    if (got === undefined) return undefined;
    if (got.type !== type) throw new Error(`expected ${type}, got ${got.type}`);
    return got as ResponseOf<T>;
  }

  /** The response, which must have arrived. */
  answer<T extends AnyResponse["type"]>(correlationId: number, type: T): ResponseOf<T> {
    const got = this.response(correlationId, type);
    if (got === undefined) throw new Error(`no ${type} for correlation id ${correlationId}`);
    return got;
  }

  /** Sends and lets appends complete; returns the answer. */
  call<R extends AnyResponse["type"]>(from: string, request: AnyRequestBody, responseType: R): ResponseOf<R> {
    const id = this.send(from, request);
    this.runMs(this.appendDelayMs);
    return this.answer(id, responseType);
  }

  // ── Client steps ──

  joinRequest(memberId: string, topics: readonly string[] = ["in"], options: { sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; protocols?: readonly string[] } = {}): RequestBody<"JoinGroup"> & { type: "JoinGroup" } {
    return {
      type: "JoinGroup",
      groupId: GROUP,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: (options.protocols ?? ["range"]).map((name) => ({ name, topics })),
    };
  }

  /** The KIP-394 round trip: the first JoinGroup returns the member id; the second is sent and left waiting. */
  startJoin(client: string, options: { topics?: readonly string[]; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number } = {}): { memberId: string; joinId: number } {
    const first = this.answer(this.send(client, this.joinRequest("", options.topics, options)), "JoinGroupResponse");
    if (first.error !== "MEMBER_ID_REQUIRED") throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.error}`);
    return { memberId: first.memberId, joinId: this.send(client, this.joinRequest(first.memberId, options.topics, options)) };
  }

  rejoin(client: string, memberId: string, options: { topics?: readonly string[] } = {}): number {
    return this.send(client, this.joinRequest(memberId, options.topics));
  }

  sync(client: string, memberId: string, generationId: number, assignments: readonly { memberId: string; partitions: readonly TopicPartition[] }[] = []): number {
    return this.send(client, { type: "SyncGroup", groupId: GROUP, generationId, memberId, groupInstanceId: null, assignments });
  }

  heartbeat(client: string, memberId: string, generationId: number): KafkaError {
    return this.answer(this.send(client, { type: "Heartbeat", groupId: GROUP, generationId, memberId, groupInstanceId: null }), "HeartbeatResponse").error;
  }

  /** Two members c1 (leader) and c2 in a Stable group, generation 1, c1 owning T0P0 and c2 T0P1. */
  stableGroupOfTwo(): { leader: string; follower: string; generationId: number } {
    const a = this.startJoin("c1");
    const b = this.startJoin("c2");
    // The second arrival extends the initial delay once (InitialDelayedJoin).
    this.runMs(2 * this.config.groupInitialRebalanceDelayMs);
    const generationId = this.answer(a.joinId, "JoinGroupResponse").generationId;
    const syncs = [
      this.sync("c1", a.memberId, generationId, [
        { memberId: a.memberId, partitions: [T0P0] },
        { memberId: b.memberId, partitions: [T0P1] },
      ]),
      this.sync("c2", b.memberId, generationId),
    ];
    this.runMs(this.appendDelayMs);
    for (const id of syncs) if (this.answer(id, "SyncGroupResponse").error !== "NONE") throw new Error("sync failed");
    return { leader: a.memberId, follower: b.memberId, generationId };
  }

  offsetCommit(client: string, offsets: readonly PartitionOffset[], member: { memberId?: string; generationId?: number } = {}): KafkaError[] {
    const res = this.call(client, { type: "OffsetCommit", groupId: GROUP, generationId: member.generationId ?? -1, memberId: member.memberId ?? "", groupInstanceId: null, offsets }, "OffsetCommitResponse");
    return res.results.map((r) => r.error);
  }

  txnOffsetCommitRequest(producerId: number, offsets: readonly PartitionOffset[], member: { memberId?: string; generationId?: number; producerEpoch?: number } = {}): RequestBody<"TxnOffsetCommit"> & { type: "TxnOffsetCommit" } {
    return {
      type: "TxnOffsetCommit",
      transactionalId: `tx-${producerId}`,
      groupId: GROUP,
      producerId,
      producerEpoch: member.producerEpoch ?? 0,
      generationId: member.generationId ?? -1,
      memberId: member.memberId ?? "",
      groupInstanceId: null,
      offsets,
    };
  }

  txnOffsetCommit(producerId: number, offsets: readonly PartitionOffset[], member: { memberId?: string; generationId?: number; producerEpoch?: number } = {}): KafkaError[] {
    return this.call("p1", this.txnOffsetCommitRequest(producerId, offsets, member), "TxnOffsetCommitResponse").results.map((r) => r.error);
  }

  offsetFetch(partitions: readonly TopicPartition[] | null, requireStable: boolean): ResponseOf<"OffsetFetchResponse"> {
    return this.call("c9", { type: "OffsetFetch", groupId: GROUP, partitions, requireStable }, "OffsetFetchResponse");
  }

  /** A transaction marker is appended to a partition of `__consumer_offsets` and reported to the coordinator. */
  marker(partition: number, producerId: number, result: "COMMIT" | "ABORT", producerEpoch = 0, transactionVersion = 1): void {
    this.appendBatch(partition, { producerId, producerEpoch, isTransactional: true, isControl: true, records: [markerRecord(result, 1, 0)] });
    this.coordinator.onMarkerAppended(partition, producerId, producerEpoch, result, transactionVersion);
  }

  /** The group-log records of a partition, in log order (markers skipped). */
  records(partition: number): GroupLogRecord[] {
    return (this.logs.get(partition) ?? []).filter((b) => !b.isControl).flatMap((b) => b.records.map(fromKafkaRecord));
  }

  tracesOf(kind: string): TraceRecord[] {
    return this.traces.filter((t) => t.kind === kind);
  }

  reachedCount(name: string): number {
    return this.sim.assert.snapshot().find((s) => s.name === name)?.hits ?? 0;
  }

  appendBatch(partition: number, batch: Omit<RecordBatch, "baseOffset" | "partitionLeaderEpoch" | "baseSequence">): number {
    const log = this.logs.get(partition) ?? [];
    this.logs.set(partition, log);
    const last = log[log.length - 1];
    const baseOffset = last === undefined ? 0 : last.baseOffset + last.records.length;
    log.push({ ...batch, baseOffset, partitionLeaderEpoch: 1, baseSequence: -1 });
    return baseOffset;
  }

  private services(ctx: NodeContext): BrokerServices {
    return {
      brokerId: 1,
      ctx,
      appendInternal: (append, done) => this.appendInternal(ctx, append, done),
      readLocalLog: (topic, partition) => (topic === GROUP_METADATA_TOPIC ? [...(this.logs.get(partition) ?? [])] : []),
      leaderOf: () => 1,
      partitionCount: (topic) => (topic === GROUP_METADATA_TOPIC ? PARTITIONS : 0),
      generateProducerId: () => undefined,
    };
  }

  private appendInternal(ctx: NodeContext, append: InternalAppend, done: (error: KafkaError, baseOffset: number) => void): void {
    this.appends.push(append);
    const failure = this.failNextAppend;
    this.failNextAppend = undefined;
    let baseOffset = -1;
    if (failure === undefined || failure.appended) {
      baseOffset = this.appendBatch(append.partition, {
        producerId: append.producerId ?? -1,
        producerEpoch: append.producerEpoch ?? -1,
        isTransactional: append.isTransactional ?? false,
        isControl: false,
        records: append.records,
      });
    }
    ctx.after(msToUs(this.appendDelayMs), "append-done", () => done(failure?.error ?? "NONE", failure === undefined ? baseOffset : -1));
  }

  private collect(to: string, message: Message): void {
    const response = message as AnyResponse;
    this.responses.set(response.correlationId, { to, response });
  }
}
