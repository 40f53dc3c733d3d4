import type { Timer } from "../../../../sim/actor.js";
import type { KafkaError } from "../errors.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, TopicPartition } from "../protocol.js";
import type { GroupCoordinatorConfig } from "./config.js";
import { GroupMetadata, IllegalGroupStateError, newMember, protocolsMatch, type MemberMetadata, type PendingReply } from "./group-metadata.js";

/**
 * The classic rebalance protocol at the coordinator (Kafka's GroupCoordinator 3.x): JoinGroup
 * with KIP-394's MEMBER_ID_REQUIRED for dynamic members and KIP-345's static members (a
 * group.instance.id keeps its member's place and assignment across restarts: a new instance
 * takes over without a rebalance while the group is Stable, and fences the old member id with
 * FENCED_INSTANCE_ID), the initial delayed join and the
 * rebalance timeout, leader election, the generation bump, SyncGroup, heartbeats and their
 * session timeouts, the pending-sync timeout, and LeaveGroup. Kafka's purgatories become timers
 * on the host's monotonic clock (a paused or skewed broker expires members late or early).
 */

export type JoinGroupRequest = Extract<GroupAndTxnRequest, { type: "JoinGroup" }>;
export type SyncGroupRequest = Extract<GroupAndTxnRequest, { type: "SyncGroup" }>;
export type HeartbeatRequest = Extract<GroupAndTxnRequest, { type: "Heartbeat" }>;
export type LeaveGroupRequest = Extract<GroupAndTxnRequest, { type: "LeaveGroup" }>;
type JoinGroupResponse = Extract<GroupAndTxnResponse, { type: "JoinGroupResponse" }>;

/** What the rebalance logic needs from the coordinator that hosts it. */
export interface GroupHost {
  readonly config: GroupCoordinatorConfig;
  nowMs(): number;
  after(delayMs: number, label: string, fn: () => void): Timer;
  send(to: PendingReply, response: GroupAndTxnResponse): void;
  trace(kind: string, fields: Readonly<Record<string, string | number | boolean>>): void;
  /** A new member id for a join from `clientId` (deterministic, unique for this coordinator). */
  newMemberId(group: GroupMetadata, clientId: string): string;
  /** Appends the group's metadata with these assignments to its partition; `done` gets the coordinator error. */
  storeGroup(group: GroupMetadata, assignment: ReadonlyMap<string, readonly TopicPartition[]>, done: (error: KafkaError) => void): void;
  /** The group is still the one this coordinator holds (not unloaded or replaced by a reload). */
  isCurrent(group: GroupMetadata): boolean;
}

type JoinDelay = { readonly kind: "initial"; readonly delayMs: number; readonly remainingMs: number } | { readonly kind: "rebalance" };

/** Timers of one group: the join phase, the pending-sync deadline, and each member's session. */
interface GroupTimers {
  join?: { readonly timer: Timer; readonly delay: JoinDelay };
  sync?: Timer;
  readonly members: Map<string, Timer>;
}

export class GroupMembership {
  private readonly timers = new Map<GroupMetadata, GroupTimers>();

  constructor(private readonly host: GroupHost) {}

  // ── JoinGroup ──

  /** After the coordinator checks (ownership, loading, group id) passed; `group` is undefined when not cached. */
  handleJoinGroup(group: GroupMetadata | undefined, createGroup: () => GroupMetadata, request: JoinGroupRequest, reply: PendingReply): void {
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.host.config;
    if (request.sessionTimeoutMs < min || request.sessionTimeoutMs > max) return this.joinError(reply, request.memberId, "INVALID_SESSION_TIMEOUT");
    const isUnknownMember = request.memberId === "";
    if (group === undefined && !isUnknownMember) return this.joinError(reply, request.memberId, "UNKNOWN_MEMBER_ID");
    const target = group ?? createGroup();
    if (isUnknownMember) this.doNewMemberJoinGroup(target, request, reply);
    else this.doCurrentMemberJoinGroup(target, request, reply);
    if (target.is("PreparingRebalance")) this.tryCompleteJoin(target);
  }

  private doNewMemberJoinGroup(group: GroupMetadata, request: JoinGroupRequest, reply: PendingReply): void {
    if (group.is("Dead")) return this.joinError(reply, "", "COORDINATOR_NOT_AVAILABLE");
    if (!group.supportsProtocols(request.protocolType, request.protocols)) return this.joinError(reply, "", "INCONSISTENT_GROUP_PROTOCOL");
    const memberId = this.host.newMemberId(group, reply.to);
    if (request.groupInstanceId !== null) return this.doStaticNewMemberJoinGroup(group, request.groupInstanceId, memberId, request, reply);
    // KIP-394 (JoinGroup v4+): hand out the id and wait for the member to come back with it.
    group.pendingMembers.add(memberId);
    this.scheduleMemberExpiration(group, memberId, request.sessionTimeoutMs);
    this.host.trace("group.join", { group: group.groupId, memberId, phase: "member-id-required" });
    this.joinError(reply, memberId, "MEMBER_ID_REQUIRED");
  }

  private doCurrentMemberJoinGroup(group: GroupMetadata, request: JoinGroupRequest, reply: PendingReply): void {
    const memberId = request.memberId;
    if (group.is("Dead")) return this.joinError(reply, memberId, "COORDINATOR_NOT_AVAILABLE");
    if (!group.supportsProtocols(request.protocolType, request.protocols)) return this.joinError(reply, memberId, "INCONSISTENT_GROUP_PROTOCOL");
    if (group.isPendingMember(memberId)) return this.addMemberAndRebalance(group, request, memberId, reply);
    const memberError = validateCurrentMember(group, memberId, request.groupInstanceId);
    if (memberError !== undefined) return this.joinError(reply, memberId, memberError);
    const member = group.get(memberId);
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, member, request, reply, "member joins during PreparingRebalance");
      case "CompletingRebalance":
        // The member lost its JoinGroup answer: repeat the current generation's unless its metadata changed.
        if (protocolsMatch(member, request.protocols)) return this.sendJoinResult(group, member, reply);
        return this.updateMemberAndRebalance(group, member, request, reply, "member metadata changed during CompletingRebalance");
      case "Stable":
        // A rejoining leader forces a rebalance (assignment inputs may have changed); a follower only when its metadata did.
        if (group.isLeader(memberId)) return this.updateMemberAndRebalance(group, member, request, reply, "leader rejoins");
        if (!protocolsMatch(member, request.protocols)) return this.updateMemberAndRebalance(group, member, request, reply, "member metadata changed");
        return this.sendJoinResult(group, member, reply);
      case "Empty":
      case "Dead":
        return this.joinError(reply, memberId, "UNKNOWN_MEMBER_ID");
    }
  }

  /** A static member joins without MEMBER_ID_REQUIRED: a known instance is taken over, an unknown one added. */
  private doStaticNewMemberJoinGroup(group: GroupMetadata, groupInstanceId: string, memberId: string, request: JoinGroupRequest, reply: PendingReply): void {
    const oldMemberId = group.currentStaticMemberId(groupInstanceId);
    if (oldMemberId === undefined) return this.addMemberAndRebalance(group, request, memberId, reply);
    this.updateStaticMemberAndRebalance(group, groupInstanceId, oldMemberId, memberId, request, reply);
  }

  /**
   * GroupCoordinator.updateStaticMemberAndRebalance: the new instance takes the old member's place
   * (and its assignment) under a new member id; requests of the old id still waiting are fenced.
   * In Stable, if the protocol the group would select is unchanged, the group is stored and the
   * member answered with the current generation and no rebalance (the leader it names is the one
   * before the replacement, as in Kafka); otherwise the group rebalances.
   */
  private updateStaticMemberAndRebalance(group: GroupMetadata, groupInstanceId: string, oldMemberId: string, newMemberId: string, request: JoinGroupRequest, reply: PendingReply): void {
    const currentLeader = group.leaderId;
    const { member, fencedJoin, fencedSync } = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId);
    if (fencedJoin !== undefined) this.joinError(fencedJoin, oldMemberId, "FENCED_INSTANCE_ID");
    if (fencedSync !== undefined) this.syncReply(fencedSync, "FENCED_INSTANCE_ID", []);
    this.cancelMemberTimer(group, oldMemberId);
    this.completeAndScheduleNextHeartbeatExpiration(group, member);
    const previous = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.awaitingJoin = reply;
    this.host.trace("group.join", { group: group.groupId, memberId: newMemberId, phase: "static-replace", groupInstanceId, replaced: oldMemberId });
    switch (group.state) {
      case "Stable": {
        if (group.protocolName !== group.selectProtocol()) return this.maybePrepareRebalance(group, `static member ${groupInstanceId} changed its protocols`);
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment] as const));
        this.host.storeGroup(group, assignment, (error) => {
          if (!this.host.isCurrent(group) || group.members.get(newMemberId)?.awaitingJoin !== reply) return;
          const current = group.get(newMemberId);
          current.awaitingJoin = undefined;
          if (error !== "NONE") {
            // The replacement is not durable: the old member id holds the instance again.
            const reverted = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId).member;
            Object.assign(reverted, previous);
            this.cancelMemberTimer(group, newMemberId);
            this.completeAndScheduleNextHeartbeatExpiration(group, reverted);
            this.joinError(reply, "", error);
            return;
          }
          this.sendJoinResult(group, current, reply, currentLeader);
        });
        return;
      }
      case "CompletingRebalance":
        // The old member id may already be in the assignment the leader is computing: start over.
        return this.prepareRebalance(group, `static member ${groupInstanceId} replaced during CompletingRebalance`);
      case "PreparingRebalance":
        return; // The member completes with the join.
      case "Empty":
      case "Dead":
        throw new IllegalGroupStateError(`static member ${groupInstanceId} of group ${group.groupId} rejoined in state ${group.state}`);
    }
  }

  private addMemberAndRebalance(group: GroupMetadata, request: JoinGroupRequest, memberId: string, reply: PendingReply): void {
    const member = newMember({
      memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: reply.to,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
    });
    member.isNew = true;
    if (group.is("PreparingRebalance") && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, reply);
    this.host.trace("group.join", { group: group.groupId, memberId: member.memberId, phase: "new-member" });
    // A new member cannot heartbeat while its JoinGroup waits: it expires after NewMemberJoinTimeoutMs instead.
    this.scheduleMemberExpiration(group, member.memberId, this.host.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(group, `new member ${member.memberId}`);
  }

  private updateMemberAndRebalance(group: GroupMetadata, member: MemberMetadata, request: JoinGroupRequest, reply: PendingReply, reason: string): void {
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    // A JoinGroup already waiting is replaced without an answer, as Kafka replaces the callback.
    member.awaitingJoin = reply;
    this.host.trace("group.join", { group: group.groupId, memberId: member.memberId, phase: "rejoin" });
    this.maybePrepareRebalance(group, reason);
  }

  // ── The join phase ──

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.is("CompletingRebalance")) this.resetAndPropagateAssignmentError(group, "REBALANCE_IN_PROGRESS");
    const timers = this.timersOf(group);
    timers.sync?.cancel();
    timers.sync = undefined;
    const wasEmpty = group.is("Empty");
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs;
    group.transitionTo("PreparingRebalance", this.host.nowMs());
    this.traceState(group, reason);
    if (wasEmpty) {
      const delayMs = this.host.config.groupInitialRebalanceDelayMs;
      this.scheduleJoin(group, { kind: "initial", delayMs, remainingMs: Math.max(rebalanceTimeoutMs - delayMs, 0) }, delayMs);
    } else {
      this.scheduleJoin(group, { kind: "rebalance" }, rebalanceTimeoutMs);
      this.tryCompleteJoin(group);
    }
  }

  private scheduleJoin(group: GroupMetadata, delay: JoinDelay, delayMs: number): void {
    const timers = this.timersOf(group);
    timers.join?.timer.cancel();
    const timer = this.host.after(delayMs, "group-join", () => this.onJoinTimer(group, delay));
    timers.join = { timer, delay };
  }

  /** DelayedJoin.tryComplete: the rebalance (not the initial delay) ends as soon as every member has rejoined. */
  private tryCompleteJoin(group: GroupMetadata): void {
    const join = this.timers.get(group)?.join;
    if (join === undefined || join.delay.kind !== "rebalance" || !group.is("PreparingRebalance") || !group.hasAllMembersJoined()) return;
    join.timer.cancel();
    this.timersOf(group).join = undefined;
    this.onCompleteJoin(group);
  }

  private onJoinTimer(group: GroupMetadata, delay: JoinDelay): void {
    if (!this.host.isCurrent(group) || !group.is("PreparingRebalance")) return;
    this.timersOf(group).join = undefined;
    // InitialDelayedJoin: while members keep arriving, wait again (never past the rebalance timeout).
    if (delay.kind === "initial" && group.newMemberAdded && delay.remainingMs !== 0) {
      group.newMemberAdded = false;
      const configured = this.host.config.groupInitialRebalanceDelayMs;
      const next = Math.min(configured, delay.remainingMs);
      this.scheduleJoin(group, { kind: "initial", delayMs: next, remainingMs: Math.max(delay.remainingMs - delay.delayMs, 0) }, next);
      return;
    }
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: GroupMetadata): void {
    for (const member of group.notYetRejoinedMembers()) this.removeMember(group, member.memberId, "rebalance-timeout");
    if (group.is("Dead")) return;
    group.maybeElectNewJoinedLeader();
    group.initNextGeneration(this.host.nowMs());
    this.traceState(group, "join complete");
    this.host.trace("group.generation", {
      group: group.groupId,
      generation: group.generationId,
      leader: group.leaderId ?? "",
      members: group.members.size,
      protocol: group.protocolName ?? "",
    });
    if (group.is("Empty")) {
      this.host.storeGroup(group, new Map(), () => undefined);
      return;
    }
    for (const member of group.members.values()) {
      const reply = member.awaitingJoin;
      member.awaitingJoin = undefined;
      if (reply !== undefined) this.sendJoinResult(group, member, reply);
      this.completeAndScheduleNextHeartbeatExpiration(group, member);
      member.isNew = false;
    }
    this.schedulePendingSync(group);
  }

  /** The current generation's JoinGroup answer; only the leader gets the members (`leader`: who the answer names as leader). */
  private sendJoinResult(group: GroupMetadata, member: MemberMetadata, reply: PendingReply, leader: string | null = group.leaderId): void {
    this.host.send(reply, {
      type: "JoinGroupResponse",
      correlationId: reply.correlationId,
      error: "NONE",
      generationId: group.generationId,
      protocolName: group.protocolName,
      leader: leader ?? "",
      memberId: member.memberId,
      members: leader === member.memberId ? group.currentMemberMetadata() : [],
    });
  }

  private joinError(reply: PendingReply, memberId: string, error: KafkaError): void {
    const response: JoinGroupResponse = { type: "JoinGroupResponse", correlationId: reply.correlationId, error, generationId: -1, protocolName: null, leader: "", memberId, members: [] };
    this.host.send(reply, response);
  }

  // ── SyncGroup ──

  handleSyncGroup(group: GroupMetadata | undefined, request: SyncGroupRequest, reply: PendingReply): void {
    if (group === undefined) return this.syncReply(reply, "UNKNOWN_MEMBER_ID", []);
    const error = this.validateMemberAndGeneration(group, request.memberId, request.groupInstanceId, request.generationId);
    if (error !== undefined) return this.syncReply(reply, error, []);
    const member = group.get(request.memberId);
    switch (group.state) {
      case "Empty":
        return this.syncReply(reply, "UNKNOWN_MEMBER_ID", []);
      case "PreparingRebalance":
        return this.syncReply(reply, "REBALANCE_IN_PROGRESS", []);
      case "CompletingRebalance":
        member.awaitingSync = reply;
        group.pendingSyncMembers.delete(member.memberId);
        if (group.isLeader(member.memberId)) this.storeLeaderAssignment(group, request);
        this.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      case "Stable":
        group.pendingSyncMembers.delete(member.memberId);
        this.syncReply(reply, "NONE", member.assignment);
        this.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      case "Dead":
        return this.syncReply(reply, "COORDINATOR_NOT_AVAILABLE", []);
    }
  }

  /** Kafka stores the group with the leader's assignment before anyone gets it (members missing from it get nothing). */
  private storeLeaderAssignment(group: GroupMetadata, request: SyncGroupRequest): void {
    const assignment = new Map<string, readonly TopicPartition[]>();
    for (const memberId of group.members.keys()) assignment.set(memberId, request.assignments.find((a) => a.memberId === memberId)?.partitions ?? []);
    const generationId = group.generationId;
    this.host.storeGroup(group, assignment, (error) => {
      // Another member may have joined meanwhile: only the same CompletingRebalance generation completes.
      if (!this.host.isCurrent(group) || !group.is("CompletingRebalance") || group.generationId !== generationId) return;
      if (error !== "NONE") {
        this.resetAndPropagateAssignmentError(group, error);
        this.maybePrepareRebalance(group, `storing the assignment failed: ${error}`);
        return;
      }
      for (const [memberId, partitions] of assignment) group.get(memberId).assignment = partitions;
      this.propagateAssignment(group, "NONE");
      group.transitionTo("Stable", this.host.nowMs());
      this.traceState(group, "assignment stored");
    });
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, error: KafkaError): void {
    for (const member of group.members.values()) member.assignment = [];
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: GroupMetadata, error: KafkaError): void {
    for (const member of group.members.values()) {
      const reply = member.awaitingSync;
      if (reply === undefined) continue;
      member.awaitingSync = undefined;
      this.syncReply(reply, error, member.assignment);
      this.completeAndScheduleNextHeartbeatExpiration(group, member);
    }
  }

  private syncReply(reply: PendingReply, error: KafkaError, partitions: readonly TopicPartition[]): void {
    this.host.send(reply, { type: "SyncGroupResponse", correlationId: reply.correlationId, error, partitions });
  }

  private schedulePendingSync(group: GroupMetadata): void {
    const timers = this.timersOf(group);
    timers.sync?.cancel();
    const generationId = group.generationId;
    timers.sync = this.host.after(group.rebalanceTimeoutMs, "group-pending-sync", () => this.onExpirePendingSync(group, generationId));
  }

  /** Members that did not send SyncGroup within the rebalance timeout leave, and the group rebalances. */
  private onExpirePendingSync(group: GroupMetadata, generationId: number): void {
    if (!this.host.isCurrent(group) || group.generationId !== generationId) return;
    this.timersOf(group).sync = undefined;
    if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      group.remove(memberId);
      this.cancelMemberTimer(group, memberId);
      this.host.trace("group.member.removed", { group: group.groupId, memberId, reason: "sync-timeout" });
    }
    group.pendingSyncMembers.clear();
    this.maybePrepareRebalance(group, "pending sync expired");
  }

  // ── Heartbeat and LeaveGroup ──

  handleHeartbeat(group: GroupMetadata | undefined, request: HeartbeatRequest): KafkaError {
    if (group === undefined) return "UNKNOWN_MEMBER_ID";
    const error = this.validateMemberAndGeneration(group, request.memberId, request.groupInstanceId, request.generationId);
    if (error !== undefined) return error;
    switch (group.state) {
      case "Empty":
        return "UNKNOWN_MEMBER_ID";
      case "CompletingRebalance":
      case "Stable":
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(request.memberId));
        return "NONE";
      case "PreparingRebalance":
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(request.memberId));
        return "REBALANCE_IN_PROGRESS";
      case "Dead":
        return "COORDINATOR_NOT_AVAILABLE";
    }
  }

  handleLeaveGroup(group: GroupMetadata | undefined, request: LeaveGroupRequest): KafkaError {
    if (group === undefined) return "UNKNOWN_MEMBER_ID";
    if (group.is("Dead")) return "COORDINATOR_NOT_AVAILABLE";
    if (request.memberId !== "" && group.isPendingMember(request.memberId)) {
      this.removePendingMember(group, request.memberId, "leave");
      return "NONE";
    }
    if (!group.has(request.memberId)) return "UNKNOWN_MEMBER_ID";
    this.removeMemberAndUpdateGroup(group, group.get(request.memberId), "leave");
    return "NONE";
  }

  /** Dead, then validateCurrentMember (no static members here), then the generation. */
  private validateMemberAndGeneration(group: GroupMetadata, memberId: string, groupInstanceId: string | null, generationId: number): KafkaError | undefined {
    if (group.is("Dead")) return "COORDINATOR_NOT_AVAILABLE";
    const memberError = validateCurrentMember(group, memberId, groupInstanceId);
    if (memberError !== undefined) return memberError;
    if (generationId !== group.generationId) return "ILLEGAL_GENERATION";
    return undefined;
  }

  // ── Session timeouts ──

  /** The member was heard from: its session starts again (Kafka: completeAndScheduleNextHeartbeatExpiration). */
  completeAndScheduleNextHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata): void {
    this.scheduleMemberExpiration(group, member.memberId, member.sessionTimeoutMs);
  }

  private scheduleMemberExpiration(group: GroupMetadata, memberId: string, timeoutMs: number): void {
    this.cancelMemberTimer(group, memberId);
    const timer = this.host.after(timeoutMs, "group-heartbeat", () => this.onExpireHeartbeat(group, memberId));
    this.timersOf(group).members.set(memberId, timer);
  }

  private onExpireHeartbeat(group: GroupMetadata, memberId: string): void {
    if (!this.host.isCurrent(group) || group.is("Dead")) return;
    this.timersOf(group).members.delete(memberId);
    if (group.isPendingMember(memberId)) return this.removePendingMember(group, memberId, "session-timeout");
    const member = group.members.get(memberId);
    if (member === undefined || hasSatisfiedHeartbeat(member)) return;
    this.removeMemberAndUpdateGroup(group, member, member.isNew ? "new-member-join-timeout" : "session-timeout");
  }

  private removePendingMember(group: GroupMetadata, memberId: string, reason: string): void {
    group.pendingMembers.delete(memberId);
    this.cancelMemberTimer(group, memberId);
    this.host.trace("group.member.removed", { group: group.groupId, memberId, reason: `pending-${reason}` });
    if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A member removed while its JoinGroup waits is told so, and may join again.
    if (member.awaitingJoin !== undefined) this.joinError(member.awaitingJoin, "", "UNKNOWN_MEMBER_ID");
    member.awaitingJoin = undefined;
    this.removeMember(group, member.memberId, reason);
    switch (group.state) {
      case "Dead":
      case "Empty":
        return;
      case "Stable":
      case "CompletingRebalance":
        return this.maybePrepareRebalance(group, `member ${member.memberId} removed (${reason})`);
      case "PreparingRebalance":
        return this.tryCompleteJoin(group);
    }
  }

  private removeMember(group: GroupMetadata, memberId: string, reason: string): void {
    group.remove(memberId);
    this.cancelMemberTimer(group, memberId);
    this.host.trace("group.member.removed", { group: group.groupId, memberId, reason });
  }

  // ── Loading and unloading ──

  /** A loaded group's members start their sessions now (Kafka: onGroupLoaded). */
  onGroupLoaded(group: GroupMetadata): void {
    for (const member of group.members.values()) this.completeAndScheduleNextHeartbeatExpiration(group, member);
  }

  /** The coordinator lost the group's partition: waiting requests hear NOT_COORDINATOR and every timer stops. */
  onGroupUnloaded(group: GroupMetadata): void {
    const previous = group.state;
    group.transitionTo("Dead", this.host.nowMs());
    this.traceState(group, "unloaded");
    for (const member of group.members.values()) {
      if (previous === "PreparingRebalance" && member.awaitingJoin !== undefined) this.joinError(member.awaitingJoin, member.memberId, "NOT_COORDINATOR");
      if ((previous === "Stable" || previous === "CompletingRebalance") && member.awaitingSync !== undefined) this.syncReply(member.awaitingSync, "NOT_COORDINATOR", []);
      member.awaitingJoin = undefined;
      member.awaitingSync = undefined;
    }
    const timers = this.timers.get(group);
    if (timers === undefined) return;
    timers.join?.timer.cancel();
    timers.sync?.cancel();
    for (const timer of timers.members.values()) timer.cancel();
    this.timers.delete(group);
  }

  private timersOf(group: GroupMetadata): GroupTimers {
    let timers = this.timers.get(group);
    if (timers === undefined) {
      timers = { members: new Map() };
      this.timers.set(group, timers);
    }
    return timers;
  }

  private cancelMemberTimer(group: GroupMetadata, memberId: string): void {
    const timers = this.timers.get(group);
    timers?.members.get(memberId)?.cancel();
    timers?.members.delete(memberId);
  }

  private traceState(group: GroupMetadata, reason: string): void {
    this.host.trace("group.state", { group: group.groupId, state: group.state, generation: group.generationId, reason });
  }
}

/**
 * MemberMetadata.hasSatisfiedHeartbeat at expiry: a new member must have been answered by now;
 * a member waiting for a JoinGroup or SyncGroup answer is not expected to heartbeat.
 */
function hasSatisfiedHeartbeat(member: MemberMetadata): boolean {
  if (member.isNew) return false;
  return member.awaitingJoin !== undefined || member.awaitingSync !== undefined;
}

/**
 * Kafka's validateCurrentMember: a group.instance.id must be known (else UNKNOWN_MEMBER_ID) and
 * map to this member id (else FENCED_INSTANCE_ID: a newer instance took it over); without one,
 * the member id must be in the group.
 */
export function validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): KafkaError | undefined {
  if (groupInstanceId !== null) {
    if (!group.hasStaticMember(groupInstanceId)) return "UNKNOWN_MEMBER_ID";
    if (group.isStaticMemberFenced(groupInstanceId, memberId)) return "FENCED_INSTANCE_ID";
    return undefined;
  }
  return group.has(memberId) ? undefined : "UNKNOWN_MEMBER_ID";
}
