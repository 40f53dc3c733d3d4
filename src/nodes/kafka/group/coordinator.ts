import type { Timer } from "../../../../sim/actor.js";
import { msToUs } from "../../../../sim/time.js";
import type { BrokerServices, CoordinatorFactory, HostedCoordinator } from "../coordinator-host.js";
import type { KafkaError } from "../errors.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, PartitionOffset, TopicPartition } from "../protocol.js";
import { coordinatorErrorForAppend } from "../txn/errors.js";
import { GROUP_METADATA_TOPIC } from "../txn/protocol.js";
import { partitionFor } from "../txn/transaction-log.js";
import { GROUP_BUGS } from "./bugs.js";
import { groupCoordinatorConfig, type GroupCoordinatorConfig } from "./config.js";
import { groupMetadataRecord, loadedGroupState, loadGroupPartition, offsetCommitRecord, toKafkaRecord, type GroupLogRecord, type GroupMetadataValue, type LoadedGroupPartition } from "./group-log.js";
import { GroupMetadata, IllegalGroupStateError, newMember, type GroupSummary, type PendingReply } from "./group-metadata.js";
import { GroupMembership, validateCurrentMember, type GroupHost } from "./membership.js";
import { keyOf, type CommitRecord, type OffsetAndMetadata } from "./offsets.js";

/**
 * The group coordinator a broker hosts (Kafka's classic GroupCoordinator and
 * GroupMetadataManager, 3.x, without static membership): it owns the groups whose
 * `__consumer_offsets` partition (partitionFor(groupId)) the broker leads, answers the group and
 * offset APIs, keeps transactional offsets pending per producer until that producer's marker
 * lands on the partition (facts §1.5, §1.6), and writes every change through the broker's append
 * path before it counts. On leading a partition it replays the partition's log.
 *
 * Wiring: `BrokerOptions.coordinators` gets `groupCoordinatorFactory(config)`; the broker routes
 * the APIs `handles` names, calls onBecomeLeader / onResign for `__consumer_offsets` partitions,
 * and onMarkerAppended when a marker is appended to one of them.
 *
 * Trace kinds: `group.state` (group, state, generation, reason), `group.join` (group, memberId,
 * phase: member-id-required | new-member | rejoin), `group.generation` (group, generation,
 * leader, members, protocol), `group.member.removed` (group, memberId, reason), `group.load`
 * (partition, epoch, groups, offsets, pendingTxnOffsets), `group.unload` (partition, epoch, groups),
 * `group.txn-offsets` (group, producerId, result, resolved, applied), and the report's
 * `offset.commit` (group, latencyUs, transactional).
 */

export const GROUP_REQUEST_TYPES = ["JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "TxnOffsetCommit", "OffsetFetch"] as const;
type GroupRequestType = (typeof GROUP_REQUEST_TYPES)[number];
type Request<T extends GroupRequestType> = Extract<GroupAndTxnRequest, { type: T }>;

/** Coverage points (Assertions.reachable), declared when a coordinator starts. */
export const GROUP_REACHABLE = {
  txnOffsetsCommitted: "a pending transactional offset committed by its marker",
  txnOffsetsAborted: "a pending transactional offset aborted by its marker",
  unstableOffsetFetch: "OffsetFetch answered UNSTABLE_OFFSET_COMMIT",
} as const;

interface OwnedPartition {
  readonly epoch: number;
  status: "loading" | "active";
  loadTimer: Timer | undefined;
  /** Member ids handed out under this leadership: `${clientId}-${epoch}-${n}` is unique across coordinators. */
  nextMemberSeq: number;
}

export function groupCoordinatorFactory(config: Partial<GroupCoordinatorConfig> = {}): CoordinatorFactory {
  const resolved = groupCoordinatorConfig(config);
  return (services) => new GroupCoordinator(services, resolved);
}

/** The transaction a TxnOffsetCommit belongs to. */
interface TxnOfCommit {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export class GroupCoordinator implements HostedCoordinator {
  readonly topic = GROUP_METADATA_TOPIC;
  private readonly partitions = new Map<number, OwnedPartition>();
  private readonly groups = new Map<string, GroupMetadata>();
  private readonly membership: GroupMembership;

  constructor(
    private readonly services: BrokerServices,
    readonly config: GroupCoordinatorConfig,
  ) {
    this.membership = new GroupMembership(this.groupHost());
    for (const name of Object.values(GROUP_REACHABLE)) services.ctx.assert.declare(name, "reachable");
  }

  handles(type: GroupAndTxnRequest["type"] | "InitProducerId"): boolean {
    return (GROUP_REQUEST_TYPES as readonly string[]).includes(type);
  }

  onRequest(from: string, request: GroupAndTxnRequest | { readonly type: "InitProducerId"; readonly correlationId: number }): void {
    const reply: PendingReply = { to: from, correlationId: request.correlationId, receivedUs: this.services.ctx.monotonicClockUs() };
    switch (request.type) {
      case "JoinGroup":
        return this.handleJoinGroup(request, reply);
      case "SyncGroup":
        return this.handleSyncGroup(request, reply);
      case "Heartbeat":
        return this.handleHeartbeat(request, reply);
      case "LeaveGroup":
        return this.handleLeaveGroup(request, reply);
      case "OffsetCommit":
        return this.handleOffsetCommit(request, reply);
      case "TxnOffsetCommit":
        return this.handleTxnOffsetCommit(request, reply);
      case "OffsetFetch":
        return this.handleOffsetFetch(request, reply);
      case "InitProducerId":
      case "FindCoordinator":
      case "AddPartitionsToTxn":
      case "AddOffsetsToTxn":
      case "EndTxn":
      case "WriteTxnMarkers":
        return; // not this coordinator's (handles() says so)
      default:
        return assertNever(request);
    }
  }

  onResponse(_from: string, _response: GroupAndTxnResponse): boolean {
    return false;
  }

  // ── Partition leadership ──

  onBecomeLeader(partition: number, leaderEpoch: number): void {
    const current = this.partitions.get(partition);
    if (current !== undefined && current.epoch >= leaderEpoch) return;
    if (current !== undefined) this.unloadPartition(partition, current);
    const owned: OwnedPartition = { epoch: leaderEpoch, status: "loading", loadTimer: undefined, nextMemberSeq: 0 };
    this.partitions.set(partition, owned);
    // The log is read when the load finishes, so markers appended while loading are replayed.
    owned.loadTimer = this.services.ctx.after(msToUs(this.config.offsetsLoadDelayMs), "group-load", () => this.finishLoading(partition, owned));
  }

  onResign(partition: number, leaderEpoch: number): void {
    const owned = this.partitions.get(partition);
    if (owned === undefined || owned.epoch > leaderEpoch) return;
    this.unloadPartition(partition, owned);
  }

  /** A marker landed on one of the partitions: the producer's pending offsets of its groups are resolved. */
  onMarkerAppended(partition: number, producerId: number, producerEpoch: number, result: "COMMIT" | "ABORT", transactionVersion: number): void {
    if (this.partitions.get(partition)?.status !== "active") return;
    for (const group of this.groupsOf(partition)) {
      if (!group.offsets.hasPendingTxnOffsets(producerId)) continue;
      const completion = group.offsets.completePendingTxnOffsetCommit(producerId, producerEpoch, transactionVersion, result === "COMMIT");
      this.services.ctx.assert.reachable(result === "COMMIT" ? GROUP_REACHABLE.txnOffsetsCommitted : GROUP_REACHABLE.txnOffsetsAborted);
      this.services.ctx.trace("group.txn-offsets", { group: group.groupId, producerId, result, resolved: completion.resolved.length, applied: completion.applied.length });
    }
  }

  private finishLoading(partition: number, owned: OwnedPartition): void {
    if (this.partitions.get(partition) !== owned) return;
    const loaded = loadGroupPartition(this.services.readLocalLog(this.topic, partition));
    const groups = this.installLoadedGroups(loaded);
    owned.status = "active";
    owned.loadTimer = undefined;
    let pending = 0;
    for (const byProducer of loaded.pendingTxnOffsets.values()) for (const records of byProducer.values()) pending += records.length;
    let offsets = 0;
    for (const records of loaded.offsets.values()) offsets += records.length;
    this.services.ctx.trace("group.load", { partition, epoch: owned.epoch, groups: groups.length, offsets, pendingTxnOffsets: pending });
    for (const group of groups) {
      this.services.ctx.trace("group.state", { group: group.groupId, state: group.state, generation: group.generationId, reason: "loaded" });
      this.membership.onGroupLoaded(group);
    }
  }

  private installLoadedGroups(loaded: LoadedGroupPartition): GroupMetadata[] {
    const ids = [...new Set([...loaded.groups.keys(), ...loaded.offsets.keys(), ...loaded.pendingTxnOffsets.keys()])];
    return ids.map((groupId) => {
      const value = loaded.groups.get(groupId);
      const group = value === undefined ? new GroupMetadata(groupId, { state: "Empty", nowMs: this.nowMs() }) : groupFromValue(groupId, value, this.nowMs());
      group.offsets.initialize(loaded.offsets.get(groupId) ?? [], loaded.pendingTxnOffsets.get(groupId) ?? new Map());
      this.groups.set(groupId, group);
      return group;
    });
  }

  private unloadPartition(partition: number, owned: OwnedPartition): void {
    owned.loadTimer?.cancel();
    const groups = this.groupsOf(partition);
    for (const group of groups) {
      this.membership.onGroupUnloaded(group);
      this.groups.delete(group.groupId);
    }
    this.partitions.delete(partition);
    this.services.ctx.trace("group.unload", { partition, epoch: owned.epoch, groups: groups.length });
  }

  private groupsOf(partition: number): GroupMetadata[] {
    return [...this.groups.values()].filter((g) => this.partitionOf(g.groupId) === partition);
  }

  private partitionOf(groupId: string): number {
    return partitionFor(groupId, this.config.offsetsTopicNumPartitions);
  }

  /** Kafka's validateGroupStatus: the group id, then ownership, then loading. */
  private validateGroupStatus(groupId: string, api: GroupRequestType): KafkaError | undefined {
    const allowsEmptyId = api === "OffsetCommit" || api === "OffsetFetch";
    if (groupId === "" && !allowsEmptyId) return "INVALID_GROUP_ID";
    const owned = this.partitions.get(this.partitionOf(groupId));
    if (owned === undefined) return "NOT_COORDINATOR";
    if (owned.status === "loading") return "COORDINATOR_LOAD_IN_PROGRESS";
    return undefined;
  }

  // ── Group membership APIs ──

  private handleJoinGroup(request: Request<"JoinGroup">, reply: PendingReply): void {
    const error = this.validateGroupStatus(request.groupId, "JoinGroup");
    if (error !== undefined) {
      return this.send(reply, { type: "JoinGroupResponse", correlationId: reply.correlationId, error, generationId: -1, protocolName: null, leader: "", memberId: request.memberId, members: [] });
    }
    this.membership.handleJoinGroup(this.groups.get(request.groupId), () => this.createGroup(request.groupId), request, reply);
  }

  private handleSyncGroup(request: Request<"SyncGroup">, reply: PendingReply): void {
    const error = this.validateGroupStatus(request.groupId, "SyncGroup");
    // A loading coordinator has lost the rebalance in progress: the member must rejoin.
    if (error !== undefined) return this.send(reply, { type: "SyncGroupResponse", correlationId: reply.correlationId, error: error === "COORDINATOR_LOAD_IN_PROGRESS" ? "REBALANCE_IN_PROGRESS" : error, partitions: [] });
    this.membership.handleSyncGroup(this.groups.get(request.groupId), request, reply);
  }

  private handleHeartbeat(request: Request<"Heartbeat">, reply: PendingReply): void {
    const status = this.validateGroupStatus(request.groupId, "Heartbeat");
    // Kafka answers a loading coordinator's heartbeats blindly with NONE.
    const error = status === undefined ? this.membership.handleHeartbeat(this.groups.get(request.groupId), request) : status === "COORDINATOR_LOAD_IN_PROGRESS" ? "NONE" : status;
    this.send(reply, { type: "HeartbeatResponse", correlationId: reply.correlationId, error });
  }

  private handleLeaveGroup(request: Request<"LeaveGroup">, reply: PendingReply): void {
    const error = this.validateGroupStatus(request.groupId, "LeaveGroup") ?? this.membership.handleLeaveGroup(this.groups.get(request.groupId), request);
    this.send(reply, { type: "LeaveGroupResponse", correlationId: reply.correlationId, error });
  }

  private createGroup(groupId: string): GroupMetadata {
    const group = new GroupMetadata(groupId, { state: "Empty", nowMs: this.nowMs() });
    this.groups.set(groupId, group);
    return group;
  }

  // ── Offsets ──

  private handleOffsetCommit(request: Request<"OffsetCommit">, reply: PendingReply): void {
    const status = this.validateGroupStatus(request.groupId, "OffsetCommit");
    if (status !== undefined) return this.answerCommit(reply, "OffsetCommitResponse", request.offsets, status);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      // No group: a commit without group management (generation -1) creates an Empty one; anything else is from an old generation.
      if (request.generationId >= 0 && !this.bugs(GROUP_BUGS.noGenerationCheck)) return this.answerCommit(reply, "OffsetCommitResponse", request.offsets, "ILLEGAL_GENERATION");
      group = this.createGroup(request.groupId);
    }
    const error = this.validateOffsetCommit(group, request, false);
    if (error !== undefined) return this.answerCommit(reply, "OffsetCommitResponse", request.offsets, error);
    switch (group.state) {
      case "Empty":
        return this.storeOffsets(group, request.offsets, undefined, reply);
      case "Stable":
      case "PreparingRebalance": {
        // Still allowed while preparing: the member learns of the rebalance from its next heartbeat.
        const member = group.members.get(request.memberId);
        if (member !== undefined) this.membership.completeAndScheduleNextHeartbeatExpiration(group, member);
        return this.storeOffsets(group, request.offsets, undefined, reply);
      }
      case "CompletingRebalance":
        return this.answerCommit(reply, "OffsetCommitResponse", request.offsets, "REBALANCE_IN_PROGRESS");
      case "Dead":
        return this.answerCommit(reply, "OffsetCommitResponse", request.offsets, "COORDINATOR_NOT_AVAILABLE");
    }
  }

  private handleTxnOffsetCommit(request: Request<"TxnOffsetCommit">, reply: PendingReply): void {
    const status = this.validateGroupStatus(request.groupId, "TxnOffsetCommit");
    if (status !== undefined) return this.answerCommit(reply, "TxnOffsetCommitResponse", request.offsets, status);
    const group = this.groups.get(request.groupId) ?? this.createGroup(request.groupId);
    const error = this.validateOffsetCommit(group, request, true);
    if (error !== undefined) return this.answerCommit(reply, "TxnOffsetCommitResponse", request.offsets, error);
    this.storeOffsets(group, request.offsets, { transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch }, reply);
  }

  /**
   * Kafka's validateOffsetCommit (facts §1.5): a Dead group is unavailable; a request naming a
   * member or a generation must come from a current member of the current generation; otherwise
   * only a transactional commit or a commit to an Empty group is accepted.
   */
  private validateOffsetCommit(group: GroupMetadata, request: { generationId: number; memberId: string; groupInstanceId: string | null }, isTransactional: boolean): KafkaError | undefined {
    if (group.is("Dead")) return "COORDINATOR_NOT_AVAILABLE";
    if (this.bugs(GROUP_BUGS.noGenerationCheck)) return undefined;
    if (request.generationId >= 0 || request.memberId !== "" || request.groupInstanceId !== null) {
      const memberError = validateCurrentMember(group, request.memberId, request.groupInstanceId);
      if (memberError !== undefined) return memberError;
      return request.generationId === group.generationId ? undefined : "ILLEGAL_GENERATION";
    }
    if (!isTransactional && !group.is("Empty")) return "UNKNOWN_MEMBER_ID";
    return undefined;
  }

  /**
   * GroupMetadataManager.storeOffsets: stage the offsets (plain: pending the append;
   * transactional: pending per producer until its marker), append them (a transactional batch
   * with the producer's id and epoch), then install or drop what was staged and answer.
   */
  private storeOffsets(group: GroupMetadata, offsets: readonly PartitionOffset[], txn: TxnOfCommit | undefined, reply: PendingReply): void {
    const api = txn === undefined ? "OffsetCommitResponse" : "TxnOffsetCommitResponse";
    if (offsets.length === 0) return this.answerCommit(reply, api, offsets, "NONE");
    const commitTimestampMs = this.nowMs();
    const staged = offsets.map((o) => ({ topicPartition: { topic: o.topic, partition: o.partition }, offsetAndMetadata: { offset: o.offset, commitTimestampMs } }));
    const pendingUntilMarker = txn !== undefined && !this.bugs(GROUP_BUGS.offsetsOutsideTxn);
    const replaced = pendingUntilMarker ? group.offsets.prepareTxnOffsetCommit(txn.producerId, txn.producerEpoch, staged) : new Map<string, CommitRecord>();
    if (!pendingUntilMarker) group.offsets.prepareOffsetCommit(staged);
    const records = staged.map((s) => offsetCommitRecord(group.groupId, s.topicPartition, s.offsetAndMetadata.offset, commitTimestampMs));
    this.append(group.groupId, records, pendingUntilMarker ? txn : undefined, (appendError, baseOffset) => {
      const error = offsetCommitErrorForAppend(appendError);
      if (!group.is("Dead")) this.settleStagedOffsets(group, staged, error === "NONE" ? baseOffset : undefined, pendingUntilMarker ? txn : undefined, replaced);
      this.services.ctx.trace("offset.commit", { group: group.groupId, latencyUs: this.services.ctx.monotonicClockUs() - reply.receivedUs, transactional: txn !== undefined });
      this.answerCommit(reply, api, offsets, error);
    });
  }

  /** After the append: record where the commit sits (or install it), or forget it when the append failed. */
  private settleStagedOffsets(
    group: GroupMetadata,
    staged: readonly { topicPartition: TopicPartition; offsetAndMetadata: OffsetAndMetadata }[],
    baseOffset: number | undefined,
    txn: TxnOfCommit | undefined,
    replaced: ReadonlyMap<string, CommitRecord>,
  ): void {
    for (const s of staged) {
      const record: CommitRecord = { ...s, appendedBatchOffset: baseOffset };
      if (txn !== undefined) {
        if (baseOffset !== undefined) group.offsets.onTxnOffsetCommitAppend(txn.producerId, txn.producerEpoch, record);
        else group.offsets.failPendingTxnOffsetCommit(txn.producerId, txn.producerEpoch, s.topicPartition, replaced.get(keyOf(s.topicPartition)));
      } else if (baseOffset !== undefined) group.offsets.onOffsetCommitAppend(record);
      else group.offsets.failPendingOffsetWrite(s.topicPartition, s.offsetAndMetadata);
    }
  }

  private answerCommit(reply: PendingReply, type: "OffsetCommitResponse" | "TxnOffsetCommitResponse", offsets: readonly PartitionOffset[], error: KafkaError): void {
    this.send(reply, { type, correlationId: reply.correlationId, results: offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) });
  }

  /**
   * GroupMetadataManager.getOffsets. With requireStable a partition with a commit in flight or a
   * pending transactional commit answers UNSTABLE_OFFSET_COMMIT at partition level; the top-level
   * error stays NONE as Kafka's v7 response has it (the Java client treats an unknown top-level
   * error as fatal and retries the partition-level one).
   */
  private handleOffsetFetch(request: Request<"OffsetFetch">, reply: PendingReply): void {
    const status = this.validateGroupStatus(request.groupId, "OffsetFetch");
    if (status !== undefined) return this.send(reply, { type: "OffsetFetchResponse", correlationId: reply.correlationId, error: status, offsets: [] });
    const group = this.groups.get(request.groupId);
    const live = group !== undefined && !group.is("Dead") ? group : undefined;
    const partitions = request.partitions ?? live?.offsets.allOffsets().map((r) => r.topicPartition) ?? [];
    const requireStable = request.requireStable && !this.bugs(GROUP_BUGS.noRequireStable);
    const offsets = partitions.map((tp) => {
      if (live === undefined) return { topic: tp.topic, partition: tp.partition, offset: -1, error: "NONE" as const };
      if (requireStable && live.offsets.hasPendingOffsetCommitsForTopicPartition(tp)) {
        this.services.ctx.assert.reachable(GROUP_REACHABLE.unstableOffsetFetch);
        return { topic: tp.topic, partition: tp.partition, offset: -1, error: "UNSTABLE_OFFSET_COMMIT" as const };
      }
      return { topic: tp.topic, partition: tp.partition, offset: live.offsets.offset(tp)?.offsetAndMetadata.offset ?? -1, error: "NONE" as const };
    });
    this.send(reply, { type: "OffsetFetchResponse", correlationId: reply.correlationId, error: "NONE", offsets });
  }

  // ── Persistence ──

  private append(groupId: string, records: readonly GroupLogRecord[], txn: TxnOfCommit | undefined, done: (error: KafkaError, baseOffset: number) => void): void {
    const timestampMs = this.nowMs();
    this.services.appendInternal(
      {
        topic: this.topic,
        partition: this.partitionOf(groupId),
        records: records.map((r) => toKafkaRecord(r, timestampMs)),
        acks: -1,
        timeoutMs: this.config.offsetsCommitTimeoutMs,
        ...(txn === undefined ? {} : { transactionalId: txn.transactionalId, producerId: txn.producerId, producerEpoch: txn.producerEpoch, isTransactional: true }),
      },
      done,
    );
  }

  /** GroupMetadataManager.storeGroup: the group record with these assignments; errors mapped as for __transaction_state. */
  private storeGroup(group: GroupMetadata, assignment: ReadonlyMap<string, readonly TopicPartition[]>, done: (error: KafkaError) => void): void {
    const value: GroupMetadataValue = {
      version: 3,
      protocolType: group.protocolType,
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === group.protocolName)?.topics ?? [],
        assignment: assignment.get(m.memberId) ?? [],
      })),
    };
    this.append(group.groupId, [groupMetadataRecord(group.groupId, value)], undefined, (error) => done(coordinatorErrorForAppend(error)));
  }

  // ── The host the rebalance logic runs on ──

  private groupHost(): GroupHost {
    return {
      config: this.config,
      nowMs: () => this.nowMs(),
      after: (delayMs, label, fn) => this.services.ctx.after(msToUs(delayMs), label, fn),
      send: (to, response) => this.send(to, response),
      trace: (kind, fields) => this.services.ctx.trace(kind, fields),
      newMemberId: (group, clientId) => this.newMemberId(group, clientId),
      storeGroup: (group, assignment, done) => this.storeGroup(group, assignment, done),
      isCurrent: (group) => this.groups.get(group.groupId) === group,
    };
  }

  private newMemberId(group: GroupMetadata, clientId: string): string {
    const owned = this.partitions.get(this.partitionOf(group.groupId));
    if (owned === undefined) throw new IllegalGroupStateError(`member id requested for ${group.groupId}, whose partition is not owned`);
    let id: string;
    do id = `${clientId}-${owned.epoch}-${owned.nextMemberSeq++}`;
    while (group.has(id) || group.isPendingMember(id));
    return id;
  }

  private send(to: PendingReply, response: GroupAndTxnResponse): void {
    this.services.ctx.send(to.to, response);
  }

  private nowMs(): number {
    return Math.floor(this.services.ctx.wallClockUs() / 1000);
  }

  private bugs(name: string): boolean {
    return this.services.ctx.bugs.has(name);
  }

  // ── Read accessors for harnesses ──

  group(groupId: string): GroupSummary | undefined {
    return this.groups.get(groupId)?.summary();
  }

  /** Committed offsets of a group, in first-commit order. */
  committedOffsets(groupId: string): PartitionOffset[] {
    return (this.groups.get(groupId)?.offsets.allOffsets() ?? []).map((r) => ({ ...r.topicPartition, offset: r.offsetAndMetadata.offset }));
  }

  /** Transactional offsets waiting for their producer's marker, by producer id. */
  pendingTxnOffsets(groupId: string): Map<number, PartitionOffset[]> {
    const pending = this.groups.get(groupId)?.offsets.pendingTxnOffsets() ?? new Map<number, readonly CommitRecord[]>();
    return new Map([...pending].map(([producerId, records]) => [producerId, records.map((r) => ({ ...r.topicPartition, offset: r.offsetAndMetadata.offset }))]));
  }

  /** The `__consumer_offsets` partitions this coordinator owns, with their epoch and whether they are loaded. */
  ownedPartitions(): { partition: number; epoch: number; status: "loading" | "active" }[] {
    return [...this.partitions].map(([partition, p]) => ({ partition, epoch: p.epoch, status: p.status }));
  }
}

/**
 * The error an offset commit answers for its append's (GroupMetadataManager.storeOffsets): the
 * same mapping as the transaction log's (Kafka answers INVALID_COMMIT_OFFSET_SIZE for a record
 * too large, which the shared error table does not have: UNKNOWN_SERVER_ERROR).
 */
export function offsetCommitErrorForAppend(error: KafkaError): KafkaError {
  return coordinatorErrorForAppend(error);
}

/** A group as its last metadata record describes it (Kafka: GroupMetadata.loadGroup). */
function groupFromValue(groupId: string, value: GroupMetadataValue, nowMs: number): GroupMetadata {
  const group = new GroupMetadata(groupId, {
    state: loadedGroupState(value),
    nowMs,
    generationId: value.generation,
    protocolType: value.protocolType,
    protocolName: value.protocol,
    leaderId: value.leader,
  });
  for (const m of value.members) {
    const member = newMember({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
      protocolType: value.protocolType ?? "",
      protocols: [{ name: value.protocol ?? "", topics: m.subscription }],
    });
    member.assignment = m.assignment;
    group.restore(member);
  }
  return group;
}

function assertNever(value: never): never {
  throw new Error(`unhandled request ${JSON.stringify(value)}`);
}
