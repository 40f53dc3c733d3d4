import type { GroupMemberSubscription, TopicPartition } from "../protocol.js";
import { GroupOffsets } from "./offsets.js";

/**
 * A classic consumer group as the coordinator holds it (Kafka's GroupMetadata and
 * MemberMetadata, 3.x, with KIP-345's static members): the state machine, the members with the requests
 * they are waiting on, the leader, the generation and the selected protocol, and the group's
 * offsets. Plain data and small functions; the coordinator owns the timers and the network.
 */

export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** Kafka's GroupState.validPreviousStates. */
const VALID_PREVIOUS_STATES: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  Empty: ["PreparingRebalance"],
};

/** A transition Kafka would refuse with IllegalStateException: a model error. */
export class IllegalGroupStateError extends Error {
  override readonly name = "IllegalGroupStateError";
}

export interface JoinProtocol {
  readonly name: string;
  readonly topics: readonly string[];
}

/** Where a delayed answer goes: the requesting node and its correlation id. */
export interface PendingReply {
  readonly to: string;
  readonly correlationId: number;
  /** The coordinator's monotonic clock when the request arrived (µs). */
  readonly receivedUs: number;
}

export interface MemberMetadata {
  readonly memberId: string;
  /** KIP-345's group.instance.id: a static member keeps its place across restarts; null for a dynamic one. */
  readonly groupInstanceId: string | null;
  /** The node that joined (Kafka's clientId). */
  readonly clientId: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  /** In preference order. */
  protocols: readonly JoinProtocol[];
  assignment: readonly TopicPartition[];
  awaitingJoin: PendingReply | undefined;
  awaitingSync: PendingReply | undefined;
  /** Joined but has not had a JoinGroup answer yet (expires after NewMemberJoinTimeoutMs). */
  isNew: boolean;
}

export function newMember(fields: Omit<MemberMetadata, "assignment" | "awaitingJoin" | "awaitingSync" | "isNew">): MemberMetadata {
  return { ...fields, assignment: [], awaitingJoin: undefined, awaitingSync: undefined, isNew: false };
}

/** MemberMetadata.matches: the same protocols, with the same subscriptions, in the same order. */
export function protocolsMatch(member: MemberMetadata, protocols: readonly JoinProtocol[]): boolean {
  return (
    member.protocols.length === protocols.length &&
    member.protocols.every((p, i) => p.name === protocols[i]?.name && p.topics.length === protocols[i].topics.length && p.topics.every((t, j) => t === protocols[i]?.topics[j]))
  );
}

export class GroupMetadata {
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members = new Map<string, MemberMetadata>();
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED whose owners have not joined yet. */
  readonly pendingMembers = new Set<string>();
  /** Members that must send SyncGroup before the rebalance timeout (pendingSyncMembers, KAFKA-13419). */
  readonly pendingSyncMembers = new Set<string>();
  /** KIP-345: group.instance.id → the member id that holds it now. */
  private readonly staticMembers = new Map<string, string>();
  /** The initial delayed join may be extended while members keep arriving. */
  newMemberAdded = false;
  currentStateTimestampMs: number;
  readonly offsets = new GroupOffsets();

  constructor(
    readonly groupId: string,
    initial: { state: GroupState; nowMs: number; generationId?: number; protocolType?: string | null; protocolName?: string | null; leaderId?: string | null },
  ) {
    this.state = initial.state;
    this.generationId = initial.generationId ?? 0;
    this.protocolType = initial.protocolType ?? null;
    this.protocolName = initial.protocolName ?? null;
    this.leaderId = initial.leaderId ?? null;
    this.currentStateTimestampMs = initial.nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!VALID_PREVIOUS_STATES[state].includes(this.state)) {
      throw new IllegalGroupStateError(`Group ${this.groupId} should be in the ${VALID_PREVIOUS_STATES[state].join(",")} states before moving to ${state} state. Instead it is in ${this.state} state`);
    }
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const member = this.members.get(memberId);
    if (member === undefined) throw new IllegalGroupStateError(`no member ${memberId} in group ${this.groupId}`);
    return member;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  /** The first member to join leads; the group takes the protocol type of its first member. */
  add(member: MemberMetadata, joinReply: PendingReply | undefined): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.leaderId ??= member.memberId;
    this.pendingMembers.delete(member.memberId);
    member.awaitingJoin = joinReply;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** A leaving leader hands over to the first remaining member. */
  remove(memberId: string): void {
    const instanceId = this.members.get(memberId)?.groupInstanceId ?? null;
    if (instanceId !== null && this.staticMembers.get(instanceId) === memberId) this.staticMembers.delete(instanceId);
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** The instance is held by another member id than `memberId`: a newer instance took it over. */
  isStaticMemberFenced(groupInstanceId: string, memberId: string): boolean {
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /**
   * GroupMetadata.replaceStaticMember: the member that holds `groupInstanceId` continues under
   * `newMemberId` with its assignment (and its leadership, if it led). Returns the old id's join
   * and sync requests still waiting: the caller fences them (FENCED_INSTANCE_ID).
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): { member: MemberMetadata; fencedJoin: PendingReply | undefined; fencedSync: PendingReply | undefined } {
    const old = this.get(oldMemberId);
    const member: MemberMetadata = { ...old, memberId: newMemberId, awaitingJoin: undefined, awaitingSync: undefined };
    this.members.delete(oldMemberId);
    this.members.set(newMemberId, member);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return { member, fencedJoin: old.awaitingJoin, fencedSync: old.awaitingSync };
  }

  /** A member as a loaded group record describes it (no join callbacks, no leader or protocol changes). */
  restore(member: MemberMetadata): void {
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** The longest rebalance timeout among the members (Kafka: group.rebalanceTimeoutMs). */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  get numMembersAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== undefined) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => m.awaitingJoin === undefined);
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  /** Protocols every member supports, in the first member's order. */
  candidateProtocols(): string[] {
    const members = [...this.members.values()];
    const first = members[0];
    if (first === undefined) return [];
    return first.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  }

  /** GroupMetadata.supportsProtocols: an Empty group takes anything non-empty; otherwise type and a common protocol must match. */
  supportsProtocols(protocolType: string, protocols: readonly JoinProtocol[]): boolean {
    if (this.is("Empty") || this.members.size === 0) return protocolType !== "" && protocols.length > 0;
    const candidates = this.candidateProtocols();
    return this.protocolType === protocolType && protocols.some((p) => candidates.includes(p.name));
  }

  /**
   * Each member votes for its most preferred candidate; the most votes wins. Kafka breaks ties by
   * hash-map order; the model breaks them by candidate order (the first member's preference).
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) throw new IllegalGroupStateError(`Cannot select protocol for empty group ${this.groupId}`);
    const votes = new Map(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.includes(p.name))?.name as string;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = candidates[0] as string;
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  /** Kafka's maybeElectNewJoinedLeader: a leader that has not rejoined hands over to one that has. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin !== undefined) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== undefined) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** The join phase is over: bump the generation and pick the protocol (or become Empty). */
  initNextGeneration(nowMs: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo("CompletingRebalance", nowMs);
      this.pendingSyncMembers.clear();
      for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
    } else {
      this.protocolName = null;
      this.transitionTo("Empty", nowMs);
      this.pendingSyncMembers.clear();
    }
  }

  /** What the leader receives: every member's subscription under the selected protocol. */
  currentMemberMetadata(): GroupMemberSubscription[] {
    const protocol = this.protocolName;
    if (protocol === null) throw new IllegalGroupStateError(`no protocol selected for group ${this.groupId}`);
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, topics: m.protocols.find((p) => p.name === protocol)?.topics ?? [] }));
  }

  /** Accessor shape for harnesses and traces. */
  summary(): GroupSummary {
    return {
      state: this.state,
      generationId: this.generationId,
      leader: this.leaderId,
      protocol: this.protocolName,
      members: [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, assignment: m.assignment })),
    };
  }
}

export interface GroupSummary {
  readonly state: GroupState;
  readonly generationId: number;
  readonly leader: string | null;
  readonly protocol: string | null;
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null; readonly clientId: string; readonly assignment: readonly TopicPartition[] }[];
}
