import type { Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import type { KafkaError } from "../errors.js";
import { partitionKey, type GroupAndTxnResponse, type PartitionOffset, type TopicPartition } from "../protocol.js";
import { assignPartitions } from "./assignors.js";
import type { AssignorName, ConsumerConfig } from "./consumer-config.js";
import type { Metadata } from "./metadata.js";
import { NetworkClient, type ClientResponse, type CorrelationIds } from "./network-client.js";
import { clientNowUs, earliest } from "./wakeup.js";

/** Java's AbstractCoordinator.MemberState. */
export type MemberState = "UNJOINED" | "PREPARING_REBALANCE" | "COMPLETING_REBALANCE" | "STABLE";

/** What sendOffsetsToTransaction needs from the consumer (Java's ConsumerGroupMetadata, KIP-447). */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

/** Java's ConsumerRebalanceListener; the model calls it from the consumer's loop, never inside an application call. */
export interface ConsumerRebalanceListener {
  onPartitionsRevoked(partitions: readonly TopicPartition[]): void;
  onPartitionsAssigned(partitions: readonly TopicPartition[]): void;
  /** The member lost its generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, poll timeout): default onPartitionsRevoked. */
  onPartitionsLost?(partitions: readonly TopicPartition[]): void;
}

export type CommitResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

/** offset undefined: the group has no committed offset for the partition. */
export type CommittedOffsetsResult = { readonly ok: true; readonly offsets: ReadonlyMap<string, number | undefined> } | { readonly ok: false; readonly error: string };

/** What the coordinator needs from the consumer that owns it (Java's SubscriptionState, seen from the coordinator). */
export interface CoordinatorHost {
  ownedPartitions(): TopicPartition[];
  /** Replaces the assignment; every partition starts without a position (committed offsets are fetched). */
  assignFromSubscribed(partitions: readonly TopicPartition[]): void;
  wake(): void;
}

interface Generation {
  readonly generationId: number;
  readonly memberId: string;
  readonly protocolName: string | null;
}

const NO_GENERATION: Generation = { generationId: -1, memberId: "", protocolName: null };

interface CommitJob {
  readonly offsets: readonly PartitionOffset[];
  readonly deadlineUs: SimTimeUs;
  readonly callback: (result: CommitResult) => void;
  inFlight: boolean;
  retryAtUs: SimTimeUs;
}

interface OffsetFetchJob {
  readonly session: number;
  readonly callback: (result: CommittedOffsetsResult) => void;
}

type Response<T extends GroupAndTxnResponse["type"]> = Extract<GroupAndTxnResponse, { type: T }>;

/** Java's JOIN_GROUP_TIMEOUT_LAPSE: JoinGroup may wait the rebalance timeout at the coordinator, plus this. */
const JOIN_GROUP_TIMEOUT_LAPSE_MS = 5000;

const COORDINATOR_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>(["NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"]);

/**
 * Classic group membership of one consumer (Java's ConsumerCoordinator over AbstractCoordinator,
 * eager protocol, dynamic or static (KIP-345) membership, enable.auto.commit=false), driven from the consumer's
 * loop through `run`.
 *
 * FindCoordinator(GROUP) to the least loaded broker; JoinGroup (the first with an empty member
 * id: MEMBER_ID_REQUIRED hands one out, KIP-394, and the member joins again at once); the leader
 * computes the assignment with the chosen assignor over its metadata and sends it in SyncGroup;
 * the assignment replaces the consumer's (positions come from committed offsets). Before every
 * rejoin the owned partitions are revoked (onPartitionsRevoked, or onPartitionsLost once the
 * generation was reset) and the assignment emptied. Heartbeats every heartbeat.interval.ms while
 * COMPLETING_REBALANCE or STABLE; REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION and UNKNOWN_MEMBER_ID
 * make it rejoin (the last resets the member id, ILLEGAL_GENERATION only the generation);
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, a lost connection to the coordinator, or no
 * heartbeat answer within session.timeout.ms make it find the coordinator again. A consumer that
 * stays out of poll longer than max.poll.interval.ms leaves the group. Commits (OffsetCommit
 * with the generation and member id) retry retriable errors until default.api.timeout.ms;
 * OffsetFetch always asks requireStable (Java since KIP-447).
 *
 * A request answered after the coordinator was marked unknown is ignored, as Java fails it when
 * it drops the coordinator connection.
 */
export class ConsumerCoordinator {
  private subscription: readonly string[] = [];
  private listener: ConsumerRebalanceListener | undefined;
  private state: MemberState = "UNJOINED";
  private generation: Generation = NO_GENERATION;
  private coordinatorId: number | undefined;
  /** Bumped whenever the coordinator is marked unknown: answers from an older session are stale. */
  private session = 0;
  private findInFlight = false;
  private findRetryAtUs: SimTimeUs = 0;
  private rejoinNeeded = false;
  private needsJoinPrepare = true;
  private joinInFlight = false;
  private joinRetryAtUs: SimTimeUs = 0;
  private heartbeatInFlight = false;
  private nextHeartbeatUs: SimTimeUs = 0;
  private sessionDeadlineUs: SimTimeUs = Number.POSITIVE_INFINITY;
  private lastPollUs: SimTimeUs = 0;
  /** The partition counts the leader assigned from: a change makes it rejoin (Java's assignment snapshot). */
  private assignmentSnapshot: ReadonlyMap<string, number> | undefined;
  private readonly commits: CommitJob[] = [];
  private offsetFetch: OffsetFetchJob | undefined;
  private closed = false;
  private fatal: string | undefined;
  /** JoinGroup has its own request timeout (Java's joinGroupTimeoutMs); see the report on network-client.ts. */
  private readonly joinNetwork: NetworkClient;

  constructor(
    private readonly ctx: NodeContext,
    private readonly config: ConsumerConfig & { readonly groupId: string },
    private readonly network: NetworkClient,
    private readonly metadata: Metadata,
    private readonly host: CoordinatorHost,
    correlationIds: CorrelationIds,
  ) {
    const joinTimeoutMs = Math.max(config.requestTimeoutMs, config.maxPollIntervalMs + JOIN_GROUP_TIMEOUT_LAPSE_MS);
    this.joinNetwork = new NetworkClient(ctx, { requestTimeoutMs: joinTimeoutMs, maxInFlightRequestsPerConnection: 1, reconnectBackoffMs: config.reconnectBackoffMs }, correlationIds, `${config.clientId}/join`);
  }

  handle(from: string, message: Message): boolean {
    return this.joinNetwork.handle(from, message);
  }

  onDisconnect(peer: string, brokerId: number | undefined): void {
    this.joinNetwork.onDisconnect(peer);
    if (brokerId !== undefined && brokerId === this.coordinatorId) this.markCoordinatorUnknown("connection lost");
  }

  // ---- the application's view ----

  subscribe(topics: readonly string[], listener: ConsumerRebalanceListener | undefined): void {
    this.subscription = [...new Set(topics)].sort();
    this.listener = listener;
    this.lastPollUs = clientNowUs(this.ctx);
    for (const topic of this.subscription) this.metadata.add(topic);
    this.requestRejoin("subscription changed");
  }

  get subscribed(): readonly string[] {
    return this.subscription;
  }

  get memberState(): MemberState {
    return this.state;
  }

  get coordinator(): number | undefined {
    return this.coordinatorId;
  }

  /** A fatal group error (INCONSISTENT_GROUP_PROTOCOL, …): poll reports it. */
  get fatalError(): string | undefined {
    return this.fatal;
  }

  groupMetadata(): ConsumerGroupMetadata {
    return { groupId: this.config.groupId, generationId: this.generation.generationId, memberId: this.generation.memberId, groupInstanceId: this.config.groupInstanceId };
  }

  /** The application is inside poll: resets the max.poll.interval.ms timer. */
  polled(now: SimTimeUs): void {
    this.lastPollUs = now;
  }

  commitOffsets(offsets: readonly PartitionOffset[], callback: (result: CommitResult) => void): void {
    const now = clientNowUs(this.ctx);
    this.commits.push({ offsets: [...offsets], deadlineUs: now + msToUs(this.config.defaultApiTimeoutMs), callback, inFlight: false, retryAtUs: now });
  }

  /**
   * Sends OffsetFetch(requireStable) for `partitions` if the coordinator is known and none is in
   * flight; false when it could not be sent now (the consumer asks again on its next pass).
   */
  fetchCommittedOffsets(partitions: readonly TopicPartition[], callback: (result: CommittedOffsetsResult) => void): boolean {
    const node = this.coordinatorId;
    if (node === undefined || this.offsetFetch !== undefined || !this.network.isReady(node)) return false;
    const job: OffsetFetchJob = { session: this.session, callback };
    this.offsetFetch = job;
    const request = { type: "OffsetFetch", groupId: this.config.groupId, partitions: [...partitions], requireStable: true } as const;
    this.network.send(node, request, (result) => {
      if (this.offsetFetch !== job) return;
      this.offsetFetch = undefined;
      callback(this.committedFrom(partitions, result));
      this.host.wake();
    });
    return true;
  }

  /** Revokes the assignment and sends LeaveGroup; `done` runs once it is answered (or at once when there is nothing to leave). */
  close(done: () => void): void {
    if (this.closed) return;
    this.closed = true;
    this.revokeOwned();
    const node = this.coordinatorId;
    const memberId = this.generation.memberId;
    for (const job of this.commits.splice(0)) job.callback({ ok: false, error: "CONSUMER_CLOSED" });
    this.state = "UNJOINED";
    // A static member does not leave on close (Java's maybeLeaveGroup: dynamic members only): its
    // place waits for it until its session times out.
    if (node === undefined || memberId === "" || this.config.groupInstanceId !== null) {
      this.ctx.after(0, `${this.config.clientId}/closed`, done);
      return;
    }
    this.generation = NO_GENERATION;
    this.network.send(node, { type: "LeaveGroup", groupId: this.config.groupId, memberId }, () => done());
  }

  // ---- the loop ----

  /** One pass of the coordinator's work; returns when it next needs to run. */
  run(now: SimTimeUs, pollPending: boolean): SimTimeUs | undefined {
    if (this.closed || this.fatal !== undefined || this.subscription.length === 0) return undefined;
    let next = this.expireCommits(now);
    this.checkTimers(now, pollPending);
    if (this.coordinatorId === undefined) return earliest(next, this.findCoordinator(now));
    this.checkAssignmentSnapshot();
    next = earliest(next, this.maybeJoin(now));
    next = earliest(next, this.maybeHeartbeat(now));
    next = earliest(next, this.sendCommits(now));
    if (this.state === "COMPLETING_REBALANCE" || this.state === "STABLE") next = earliest(next, this.sessionDeadlineUs);
    if (this.state !== "UNJOINED" && !pollPending) next = earliest(next, this.lastPollUs + msToUs(this.config.maxPollIntervalMs) + 1);
    return next;
  }

  // ---- coordinator discovery ----

  private findCoordinator(now: SimTimeUs): SimTimeUs | undefined {
    if (this.findInFlight) return undefined;
    if (now < this.findRetryAtUs) return this.findRetryAtUs;
    const node = this.network.leastLoadedNode(this.metadata.candidates());
    if (node === undefined) return now + msToUs(this.config.retryBackoffMs);
    this.findInFlight = true;
    this.network.send(node, { type: "FindCoordinator", key: this.config.groupId, keyType: "GROUP" }, (result) => {
      this.findInFlight = false;
      const error = result.kind === "response" ? result.response.error : "NETWORK_EXCEPTION";
      if (result.kind === "response" && error === "NONE") {
        this.coordinatorId = result.response.nodeId;
        this.ctx.trace("consumer.coordinator-found", { owner: this.config.clientId, group: this.config.groupId, coordinator: result.response.nodeId });
      } else {
        this.findRetryAtUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
        if (result.kind === "disconnected") this.metadata.requestUpdate();
      }
      this.host.wake();
    });
    return undefined;
  }

  private markCoordinatorUnknown(reason: string): void {
    if (this.coordinatorId === undefined) return;
    this.ctx.trace("consumer.coordinator-unknown", { owner: this.config.clientId, group: this.config.groupId, coordinator: this.coordinatorId, reason });
    this.coordinatorId = undefined;
    this.session++;
    this.joinInFlight = false;
    this.heartbeatInFlight = false;
    this.findRetryAtUs = 0;
    for (const job of this.commits) job.inFlight = false;
    const fetch = this.offsetFetch;
    this.offsetFetch = undefined;
    if (this.state === "PREPARING_REBALANCE" || this.state === "COMPLETING_REBALANCE") this.rejoinNeeded = true;
    fetch?.callback({ ok: false, error: "NOT_COORDINATOR" });
    this.host.wake();
  }

  // ---- joining ----

  private requestRejoin(reason: string): void {
    if (!this.rejoinNeeded) this.ctx.trace("consumer.rejoin-requested", { owner: this.config.clientId, group: this.config.groupId, reason });
    this.rejoinNeeded = true;
    this.joinRetryAtUs = 0;
  }

  private resetGeneration(resetMemberId: boolean, reason: string): void {
    this.ctx.trace("consumer.generation-reset", { owner: this.config.clientId, group: this.config.groupId, reason, resetMemberId });
    this.generation = { generationId: -1, memberId: resetMemberId ? "" : this.generation.memberId, protocolName: null };
    this.state = "UNJOINED";
    this.requestRejoin(reason);
  }

  private maybeJoin(now: SimTimeUs): SimTimeUs | undefined {
    if (!this.rejoinNeeded || this.joinInFlight) return undefined;
    if (now < this.joinRetryAtUs) return this.joinRetryAtUs;
    // Join once the member's own topics are known, so the first assignment is not an empty one.
    if (this.subscription.some((topic) => this.metadata.partitionCount(topic) === undefined)) {
      this.metadata.requestUpdate();
      return undefined;
    }
    const node = this.coordinatorId as number;
    if (!this.joinNetwork.isReady(node)) return this.joinNetwork.readyAtUs(node) ?? now + msToUs(this.config.retryBackoffMs);
    if (this.needsJoinPrepare) {
      this.needsJoinPrepare = false;
      this.revokeOwned();
    }
    this.state = "PREPARING_REBALANCE";
    this.joinInFlight = true;
    const session = this.session;
    const protocols = this.config.partitionAssignmentStrategy.map((name) => ({ name, topics: this.subscription }));
    this.joinNetwork.send(
      node,
      {
        type: "JoinGroup",
        groupId: this.config.groupId,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        rebalanceTimeoutMs: this.config.maxPollIntervalMs,
        memberId: this.generation.memberId,
        groupInstanceId: this.config.groupInstanceId,
        protocolType: "consumer",
        protocols,
      },
      (result) => {
        if (session !== this.session) return;
        this.joinInFlight = false;
        this.onJoinResponse(result);
        this.host.wake();
      },
    );
    return undefined;
  }

  /** Java's onJoinPrepare under the eager protocol: revoke (or lose) everything, then empty the assignment. */
  private revokeOwned(): void {
    const owned = this.host.ownedPartitions();
    const lost = this.generation.generationId < 0 && owned.length > 0;
    this.ctx.trace("consumer.revoke", { owner: this.config.clientId, group: this.config.groupId, partitions: owned.length, lost });
    if (lost) (this.listener?.onPartitionsLost ?? this.listener?.onPartitionsRevoked)?.call(this.listener, owned);
    else this.listener?.onPartitionsRevoked(owned);
    this.host.assignFromSubscribed([]);
  }

  private onJoinResponse(result: ClientResponse<Response<"JoinGroupResponse">>): void {
    const backoff = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
    if (result.kind === "disconnected") {
      this.markCoordinatorUnknown("JoinGroup disconnected");
      return;
    }
    const response = result.response;
    this.ctx.trace("consumer.join-response", { owner: this.config.clientId, group: this.config.groupId, error: response.error, generation: response.generationId, memberId: response.memberId });
    switch (response.error) {
      case "NONE":
        this.onJoined(response);
        return;
      case "MEMBER_ID_REQUIRED":
        this.generation = { ...this.generation, memberId: response.memberId };
        this.joinRetryAtUs = 0;
        return;
      case "UNKNOWN_MEMBER_ID":
        this.resetGeneration(true, "JoinGroup UNKNOWN_MEMBER_ID");
        return;
      case "ILLEGAL_GENERATION":
        this.resetGeneration(false, "JoinGroup ILLEGAL_GENERATION");
        return;
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
        this.markCoordinatorUnknown(`JoinGroup ${response.error}`);
        this.joinRetryAtUs = backoff;
        return;
      case "COORDINATOR_LOAD_IN_PROGRESS":
      case "REBALANCE_IN_PROGRESS":
        this.joinRetryAtUs = backoff;
        return;
      default:
        this.fail(`JoinGroup ${response.error}`, response.error);
    }
  }

  private onJoined(response: Response<"JoinGroupResponse">): void {
    this.generation = { generationId: response.generationId, memberId: response.memberId, protocolName: response.protocolName };
    this.state = "COMPLETING_REBALANCE";
    this.resetSessionTimer();
    this.nextHeartbeatUs = clientNowUs(this.ctx) + msToUs(this.config.heartbeatIntervalMs);
    const isLeader = response.leader === response.memberId;
    const assignments = isLeader ? this.computeAssignment(response) : [];
    this.sendSyncGroup(assignments);
  }

  private computeAssignment(response: Response<"JoinGroupResponse">): ReturnType<typeof assignPartitions> {
    const counts = new Map<string, number>();
    for (const topic of new Set(response.members.flatMap((m) => m.topics))) {
      this.metadata.add(topic);
      const count = this.metadata.partitionCount(topic);
      if (count !== undefined) counts.set(topic, count);
    }
    this.assignmentSnapshot = counts;
    const assignor = (response.protocolName ?? this.config.partitionAssignmentStrategy[0]) as AssignorName;
    const assignments = assignPartitions(assignor, response.members, counts);
    this.ctx.trace("consumer.assignment-computed", { owner: this.config.clientId, group: this.config.groupId, assignor, members: response.members.length });
    return assignments;
  }

  private sendSyncGroup(assignments: ReturnType<typeof assignPartitions>): void {
    const node = this.coordinatorId as number;
    const session = this.session;
    const generation = this.generation;
    this.joinInFlight = true;
    this.joinNetwork.send(
      node,
      { type: "SyncGroup", groupId: this.config.groupId, generationId: generation.generationId, memberId: generation.memberId, groupInstanceId: this.config.groupInstanceId, assignments },
      (result) => {
        if (session !== this.session) return;
        this.joinInFlight = false;
        this.onSyncResponse(result);
        this.host.wake();
      },
    );
  }

  private onSyncResponse(result: ClientResponse<Response<"SyncGroupResponse">>): void {
    if (result.kind === "disconnected") {
      this.markCoordinatorUnknown("SyncGroup disconnected");
      return;
    }
    const response = result.response;
    this.ctx.trace("consumer.sync-response", { owner: this.config.clientId, group: this.config.groupId, error: response.error, partitions: response.partitions.length });
    switch (response.error) {
      case "NONE":
        this.onJoinComplete(response.partitions);
        return;
      case "REBALANCE_IN_PROGRESS":
        this.state = "PREPARING_REBALANCE";
        this.requestRejoin("SyncGroup REBALANCE_IN_PROGRESS");
        return;
      case "UNKNOWN_MEMBER_ID":
        this.resetGeneration(true, "SyncGroup UNKNOWN_MEMBER_ID");
        return;
      case "ILLEGAL_GENERATION":
        this.resetGeneration(false, "SyncGroup ILLEGAL_GENERATION");
        return;
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
        this.markCoordinatorUnknown(`SyncGroup ${response.error}`);
        this.requestRejoin(`SyncGroup ${response.error}`);
        this.joinRetryAtUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
        return;
      default:
        this.fail(`SyncGroup ${response.error}`, response.error);
    }
  }

  /** Java's onJoinComplete: the new assignment (only subscribed topics), then onPartitionsAssigned. */
  private onJoinComplete(partitions: readonly TopicPartition[]): void {
    const assigned = partitions.filter((tp) => this.subscription.includes(tp.topic));
    this.state = "STABLE";
    this.rejoinNeeded = false;
    this.needsJoinPrepare = true;
    this.nextHeartbeatUs = clientNowUs(this.ctx) + msToUs(this.config.heartbeatIntervalMs);
    this.ctx.trace("consumer.assigned", {
      owner: this.config.clientId,
      group: this.config.groupId,
      generation: this.generation.generationId,
      partitions: assigned.map((tp) => partitionKey(tp.topic, tp.partition)).join(","),
    });
    this.host.assignFromSubscribed(assigned);
    this.listener?.onPartitionsAssigned(assigned);
  }

  /** The leader rejoins when a topic's partition count differs from the one it assigned from. */
  private checkAssignmentSnapshot(): void {
    const snapshot = this.assignmentSnapshot;
    if (snapshot === undefined || this.state !== "STABLE" || this.rejoinNeeded) return;
    for (const [topic, count] of snapshot) {
      const now = this.metadata.partitionCount(topic);
      if (now !== undefined && now !== count) {
        this.assignmentSnapshot = undefined;
        this.requestRejoin(`partition count of ${topic} changed`);
        return;
      }
    }
  }

  private fail(reason: string, error: KafkaError): void {
    this.ctx.trace("consumer.group-fatal", { owner: this.config.clientId, group: this.config.groupId, reason });
    this.fatal = error;
  }

  // ---- heartbeats and timers ----

  private resetSessionTimer(): void {
    this.sessionDeadlineUs = clientNowUs(this.ctx) + msToUs(this.config.sessionTimeoutMs);
  }

  private checkTimers(now: SimTimeUs, pollPending: boolean): void {
    const joined = this.state === "COMPLETING_REBALANCE" || this.state === "STABLE";
    if (joined && this.coordinatorId !== undefined && now >= this.sessionDeadlineUs) {
      this.sessionDeadlineUs = Number.POSITIVE_INFINITY;
      this.markCoordinatorUnknown("session timed out without a heartbeat response");
    }
    if (this.state !== "UNJOINED" && !pollPending && now - this.lastPollUs > msToUs(this.config.maxPollIntervalMs)) this.leaveOnPollTimeout();
  }

  /** Java's maybeLeaveGroup on an expired max.poll.interval.ms: leave, reset, and rejoin on the next poll. */
  private leaveOnPollTimeout(): void {
    const node = this.coordinatorId;
    const memberId = this.generation.memberId;
    if (node !== undefined && memberId !== "" && this.config.groupInstanceId === null) this.network.send(node, { type: "LeaveGroup", groupId: this.config.groupId, memberId }, () => undefined);
    this.resetGeneration(true, "max.poll.interval.ms expired");
  }

  private maybeHeartbeat(now: SimTimeUs): SimTimeUs | undefined {
    if ((this.state !== "STABLE" && this.state !== "COMPLETING_REBALANCE") || this.heartbeatInFlight) return undefined;
    if (now < this.nextHeartbeatUs) return this.nextHeartbeatUs;
    const node = this.coordinatorId as number;
    if (!this.network.isReady(node)) return this.network.readyAtUs(node) ?? now + msToUs(this.config.retryBackoffMs);
    this.heartbeatInFlight = true;
    this.nextHeartbeatUs = now + msToUs(this.config.heartbeatIntervalMs);
    const session = this.session;
    const generation = this.generation;
    this.network.send(node, { type: "Heartbeat", groupId: this.config.groupId, generationId: generation.generationId, memberId: generation.memberId, groupInstanceId: this.config.groupInstanceId }, (result) => {
      if (session !== this.session) return;
      this.heartbeatInFlight = false;
      this.onHeartbeatResponse(result, generation);
      this.host.wake();
    });
    return undefined;
  }

  private onHeartbeatResponse(result: ClientResponse<Response<"HeartbeatResponse">>, sent: Generation): void {
    if (result.kind === "disconnected") {
      this.markCoordinatorUnknown("Heartbeat disconnected");
      return;
    }
    const error = result.response.error;
    if (error !== "NONE") this.ctx.trace("consumer.heartbeat-error", { owner: this.config.clientId, group: this.config.groupId, error });
    switch (error) {
      case "NONE":
        this.resetSessionTimer();
        return;
      case "REBALANCE_IN_PROGRESS":
        this.resetSessionTimer();
        if (this.state === "STABLE") this.requestRejoin("Heartbeat REBALANCE_IN_PROGRESS");
        return;
      case "ILLEGAL_GENERATION":
      case "UNKNOWN_MEMBER_ID":
        if (this.generation === sent) this.resetGeneration(error !== "ILLEGAL_GENERATION", `Heartbeat ${error}`);
        return;
      case "FENCED_INSTANCE_ID":
        // A newer instance holds this group.instance.id: fatal (Java's FencedInstanceIdException), unless the generation moved on meanwhile.
        if (this.generation === sent) this.fail(`Heartbeat ${error}`, error);
        return;
      default:
        if (COORDINATOR_ERRORS.has(error)) this.markCoordinatorUnknown(`Heartbeat ${error}`);
        else this.nextHeartbeatUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
    }
  }

  // ---- offsets ----

  private expireCommits(now: SimTimeUs): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    for (const job of [...this.commits]) {
      if (job.inFlight) continue;
      if (now >= job.deadlineUs) this.finishCommit(job, { ok: false, error: "TIMEOUT" });
      else next = earliest(next, job.deadlineUs);
    }
    return next;
  }

  private sendCommits(now: SimTimeUs): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    const node = this.coordinatorId as number;
    for (const job of [...this.commits]) {
      if (job.inFlight) continue;
      if (now < job.retryAtUs) {
        next = earliest(next, job.retryAtUs);
        continue;
      }
      // Java's generationIfStable: a subscribed consumer commits only with a stable generation.
      if (this.state !== "STABLE") {
        this.finishCommit(job, { ok: false, error: this.state === "UNJOINED" ? "COMMIT_FAILED" : "REBALANCE_IN_PROGRESS" });
        continue;
      }
      if (!this.network.isReady(node)) {
        next = earliest(next, this.network.readyAtUs(node) ?? now + msToUs(this.config.retryBackoffMs));
        continue;
      }
      this.sendCommit(node, job);
    }
    return next;
  }

  private sendCommit(node: number, job: CommitJob): void {
    job.inFlight = true;
    const session = this.session;
    const generation = this.generation;
    this.network.send(
      node,
      { type: "OffsetCommit", groupId: this.config.groupId, generationId: generation.generationId, memberId: generation.memberId, groupInstanceId: this.config.groupInstanceId, offsets: job.offsets },
      (result) => {
        if (session !== this.session || !job.inFlight) return;
        job.inFlight = false;
        this.onCommitResponse(job, generation, result);
        this.host.wake();
      },
    );
  }

  private onCommitResponse(job: CommitJob, sent: Generation, result: ClientResponse<Response<"OffsetCommitResponse">>): void {
    const retryAt = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
    if (result.kind === "disconnected") {
      this.markCoordinatorUnknown("OffsetCommit disconnected");
      job.retryAtUs = retryAt;
      return;
    }
    const error = result.response.results.find((r) => r.error !== "NONE")?.error ?? "NONE";
    switch (error) {
      case "NONE":
        this.finishCommit(job, { ok: true });
        return;
      case "COORDINATOR_LOAD_IN_PROGRESS":
      case "UNKNOWN_TOPIC_OR_PARTITION":
        job.retryAtUs = retryAt;
        return;
      case "NOT_COORDINATOR":
      case "COORDINATOR_NOT_AVAILABLE":
      case "REQUEST_TIMED_OUT":
        this.markCoordinatorUnknown(`OffsetCommit ${error}`);
        job.retryAtUs = retryAt;
        return;
      case "REBALANCE_IN_PROGRESS":
        this.requestRejoin("OffsetCommit REBALANCE_IN_PROGRESS");
        this.finishCommit(job, { ok: false, error });
        return;
      case "UNKNOWN_MEMBER_ID":
      case "ILLEGAL_GENERATION":
        if (this.generation === sent) this.resetGeneration(error === "UNKNOWN_MEMBER_ID", `OffsetCommit ${error}`);
        this.finishCommit(job, { ok: false, error: "COMMIT_FAILED" });
        return;
      case "FENCED_INSTANCE_ID":
        if (this.generation === sent) this.fail(`OffsetCommit ${error}`, error);
        this.finishCommit(job, { ok: false, error: this.generation === sent ? error : "REBALANCE_IN_PROGRESS" });
        return;
      default:
        this.finishCommit(job, { ok: false, error });
    }
  }

  private finishCommit(job: CommitJob, result: CommitResult): void {
    const at = this.commits.indexOf(job);
    if (at >= 0) this.commits.splice(at, 1);
    this.ctx.trace("consumer.commit", { owner: this.config.clientId, group: this.config.groupId, ok: result.ok, error: result.ok ? "NONE" : result.error, partitions: job.offsets.length });
    job.callback(result);
  }

  private committedFrom(partitions: readonly TopicPartition[], result: ClientResponse<Response<"OffsetFetchResponse">>): CommittedOffsetsResult {
    if (result.kind === "disconnected") {
      this.markCoordinatorUnknown("OffsetFetch disconnected");
      return { ok: false, error: "NETWORK_EXCEPTION" };
    }
    const response = result.response;
    if (response.error !== "NONE") {
      if (COORDINATOR_ERRORS.has(response.error)) this.markCoordinatorUnknown(`OffsetFetch ${response.error}`);
      return { ok: false, error: response.error };
    }
    const failed = response.offsets.find((o) => o.error !== "NONE");
    if (failed !== undefined) return { ok: false, error: failed.error };
    const offsets = new Map<string, number | undefined>();
    for (const { topic, partition } of partitions) {
      const entry = response.offsets.find((o) => o.topic === topic && o.partition === partition);
      offsets.set(partitionKey(topic, partition), entry === undefined || entry.offset < 0 ? undefined : entry.offset);
    }
    return { ok: true, offsets };
  }
}
