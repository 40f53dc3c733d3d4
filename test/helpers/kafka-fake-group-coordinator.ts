/**
 * A scripted group coordinator and read_committed reads on top of the fake brokers of
 * kafka-fake-broker.ts (which it uses unchanged): every broker node is a `FakeGroupBroker`
 * that answers FindCoordinator(GROUP), JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit and OffsetFetch itself (the coordinator is one broker, `FakeGroups.coordinator`;
 * the others answer NOT_COORDINATOR), answers read_committed Fetch and ListOffsets with the
 * LSO computed from the log's transactional batches and markers (and the aborted list), and
 * hands everything else to a plain `FakeBroker`.
 *
 * The group follows Kafka's classic GroupCoordinator in outline: an empty member id gets
 * MEMBER_ID_REQUIRED with a new id (KIP-394); a join puts the group in PreparingRebalance,
 * which completes `rebalanceDelayMs` later once every member has rejoined (members that do not
 * rejoin within their rebalance timeout are removed); the leader's SyncGroup assignment
 * completes it. Heartbeats answer REBALANCE_IN_PROGRESS while a rebalance is prepared. No
 * session expiry. Faults: `FakeCluster.inject` works for these requests too (an `error` action
 * answers that error).
 */
import type { Actor, Message, NodeContext, Timer } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import { Network } from "../../src/network/network.js";
import { markerRecord } from "../../src/nodes/kafka/control-records.js";
import { coordinatorErrorResponse } from "../../src/nodes/kafka/coordinator-router.js";
import type { KafkaError } from "../../src/nodes/kafka/errors.js";
import { brokerIdOf, brokerNode } from "../../src/nodes/kafka/names.js";
import {
  EARLIEST_TIMESTAMP,
  lastOffsetOf,
  partitionKey,
  type FetchPartitionResponse,
  type GroupAndTxnRequest,
  type GroupAndTxnResponse,
  type KafkaRequest,
  type KafkaResponse,
  type RecordBatch,
  type TopicPartition,
} from "../../src/nodes/kafka/protocol.js";
import { FakeBroker, FakeCluster, simDriver, type FaultRule, type FakeSystem, type FakeSystemOptions } from "./kafka-fake-broker.js";

type GroupRequest = Exclude<GroupAndTxnRequest, { type: "AddPartitionsToTxn" | "AddOffsetsToTxn" | "EndTxn" | "WriteTxnMarkers" | "TxnOffsetCommit" }>;
type Req<T extends KafkaRequest["type"]> = Extract<KafkaRequest, { type: T }>;

const GROUP_APIS: ReadonlySet<string> = new Set(["FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch"]);

interface Waiting {
  readonly from: string;
  readonly correlationId: number;
}

export interface FakeMember {
  readonly memberId: string;
  protocols: readonly { readonly name: string; readonly topics: readonly string[] }[];
  rebalanceTimeoutMs: number;
  pendingJoin: Waiting | undefined;
  pendingSync: Waiting | undefined;
  assignment: readonly TopicPartition[];
}

export interface FakeGroup {
  readonly groupId: string;
  state: "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable";
  generationId: number;
  protocolName: string | null;
  leader: string | undefined;
  readonly members: Map<string, FakeMember>;
  readonly pendingMemberIds: Set<string>;
  readonly offsets: Map<string, number>;
  delayPassed: boolean;
  timers: Timer[];
}

/** The group coordinator's state, shared by the fake brokers. */
export class FakeGroups {
  /** The broker that coordinates every group; tests move it. */
  coordinator: number;
  readonly groups = new Map<string, FakeGroup>();
  /** `group/topic-partition` → how many more requireStable OffsetFetches answer UNSTABLE_OFFSET_COMMIT. */
  readonly unstable = new Map<string, number>();
  private nextMember = 0;

  constructor(
    coordinator: number,
    /** How long a rebalance waits for members to (re)join before it may complete. */
    readonly rebalanceDelayMs: number,
  ) {
    this.coordinator = coordinator;
  }

  group(groupId: string): FakeGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { groupId, state: "Empty", generationId: 0, protocolName: null, leader: undefined, members: new Map(), pendingMemberIds: new Set(), offsets: new Map(), delayPassed: false, timers: [] };
      this.groups.set(groupId, group);
    }
    return group;
  }

  newMemberId(from: string): string {
    return `${from}-${this.nextMember++}`;
  }

  /** Sets a committed offset directly. */
  commit(groupId: string, tp: string, offset: number): void {
    this.group(groupId).offsets.set(tp, offset);
  }

  committed(groupId: string, tp: string): number | undefined {
    return this.groups.get(groupId)?.offsets.get(tp);
  }

  /** The next `count` requireStable OffsetFetches of `tp` answer UNSTABLE_OFFSET_COMMIT. */
  markUnstable(groupId: string, tp: string, count: number): void {
    this.unstable.set(`${groupId}/${tp}`, count);
  }
}

/** Appends a transaction marker (a control batch with a real marker record). */
export function appendMarker(cluster: FakeCluster, tp: string, producerId: number, result: "COMMIT" | "ABORT"): RecordBatch {
  const batch: RecordBatch = {
    baseOffset: cluster.logEndOffset(tp),
    partitionLeaderEpoch: cluster.leaders.get(tp)?.leaderEpoch ?? 0,
    producerId,
    producerEpoch: 0,
    baseSequence: -1,
    isTransactional: true,
    isControl: true,
    records: [markerRecord(result, 0, 0)],
  };
  cluster.log(tp).batches.push(batch);
  cluster.wakeParked();
  return batch;
}

/** Appends one transactional data batch of `producerId`. */
export function appendTransactional(cluster: FakeCluster, tp: string, producerId: number, values: readonly string[]): RecordBatch {
  return cluster.appendBatch(tp, values, { producerId, producerEpoch: 0, baseSequence: 0, isTransactional: true });
}

interface TxnView {
  readonly lastStableOffset: number;
  readonly aborted: readonly { readonly producerId: number; readonly firstOffset: number; readonly lastOffset: number }[];
}

/** The LSO (first offset of the earliest open transaction, else the HW = LEO) and the aborted transactions. */
export function txnViewOf(cluster: FakeCluster, tp: string): TxnView {
  const open = new Map<number, number>();
  const aborted: { producerId: number; firstOffset: number; lastOffset: number }[] = [];
  for (const batch of cluster.log(tp).batches) {
    if (!batch.isTransactional) continue;
    if (!batch.isControl) {
      if (!open.has(batch.producerId)) open.set(batch.producerId, batch.baseOffset);
      continue;
    }
    const first = open.get(batch.producerId);
    open.delete(batch.producerId);
    if (first !== undefined && batch.records[0]?.key === "ABORT") aborted.push({ producerId: batch.producerId, firstOffset: first, lastOffset: batch.baseOffset });
  }
  const firstOpen = Math.min(...open.values());
  return { lastStableOffset: Number.isFinite(firstOpen) ? firstOpen : cluster.logEndOffset(tp), aborted };
}

/** One fake broker node `b<id>` with the group coordinator and read_committed reads. */
export class FakeGroupBroker implements Actor {
  private readonly inner: FakeBroker;

  constructor(
    private readonly ctx: NodeContext,
    private readonly cluster: FakeCluster,
    private readonly groups: FakeGroups,
    private readonly id: number,
  ) {
    this.inner = new FakeBroker(ctx, cluster, id);
  }

  onMessage(from: string, message: Message): void {
    const request = message as KafkaRequest;
    const committedRead = (request.type === "Fetch" || request.type === "ListOffsets") && request.isolationLevel === "read_committed";
    if (!GROUP_APIS.has(request.type) && !committedRead) {
      this.inner.onMessage(from, message);
      return;
    }
    this.cluster.received.push({ atUs: this.ctx.wallClockUs(), broker: this.id, from, request });
    const fault = this.cluster.takeFault(request.type, this.id, request);
    if (fault?.action.kind === "drop-request") return;
    const response = this.answer(from, request, fault);
    if (response === undefined || fault?.action.kind === "drop-response") return;
    if (fault?.action.kind === "delay-response") {
      this.ctx.after(msToUs(fault.action.ms), "delayed-response", () => this.ctx.send(from, response));
      return;
    }
    this.ctx.send(from, response);
  }

  private answer(from: string, request: KafkaRequest, fault: FaultRule | undefined): KafkaResponse | undefined {
    if (request.type === "Fetch") return this.fetchCommitted(from, request, fault);
    if (request.type === "ListOffsets") return this.listOffsetsCommitted(request, fault);
    const injected = fault?.action.kind === "error" ? fault.action.error : undefined;
    const groupRequest = request as GroupRequest;
    if (injected !== undefined) return errorResponse(groupRequest, injected);
    if (groupRequest.type !== "FindCoordinator" && this.groups.coordinator !== this.id) return errorResponse(groupRequest, "NOT_COORDINATOR");
    return this.answerGroup(from, groupRequest);
  }

  private answerGroup(from: string, request: GroupRequest): GroupAndTxnResponse | undefined {
    switch (request.type) {
      case "FindCoordinator":
        return { type: "FindCoordinatorResponse", correlationId: request.correlationId, error: "NONE", nodeId: this.groups.coordinator };
      case "JoinGroup":
        return this.join(from, request);
      case "SyncGroup":
        return this.sync(from, request);
      case "Heartbeat":
        return { type: "HeartbeatResponse", correlationId: request.correlationId, error: this.heartbeatError(request) };
      case "LeaveGroup":
        return { type: "LeaveGroupResponse", correlationId: request.correlationId, error: this.leave(request) };
      case "OffsetCommit":
        return this.offsetCommit(request);
      case "OffsetFetch":
        return this.offsetFetch(request);
    }
  }

  // ---- membership ----

  private join(from: string, request: Req<"JoinGroup">): GroupAndTxnResponse | undefined {
    const group = this.groups.group(request.groupId);
    const refuse = (error: KafkaError, memberId = request.memberId): GroupAndTxnResponse => ({
      type: "JoinGroupResponse",
      correlationId: request.correlationId,
      error,
      generationId: -1,
      protocolName: null,
      leader: "",
      memberId,
      members: [],
    });
    if (request.memberId === "") {
      const memberId = this.groups.newMemberId(from);
      group.pendingMemberIds.add(memberId);
      return refuse("MEMBER_ID_REQUIRED", memberId);
    }
    if (!group.members.has(request.memberId) && !group.pendingMemberIds.has(request.memberId)) return refuse("UNKNOWN_MEMBER_ID");
    group.pendingMemberIds.delete(request.memberId);
    const member: FakeMember = group.members.get(request.memberId) ?? {
      memberId: request.memberId,
      protocols: [],
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      pendingJoin: undefined,
      pendingSync: undefined,
      assignment: [],
    };
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.pendingJoin = { from, correlationId: request.correlationId };
    group.members.set(member.memberId, member);
    if (group.state !== "PreparingRebalance") this.prepareRebalance(group);
    this.maybeCompleteJoin(group);
    return undefined;
  }

  private prepareRebalance(group: FakeGroup): void {
    for (const timer of group.timers) timer.cancel();
    for (const member of group.members.values()) {
      if (member.pendingSync !== undefined) this.replySync(member.pendingSync, "REBALANCE_IN_PROGRESS", []);
      member.pendingSync = undefined;
    }
    group.state = "PreparingRebalance";
    group.delayPassed = false;
    const rebalanceTimeoutMs = Math.max(...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    group.timers = [
      this.ctx.after(msToUs(this.groups.rebalanceDelayMs), "rebalance-delay", () => {
        group.delayPassed = true;
        this.maybeCompleteJoin(group);
      }),
      this.ctx.after(msToUs(rebalanceTimeoutMs), "rebalance-timeout", () => {
        for (const member of [...group.members.values()]) if (member.pendingJoin === undefined) group.members.delete(member.memberId);
        group.delayPassed = true;
        this.maybeCompleteJoin(group);
      }),
    ];
  }

  private maybeCompleteJoin(group: FakeGroup): void {
    if (group.state !== "PreparingRebalance" || !group.delayPassed) return;
    const members = [...group.members.values()];
    if (members.some((m) => m.pendingJoin === undefined)) return;
    for (const timer of group.timers) timer.cancel();
    group.generationId++;
    if (members.length === 0) {
      group.state = "Empty";
      group.leader = undefined;
      return;
    }
    const first = members[0] as FakeMember;
    group.leader = group.leader !== undefined && group.members.has(group.leader) ? group.leader : first.memberId;
    const leader = group.members.get(group.leader) as FakeMember;
    const protocol = leader.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)));
    group.protocolName = protocol?.name ?? null;
    group.state = "CompletingRebalance";
    const subscriptions = members.map((m) => ({ memberId: m.memberId, topics: m.protocols.find((p) => p.name === group.protocolName)?.topics ?? [] }));
    for (const member of members) {
      const waiting = member.pendingJoin as Waiting;
      member.pendingJoin = undefined;
      member.assignment = [];
      const response: KafkaResponse = {
        type: "JoinGroupResponse",
        correlationId: waiting.correlationId,
        error: "NONE",
        generationId: group.generationId,
        protocolName: group.protocolName,
        leader: group.leader,
        memberId: member.memberId,
        members: member.memberId === group.leader ? subscriptions : [],
      };
      this.ctx.send(waiting.from, response);
    }
  }

  private sync(from: string, request: Req<"SyncGroup">): GroupAndTxnResponse | undefined {
    const group = this.groups.group(request.groupId);
    const member = group.members.get(request.memberId);
    const answer = (error: KafkaError, partitions: readonly TopicPartition[] = []): GroupAndTxnResponse => ({ type: "SyncGroupResponse", correlationId: request.correlationId, error, partitions });
    if (member === undefined) return answer("UNKNOWN_MEMBER_ID");
    if (request.generationId !== group.generationId) return answer("ILLEGAL_GENERATION");
    if (group.state === "PreparingRebalance") return answer("REBALANCE_IN_PROGRESS");
    if (group.state === "Stable") return answer("NONE", member.assignment);
    member.pendingSync = { from, correlationId: request.correlationId };
    if (request.memberId === group.leader) {
      for (const { memberId, partitions } of request.assignments) {
        const assigned = group.members.get(memberId);
        if (assigned !== undefined) assigned.assignment = partitions;
      }
      group.state = "Stable";
      for (const m of group.members.values()) {
        if (m.pendingSync !== undefined) this.replySync(m.pendingSync, "NONE", m.assignment);
        m.pendingSync = undefined;
      }
    }
    return undefined;
  }

  private replySync(waiting: Waiting, error: KafkaError, partitions: readonly TopicPartition[]): void {
    const response: KafkaResponse = { type: "SyncGroupResponse", correlationId: waiting.correlationId, error, partitions };
    this.ctx.send(waiting.from, response);
  }

  private heartbeatError(request: Req<"Heartbeat">): KafkaError {
    const group = this.groups.groups.get(request.groupId);
    if (group === undefined || !group.members.has(request.memberId)) return "UNKNOWN_MEMBER_ID";
    if (request.generationId !== group.generationId) return "ILLEGAL_GENERATION";
    return group.state === "PreparingRebalance" ? "REBALANCE_IN_PROGRESS" : "NONE";
  }

  private leave(request: Req<"LeaveGroup">): KafkaError {
    const group = this.groups.groups.get(request.groupId);
    if (group === undefined || !group.members.has(request.memberId)) return "UNKNOWN_MEMBER_ID";
    group.members.delete(request.memberId);
    if (group.state === "PreparingRebalance") this.maybeCompleteJoin(group);
    else if (group.members.size > 0) this.prepareRebalance(group);
    else {
      group.state = "Empty";
      group.generationId++;
    }
    return "NONE";
  }

  // ---- offsets ----

  private offsetCommit(request: Req<"OffsetCommit">): GroupAndTxnResponse {
    const group = this.groups.group(request.groupId);
    const error = this.commitError(group, request);
    if (error === "NONE") for (const { topic, partition, offset } of request.offsets) group.offsets.set(partitionKey(topic, partition), offset);
    return { type: "OffsetCommitResponse", correlationId: request.correlationId, results: request.offsets.map(({ topic, partition }) => ({ topic, partition, error })) };
  }

  private commitError(group: FakeGroup, request: Req<"OffsetCommit">): KafkaError {
    if (request.generationId < 0 && group.state === "Empty") return "NONE";
    if (!group.members.has(request.memberId)) return "UNKNOWN_MEMBER_ID";
    if (request.generationId !== group.generationId) return "ILLEGAL_GENERATION";
    return group.state === "CompletingRebalance" ? "REBALANCE_IN_PROGRESS" : "NONE";
  }

  private offsetFetch(request: Req<"OffsetFetch">): GroupAndTxnResponse {
    const group = this.groups.group(request.groupId);
    const partitions = request.partitions ?? [...group.offsets.keys()].map((key) => ({ topic: key.slice(0, key.lastIndexOf("-")), partition: Number(key.slice(key.lastIndexOf("-") + 1)) }));
    const offsets = partitions.map(({ topic, partition }) => {
      const tp = partitionKey(topic, partition);
      const unstableKey = `${request.groupId}/${tp}`;
      const unstable = this.groups.unstable.get(unstableKey) ?? 0;
      if (request.requireStable && unstable > 0) {
        this.groups.unstable.set(unstableKey, unstable - 1);
        return { topic, partition, offset: -1, error: "UNSTABLE_OFFSET_COMMIT" as KafkaError };
      }
      return { topic, partition, offset: group.offsets.get(tp) ?? -1, error: "NONE" as KafkaError };
    });
    return { type: "OffsetFetchResponse", correlationId: request.correlationId, error: "NONE", offsets };
  }

  // ---- read_committed ----

  private fetchCommitted(from: string, request: Req<"Fetch">, fault: FaultRule | undefined): KafkaResponse | undefined {
    const partitions = request.partitions.map((p) => this.fetchPartition(request, p, fault));
    const empty = partitions.every((p) => p.error === "NONE" && p.batches.length === 0);
    if (empty && (request.maxWaitMs ?? 0) > 0 && fault === undefined) {
      this.cluster.park(this.ctx, request.maxWaitMs as number, () => {
        const response: KafkaResponse = { type: "FetchResponse", correlationId: request.correlationId, error: "NONE", partitions: request.partitions.map((p) => this.fetchPartition(request, p, undefined)) };
        this.ctx.send(from, response);
      });
      return undefined;
    }
    return { type: "FetchResponse", correlationId: request.correlationId, error: "NONE", partitions };
  }

  private fetchPartition(request: Req<"Fetch">, part: Req<"Fetch">["partitions"][number], fault: FaultRule | undefined): FetchPartitionResponse {
    const tp = partitionKey(part.topic, part.partition);
    const log = this.cluster.logs.get(tp);
    const hw = log === undefined ? -1 : this.cluster.logEndOffset(tp);
    const view = log === undefined ? { lastStableOffset: -1, aborted: [] } : txnViewOf(this.cluster, tp);
    const base = { topic: part.topic, partition: part.partition, divergingEpoch: null, highWatermark: hw, lastStableOffset: view.lastStableOffset, logStartOffset: log?.logStartOffset ?? -1 };
    const error = this.partitionFault(request, tp, fault) ?? this.leaderError(tp, part.currentLeaderEpoch);
    if (error !== "NONE" || log === undefined) return { ...base, error: error === "NONE" ? "UNKNOWN_TOPIC_OR_PARTITION" : error, abortedTransactions: null, batches: [] };
    if (part.fetchOffset < log.logStartOffset || part.fetchOffset > hw) return { ...base, error: "OFFSET_OUT_OF_RANGE", abortedTransactions: null, batches: [] };
    const upper = view.lastStableOffset;
    const batches = log.batches.filter((b) => lastOffsetOf(b) >= part.fetchOffset && b.baseOffset < upper).slice(0, this.cluster.fetchMaxBatches);
    const abortedTransactions = view.aborted.filter((a) => a.lastOffset >= part.fetchOffset && a.firstOffset < upper).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
    return { ...base, error: "NONE", abortedTransactions, batches };
  }

  private listOffsetsCommitted(request: Req<"ListOffsets">, fault: FaultRule | undefined): KafkaResponse {
    return {
      type: "ListOffsetsResponse",
      correlationId: request.correlationId,
      partitions: request.partitions.map(({ topic, partition, timestamp }) => {
        const tp = partitionKey(topic, partition);
        const error = this.partitionFault(request, tp, fault) ?? this.leaderError(tp);
        const leaderEpoch = this.cluster.leaders.get(tp)?.leaderEpoch ?? -1;
        if (error !== "NONE") return { topic, partition, error, offset: -1, leaderEpoch };
        const offset = timestamp === EARLIEST_TIMESTAMP ? this.cluster.log(tp).logStartOffset : txnViewOf(this.cluster, tp).lastStableOffset;
        return { topic, partition, error, offset, leaderEpoch };
      }),
    };
  }

  private partitionFault(request: KafkaRequest, tp: string, fault: FaultRule | undefined): KafkaError | undefined {
    return this.cluster.partitionFault(this.id, request, tp, fault);
  }

  private leaderError(tp: string, currentLeaderEpoch = -1): KafkaError {
    return this.cluster.leaderError(this.id, tp, currentLeaderEpoch);
  }
}

/** The answer a broker gives a group request it cannot serve: the router's, plus FindCoordinator's. */
function errorResponse(request: GroupRequest, error: KafkaError): GroupAndTxnResponse {
  if (request.type === "FindCoordinator") return { type: "FindCoordinatorResponse", correlationId: request.correlationId, error, nodeId: -1 };
  return coordinatorErrorResponse(request, error) as GroupAndTxnResponse;
}

export interface FakeGroupSystem extends FakeSystem {
  readonly groups: FakeGroups;
}

/** buildFakeSystem with `FakeGroupBroker`s; the group coordinator is the first broker unless told otherwise. */
export function buildFakeGroupSystem(options: FakeSystemOptions & { readonly coordinator?: number; readonly rebalanceDelayMs?: number } = {}): FakeGroupSystem {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const net = new Network(sim, options.network ?? { latency: { model: "constant", ms: 1 } });
  const brokers = options.brokers ?? [1];
  const cluster = new FakeCluster(brokers, options.topics ?? [{ name: "t", partitions: 1 }]);
  const groups = new FakeGroups(options.coordinator ?? (brokers[0] as number), options.rebalanceDelayMs ?? 100);
  for (const id of brokers) {
    sim.addNode(brokerNode(id), (ctx) => new FakeGroupBroker(ctx, cluster, groups, brokerIdOf(ctx.id) as number));
    sim.node(brokerNode(id)).start();
  }
  return {
    sim,
    net,
    cluster,
    groups,
    ...simDriver(sim),
  };
}
