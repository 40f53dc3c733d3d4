import type { Message, NodeContext } from "../../../../sim/actor.js";
import { msToUs, type SimTimeUs } from "../../../../sim/time.js";
import type { KafkaError } from "../errors.js";
import { brokerIdOf } from "../names.js";
import { CONSUMER_REPLICA_ID, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, partitionKey, type KafkaResponse, type PartitionOffset, type TopicPartition } from "../protocol.js";
import { CompletedFetch, CONSUMER_BUGS, type ConsumerRecord } from "./completed-fetch.js";
import { resolveConsumerConfig, type ConsumerConfig, type ConsumerOptions } from "./consumer-config.js";
import { ConsumerCoordinator, type CommitResult, type CommittedOffsetsResult, type ConsumerGroupMetadata, type ConsumerRebalanceListener } from "./consumer-coordinator.js";
import { isInvalidMetadataError, Metadata } from "./metadata.js";
import { CorrelationIds, NetworkClient, type ClientResponse } from "./network-client.js";
import { clientNowUs, earliest, SettlingLoop, Wakeup } from "./wakeup.js";

export type { ConsumerRecord } from "./completed-fetch.js";
export type { CommitResult, ConsumerGroupMetadata, ConsumerRebalanceListener } from "./consumer-coordinator.js";

export type PollResult =
  | { readonly ok: true; readonly records: readonly ConsumerRecord[] }
  /** What Java's poll() throws: OFFSET_OUT_OF_RANGE or NO_OFFSET with autoOffsetReset=none. */
  | { readonly ok: false; readonly error: string; readonly partitions: readonly TopicPartition[] };

export type EndOffsetsResult =
  | { readonly ok: true; readonly offsets: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly error: string };

export type PartitionsForResult = { readonly ok: true; readonly partitions: readonly number[] } | { readonly ok: false; readonly error: string };

/** Why a position was set other than by the application's seek: a reset, or the group's committed offset. */
export type ResetReason = "earliest" | "latest" | "committed";

/** Automatic resets sent as ListOffsets. */
type OffsetResetReason = Exclude<ResetReason, "committed">;

/** Called when an automatic reset (auto.offset.reset, seekToBeginning/End) or the group's committed offset has set a position. */
export type ResetListener = (tp: TopicPartition, offset: number, reason: ResetReason) => void;

interface Assigned {
  readonly topic: string;
  readonly partition: number;
  readonly tp: string;
  /** The next offset to return; undefined while a reset is pending. */
  position: number | undefined;
  /** A pending reset, sent as ListOffsets to the leader. */
  reset: OffsetResetReason | undefined;
  /** Assigned by the group: the position comes from the committed offset (OffsetFetch) first. */
  awaitingCommitted: boolean;
  resetInFlight: boolean;
  resetRetryAtUs: SimTimeUs;
  /** auto.offset.reset=none and no position: poll reports it. */
  noOffset: boolean;
  /** OFFSET_OUT_OF_RANGE with auto.offset.reset=none: poll reports it. */
  outOfRange: boolean;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

interface PendingPoll {
  readonly callback: (result: PollResult) => void;
  readonly deadlineUs: SimTimeUs;
}

interface EndOffsetsJob {
  readonly partitions: readonly TopicPartition[];
  readonly results: Map<string, number>;
  readonly inFlight: Set<string>;
  readonly deadlineUs: SimTimeUs;
  retryAtUs: SimTimeUs;
  readonly callback: (result: EndOffsetsResult) => void;
}

interface PartitionsForJob {
  readonly topic: string;
  readonly deadlineUs: SimTimeUs;
  readonly callback: (result: PartitionsForResult) => void;
}

type FetchResponse = Extract<KafkaResponse, { type: "FetchResponse" }>;
type ListOffsetsResponse = Extract<KafkaResponse, { type: "ListOffsetsResponse" }>;

/** The Java consumer's fixed max.in.flight per connection. */
const CONSUMER_MAX_IN_FLIGHT = 100;

/**
 * Kafka's consumer with manual assignment (KafkaConsumer + Fetcher/FetchCollector, no group),
 * used inside an application actor that routes `handle` and `onDisconnect` to it.
 *
 * `poll` fetches from partition leaders, one Fetch per leader holding every assigned partition
 * it leads that has a position and no buffered data, and returns up to max.poll.records in
 * offset order per partition, advancing each position past the records returned and past
 * control batches. A position is reset with ListOffsets when the partition has none (new
 * assignment, seekToBeginning/End) or after OFFSET_OUT_OF_RANGE, per auto.offset.reset;
 * NOT_LEADER_OR_FOLLOWER and the other stale-metadata errors refresh metadata and retry.
 * read_committed filters aborted transactions (see CompletedFetch); the broker bounds it by
 * the LSO.
 *
 * With a group.id, `subscribe` makes it a group member instead (ConsumerCoordinator, see
 * consumer-coordinator.ts): the group's assignment replaces the assignment, and each newly
 * assigned partition takes its position from the group's committed offset (OffsetFetch with
 * requireStable, retried after retry.backoff.ms while UNSTABLE_OFFSET_COMMIT), or from
 * auto.offset.reset when there is none. `commitOffsets` is commitSync; `groupMetadata` is what
 * sendOffsetsToTransaction takes.
 *
 * The consumer never bounds records by the LSO itself, as Java does not: under read_committed
 * the broker serves only what lies below the LSO, and ListOffsets(latest) answers the LSO.
 *
 * Not modelled: KIP-320 position validation with OffsetsForLeaderEpoch after a leader change,
 * fetch sessions, pause/resume, auto-commit, commits without a subscription.
 */
export class KafkaConsumer {
  readonly config: ConsumerConfig;
  readonly metadata: Metadata;
  private readonly network: NetworkClient;
  private readonly wakeup: Wakeup;
  private readonly loop: SettlingLoop;
  private readonly assigned = new Map<string, Assigned>();
  private buffered: CompletedFetch[] = [];
  private readonly fetchInFlight = new Set<number>();
  private readonly fetchIdleUntilUs = new Map<number, SimTimeUs>();
  private pendingPoll: PendingPoll | undefined;
  private readonly endOffsetJobs: EndOffsetsJob[] = [];
  private readonly partitionsForJobs: PartitionsForJob[] = [];
  private readonly resetListeners: ResetListener[] = [];
  private readonly coordinator: ConsumerCoordinator | undefined;
  private committedFetchInFlight = false;
  private committedRetryAtUs: SimTimeUs = 0;

  constructor(
    private readonly ctx: NodeContext,
    options: ConsumerOptions,
    correlationIds: CorrelationIds = new CorrelationIds(),
  ) {
    this.config = resolveConsumerConfig(options);
    const c = this.config;
    this.network = new NetworkClient(ctx, { requestTimeoutMs: c.requestTimeoutMs, maxInFlightRequestsPerConnection: CONSUMER_MAX_IN_FLIGHT, reconnectBackoffMs: c.reconnectBackoffMs }, correlationIds, c.clientId);
    this.metadata = new Metadata(ctx, this.network, { bootstrapBrokers: c.bootstrapBrokers, metadataMaxAgeMs: c.metadataMaxAgeMs, retryBackoffMs: c.retryBackoffMs }, c.clientId);
    this.wakeup = new Wakeup(ctx, `${c.clientId}/poll`, () => this.wake());
    this.loop = new SettlingLoop(`${c.clientId}: consumer loop`, () => {
      this.runOnce();
      return false;
    });
    this.metadata.onUpdate(() => this.wake());
    const groupId = c.groupId;
    if (groupId !== null) {
      const host = { ownedPartitions: () => this.assignment(), assignFromSubscribed: (p: readonly TopicPartition[]) => this.assignFromSubscribed(p), wake: () => this.wake() };
      this.coordinator = new ConsumerCoordinator(ctx, { ...c, groupId }, this.network, this.metadata, host, correlationIds);
    }
  }

  handle(from: string, message: Message): boolean {
    return this.network.handle(from, message) || this.coordinator?.handle(from, message) === true;
  }

  onDisconnect(peer: string): void {
    this.network.onDisconnect(peer);
    this.coordinator?.onDisconnect(peer, brokerIdOf(peer));
  }

  onReset(listener: ResetListener): void {
    this.resetListeners.push(listener);
  }

  // ---- assignment and positions ----

  /** Replaces the assignment. Kept partitions keep their positions; new ones need a reset. */
  assign(partitions: readonly TopicPartition[]): void {
    if (this.subscribed) throw new Error(`${this.config.clientId}: assign while subscribed (Java's IllegalStateException)`);
    this.replaceAssignment(partitions, false);
  }

  // ---- group membership ----

  /** Joins the group (group.id) for `topics`; the group's assignment replaces any manual one. */
  subscribe(topics: readonly string[], listener?: ConsumerRebalanceListener): void {
    const coordinator = this.requireCoordinator("subscribe");
    if (topics.length === 0) throw new Error(`${this.config.clientId}: subscribe to no topics (use close to leave the group)`);
    if (!this.subscribed) this.replaceAssignment([], false);
    coordinator.subscribe(topics, listener);
    this.wake();
  }

  get subscribed(): boolean {
    return (this.coordinator?.subscribed.length ?? 0) > 0;
  }

  /** The group generation and member id (Java's groupMetadata(), for sendOffsetsToTransaction). */
  groupMetadata(): ConsumerGroupMetadata {
    return this.requireCoordinator("groupMetadata").groupMetadata();
  }

  /** commitSync: OffsetCommit with the generation, retried on retriable errors until default.api.timeout.ms. */
  commitOffsets(offsets: readonly PartitionOffset[], callback: (result: CommitResult) => void): void {
    const coordinator = this.requireCoordinator("commitOffsets");
    if (!this.subscribed) {
      this.ctx.after(0, `${this.config.clientId}/commit-failed`, () => callback({ ok: false, error: "NOT_SUBSCRIBED" }));
      return;
    }
    coordinator.commitOffsets(offsets, callback);
    this.ctx.after(0, `${this.config.clientId}/commit`, () => this.wake());
  }

  /** Leaves the group (revoking the assignment first) and stops; `done` runs once LeaveGroup is answered. */
  close(done: () => void = () => undefined): void {
    if (this.coordinator === undefined || !this.subscribed) {
      this.replaceAssignment([], false);
      this.ctx.after(0, `${this.config.clientId}/closed`, done);
      return;
    }
    this.coordinator.close(done);
  }

  private requireCoordinator(call: string): ConsumerCoordinator {
    if (this.coordinator === undefined) throw new Error(`${this.config.clientId}: ${call} needs a groupId (Java's InvalidGroupIdException)`);
    return this.coordinator;
  }

  /** The coordinator's assignment (SubscriptionState.assignFromSubscribed): new partitions wait for their committed offset. */
  private assignFromSubscribed(partitions: readonly TopicPartition[]): void {
    this.replaceAssignment(partitions, true);
  }

  private replaceAssignment(partitions: readonly TopicPartition[], fromGroup: boolean): void {
    const previous = new Map(this.assigned);
    this.assigned.clear();
    for (const { topic, partition } of partitions) {
      const tp = partitionKey(topic, partition);
      const kept = previous.get(tp);
      this.assigned.set(tp, kept ?? this.newAssigned(topic, partition, fromGroup));
      this.metadata.add(topic);
    }
    this.buffered = this.buffered.filter((f) => this.assigned.has(partitionKey(f.topic, f.partition)));
    this.wake();
  }

  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  seek(tp: TopicPartition, offset: number): void {
    const state = this.require(tp);
    state.position = offset;
    state.reset = undefined;
    state.awaitingCommitted = false;
    state.noOffset = false;
    state.outOfRange = false;
    this.dropBuffered(state.tp);
    this.wake();
  }

  seekToBeginning(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.requestReset(this.require(tp), "earliest");
    this.wake();
  }

  seekToEnd(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.requestReset(this.require(tp), "latest");
    this.wake();
  }

  /** The next offset poll will return for `tp`; undefined while a reset is pending. */
  position(tp: TopicPartition): number | undefined {
    return this.require(tp).position;
  }

  /** The last high watermark / LSO / log start offset a fetch reported, -1 if none yet. */
  fetchedOffsets(tp: TopicPartition): { readonly highWatermark: number; readonly lastStableOffset: number; readonly logStartOffset: number } {
    const { highWatermark, lastStableOffset, logStartOffset } = this.require(tp);
    return { highWatermark, lastStableOffset, logStartOffset };
  }

  // ---- requests from the application ----

  /**
   * Returns records through `callback` as soon as some are available, or an empty list after
   * `timeoutMs`. One poll at a time. The callback always runs from an event, never inside poll.
   */
  poll(timeoutMs: number, callback: (result: PollResult) => void): void {
    if (this.pendingPoll !== undefined) throw new Error(`${this.config.clientId}: poll while another poll is pending`);
    this.pendingPoll = { callback, deadlineUs: clientNowUs(this.ctx) + msToUs(timeoutMs) };
    this.coordinator?.polled(clientNowUs(this.ctx));
    // Defer: a poll's callback never runs inside poll().
    this.ctx.after(0, `${this.config.clientId}/poll-start`, () => this.wake());
  }

  /** The end offsets (ListOffsets latest: the HW, or the LSO under read_committed), retried until default.api.timeout.ms. */
  endOffsets(partitions: readonly TopicPartition[], callback: (result: EndOffsetsResult) => void): void {
    for (const { topic } of partitions) this.metadata.add(topic);
    const now = clientNowUs(this.ctx);
    this.endOffsetJobs.push({ partitions: [...partitions], results: new Map(), inFlight: new Set(), deadlineUs: now + msToUs(this.config.defaultApiTimeoutMs), retryAtUs: now, callback });
    this.ctx.after(0, `${this.config.clientId}/end-offsets`, () => this.wake());
  }

  /** The partitions of `topic` from metadata, waiting for them up to default.api.timeout.ms. */
  partitionsFor(topic: string, callback: (result: PartitionsForResult) => void): void {
    this.metadata.add(topic);
    this.partitionsForJobs.push({ topic, deadlineUs: clientNowUs(this.ctx) + msToUs(this.config.defaultApiTimeoutMs), callback });
    this.ctx.after(0, `${this.config.clientId}/partitions-for`, () => this.wake());
  }

  // ---- the loop ----

  private wake(): void {
    this.loop.wake();
  }

  private runOnce(): void {
    const now = clientNowUs(this.ctx);
    let next: SimTimeUs | undefined;
    if (this.pendingPoll !== undefined) this.coordinator?.polled(now);
    next = earliest(next, this.coordinator?.run(now, this.pendingPoll !== undefined));
    next = earliest(next, this.runPartitionsFor(now));
    next = earliest(next, this.runEndOffsets(now));
    next = earliest(next, this.refreshCommittedOffsets(now));
    next = earliest(next, this.sendResets(now));
    if (this.pendingPoll !== undefined) {
      next = earliest(next, this.sendFetches(now));
      this.maybeCompletePoll(now);
    }
    if (this.pendingPoll !== undefined) next = earliest(next, this.pendingPoll.deadlineUs);
    this.wakeup.set(next);
  }

  private maybeCompletePoll(now: SimTimeUs): void {
    const poll = this.pendingPoll;
    if (poll === undefined) return;
    const groupError = this.coordinator?.fatalError;
    if (groupError !== undefined) {
      this.pendingPoll = undefined;
      poll.callback({ ok: false, error: groupError, partitions: [] });
      return;
    }
    let failed: Assigned[] | undefined;
    for (const a of this.assigned.values()) if (a.noOffset || a.outOfRange) (failed ??= []).push(a);
    if (failed !== undefined) {
      this.pendingPoll = undefined;
      const error = failed.some((a) => a.outOfRange) ? "OFFSET_OUT_OF_RANGE" : "NO_OFFSET_FOR_PARTITION";
      // Reported once; the next fetch from the same position reports it again, as Java's poll throws again.
      for (const a of failed) a.outOfRange = false;
      poll.callback({ ok: false, error, partitions: failed.map(({ topic, partition }) => ({ topic, partition })) });
      return;
    }
    const records = this.collectRecords();
    if (records.length === 0 && now < poll.deadlineUs) return;
    this.pendingPoll = undefined;
    this.coordinator?.polled(now);
    // Pipelining, as Java does: the next fetches go out before the records are handed over.
    if (records.length > 0) this.sendFetches(now);
    poll.callback({ ok: true, records });
  }

  /** Java's FetchCollector.collectFetch: up to max.poll.records from the buffered fetches, in arrival order. */
  private collectRecords(): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    while (this.buffered.length > 0 && out.length < this.config.maxPollRecords) {
      const fetch = this.buffered[0] as CompletedFetch;
      const state = this.assigned.get(partitionKey(fetch.topic, fetch.partition));
      // The records left are valid only while the position is where they continue from (a
      // response holding nothing but control batches has no records, and moves the position).
      const continuesFrom = fetch.taken === 0 ? fetch.fetchOffset : fetch.position;
      if (state === undefined || state.position !== continuesFrom) {
        this.buffered.shift();
        continue;
      }
      const taken = fetch.take(this.config.maxPollRecords - out.length);
      out.push(...taken);
      state.position = fetch.position;
      if (taken.length > 0) {
        this.ctx.trace("consumer.records", { group: "", topic: fetch.topic, partition: fetch.partition, count: taken.length, position: state.position });
      }
      if (fetch.exhausted) this.buffered.shift();
    }
    return out;
  }

  // ---- fetching ----

  /** Sends one Fetch per leader that has fetchable partitions; returns when a backing-off leader may be fetched again. */
  private sendFetches(now: SimTimeUs): SimTimeUs | undefined {
    const byNode = new Map<number, { state: Assigned; leaderEpoch: number }[]>();
    for (const state of this.assigned.values()) {
      if (state.position === undefined || this.hasBuffered(state)) continue;
      const leader = this.metadata.leaderFor(state.topic, state.partition);
      if (leader === undefined) {
        this.metadata.requestUpdate();
        continue;
      }
      let list = byNode.get(leader.leader);
      if (list === undefined) {
        list = [];
        byNode.set(leader.leader, list);
      }
      list.push({ state, leaderEpoch: leader.leaderEpoch });
    }
    let next: SimTimeUs | undefined;
    for (const [node, parts] of [...byNode].sort(([a], [b]) => a - b)) {
      if (this.fetchInFlight.has(node)) continue;
      const idleUntil = this.fetchIdleUntilUs.get(node) ?? 0;
      if (now < idleUntil) {
        next = earliest(next, idleUntil);
        continue;
      }
      if (!this.network.isReady(node)) {
        next = earliest(next, this.network.readyAtUs(node));
        continue;
      }
      const partitions = parts.map(({ state, leaderEpoch }) => ({
        topic: state.topic,
        partition: state.partition,
        fetchOffset: state.position as number,
        currentLeaderEpoch: leaderEpoch,
        lastFetchedEpoch: -1,
      }));
      this.fetchInFlight.add(node);
      this.network.send(
        node,
        {
          type: "Fetch",
          replicaId: CONSUMER_REPLICA_ID,
          replicaEpoch: -1,
          isolationLevel: this.config.isolationLevel,
          maxBytes: this.config.fetchMaxBytes,
          maxWaitMs: this.config.fetchMaxWaitMs,
          partitions,
        },
        (result) => this.handleFetchResponse(node, partitions, result),
      );
    }
    return next;
  }

  /** Whether a completed fetch of this partition waits in the buffer (a few at most: a scan, no set). */
  private hasBuffered(state: Assigned): boolean {
    for (const fetch of this.buffered) if (fetch.partition === state.partition && fetch.topic === state.topic) return true;
    return false;
  }

  private handleFetchResponse(node: number, sent: readonly { topic: string; partition: number; fetchOffset: number }[], result: ClientResponse<FetchResponse>): void {
    this.fetchInFlight.delete(node);
    const now = clientNowUs(this.ctx);
    if (result.kind === "disconnected") {
      this.metadata.requestUpdate();
      this.fetchIdleUntilUs.set(node, now + msToUs(this.config.retryBackoffMs));
      this.wake();
      return;
    }
    const response = result.response;
    if (response.error !== "NONE") {
      if (isInvalidMetadataError(response.error)) this.metadata.requestUpdate();
      this.fetchIdleUntilUs.set(node, now + msToUs(this.config.retryBackoffMs));
      this.wake();
      return;
    }
    let gotError = false;
    for (const request of sent) {
      const part = response.partitions.find((p) => p.topic === request.topic && p.partition === request.partition);
      const state = this.assigned.get(partitionKey(request.topic, request.partition));
      // Unassigned, or the position moved (seek, reset) while the fetch was out: drop it.
      if (part === undefined || state === undefined || state.position !== request.fetchOffset) continue;
      if (part.error === "NONE") {
        state.highWatermark = part.highWatermark;
        state.lastStableOffset = part.lastStableOffset;
        state.logStartOffset = part.logStartOffset;
        const fetch = new CompletedFetch(request.topic, request.partition, request.fetchOffset, part, this.config.isolationLevel, this.ctx.bugs.has(CONSUMER_BUGS.stuckOnTrailingMarker));
        if (fetch.records.length > 0 || fetch.nextFetchOffset > request.fetchOffset) this.buffered.push(fetch);
      } else {
        gotError = true;
        this.handlePartitionError(state, part.error);
      }
    }
    // After a partition error the leader is asked again after retry.backoff.ms (metadata or a reset first).
    // An empty answer is fetched again at once: the leader holds a fetch up to fetch.max.wait.ms.
    if (gotError) this.fetchIdleUntilUs.set(node, now + msToUs(this.config.retryBackoffMs));
    this.wake();
  }

  private handlePartitionError(state: Assigned, error: KafkaError): void {
    this.ctx.trace("consumer.fetch-error", { owner: this.config.clientId, tp: state.tp, error, position: state.position ?? -1 });
    if (error === "OFFSET_OUT_OF_RANGE") {
      if (this.config.autoOffsetReset === "none") state.outOfRange = true;
      else this.requestReset(state, this.config.autoOffsetReset);
      return;
    }
    if (isInvalidMetadataError(error)) this.metadata.requestUpdate();
  }

  // ---- committed offsets (group members) ----

  /** Java's refreshCommittedOffsetsIfNeeded: one OffsetFetch for every partition waiting for its committed offset. */
  private refreshCommittedOffsets(now: SimTimeUs): SimTimeUs | undefined {
    const coordinator = this.coordinator;
    if (coordinator === undefined || this.committedFetchInFlight) return undefined;
    const waiting = [...this.assigned.values()].filter((a) => a.awaitingCommitted);
    if (waiting.length === 0) return undefined;
    if (now < this.committedRetryAtUs) return this.committedRetryAtUs;
    const partitions = waiting.map(({ topic, partition }) => ({ topic, partition }));
    const sent = coordinator.fetchCommittedOffsets(partitions, (result) => {
      this.committedFetchInFlight = false;
      this.applyCommittedOffsets(waiting, result);
    });
    if (sent) this.committedFetchInFlight = true;
    return undefined;
  }

  private applyCommittedOffsets(asked: readonly Assigned[], result: CommittedOffsetsResult): void {
    if (!result.ok) {
      this.ctx.trace("consumer.offset-fetch-failed", { owner: this.config.clientId, error: result.error });
      this.committedRetryAtUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
      this.wake();
      return;
    }
    for (const state of asked) {
      // Revoked (or revoked and assigned again) meanwhile: the answer belongs to an older assignment.
      if (this.assigned.get(state.tp) !== state || !state.awaitingCommitted) continue;
      state.awaitingCommitted = false;
      const offset = result.offsets.get(state.tp);
      if (offset === undefined) {
        if (this.config.autoOffsetReset === "none") state.noOffset = true;
        else this.requestReset(state, this.config.autoOffsetReset);
        continue;
      }
      state.position = offset;
      this.ctx.trace("consumer.reset", { owner: this.config.clientId, tp: state.tp, offset, reason: "committed" });
      for (const listener of this.resetListeners) listener({ topic: state.topic, partition: state.partition }, offset, "committed");
    }
    this.wake();
  }

  // ---- position resets (ListOffsets) ----

  private requestReset(state: Assigned, reason: OffsetResetReason): void {
    state.position = undefined;
    state.reset = reason;
    state.awaitingCommitted = false;
    state.resetRetryAtUs = 0;
    this.dropBuffered(state.tp);
  }

  private sendResets(now: SimTimeUs): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    const byNode = new Map<number, Assigned[]>();
    for (const state of this.assigned.values()) {
      if (state.reset === undefined || state.resetInFlight) continue;
      if (now < state.resetRetryAtUs) {
        next = earliest(next, state.resetRetryAtUs);
        continue;
      }
      const leader = this.metadata.leaderFor(state.topic, state.partition);
      if (leader === undefined) {
        this.metadata.requestUpdate();
        continue;
      }
      const list = byNode.get(leader.leader) ?? [];
      list.push(state);
      byNode.set(leader.leader, list);
    }
    for (const [node, states] of [...byNode].sort(([a], [b]) => a - b)) {
      if (!this.network.isReady(node)) {
        next = earliest(next, this.network.readyAtUs(node));
        continue;
      }
      const asked = states.map((s) => ({ state: s, reason: s.reset as OffsetResetReason }));
      for (const s of states) s.resetInFlight = true;
      const partitions = asked.map(({ state, reason }) => ({ topic: state.topic, partition: state.partition, timestamp: reason === "earliest" ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP }));
      this.network.send(node, { type: "ListOffsets", isolationLevel: this.config.isolationLevel, partitions }, (result) => {
        for (const { state } of asked) state.resetInFlight = false;
        this.handleResetResponse(asked, result);
      });
    }
    return next;
  }

  private handleResetResponse(asked: readonly { state: Assigned; reason: OffsetResetReason }[], result: ClientResponse<ListOffsetsResponse>): void {
    const retryAt = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
    for (const { state, reason } of asked) {
      // Reassigned, sought or reset again meanwhile: this answer is stale.
      if (this.assigned.get(state.tp) !== state || state.reset !== reason) continue;
      const part = result.kind === "response" ? result.response.partitions.find((p) => p.topic === state.topic && p.partition === state.partition) : undefined;
      if (part === undefined || part.error !== "NONE") {
        if (part === undefined || isInvalidMetadataError(part.error)) this.metadata.requestUpdate();
        state.resetRetryAtUs = retryAt;
        continue;
      }
      state.position = part.offset;
      state.reset = undefined;
      this.ctx.trace("consumer.reset", { owner: this.config.clientId, tp: state.tp, offset: part.offset, reason });
      for (const listener of this.resetListeners) listener({ topic: state.topic, partition: state.partition }, part.offset, reason);
    }
    this.wake();
  }

  // ---- end offsets and partitionsFor ----

  private runEndOffsets(now: SimTimeUs): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    for (const job of [...this.endOffsetJobs]) {
      if (job.results.size === job.partitions.length) {
        this.removeJob(job);
        job.callback({ ok: true, offsets: new Map(job.partitions.map(({ topic, partition }) => [partitionKey(topic, partition), job.results.get(partitionKey(topic, partition)) as number])) });
        continue;
      }
      if (now >= job.deadlineUs) {
        this.removeJob(job);
        job.callback({ ok: false, error: "TIMEOUT" });
        continue;
      }
      next = earliest(next, job.deadlineUs);
      if (now < job.retryAtUs) {
        next = earliest(next, job.retryAtUs);
        continue;
      }
      const byNode = new Map<number, TopicPartition[]>();
      for (const tp of job.partitions) {
        const key = partitionKey(tp.topic, tp.partition);
        if (job.results.has(key) || job.inFlight.has(key)) continue;
        const leader = this.metadata.leaderFor(tp.topic, tp.partition);
        if (leader === undefined) {
          this.metadata.requestUpdate();
          continue;
        }
        const list = byNode.get(leader.leader) ?? [];
        list.push(tp);
        byNode.set(leader.leader, list);
      }
      for (const [node, tps] of [...byNode].sort(([a], [b]) => a - b)) {
        if (!this.network.isReady(node)) {
          next = earliest(next, this.network.readyAtUs(node));
          continue;
        }
        for (const tp of tps) job.inFlight.add(partitionKey(tp.topic, tp.partition));
        const partitions = tps.map(({ topic, partition }) => ({ topic, partition, timestamp: LATEST_TIMESTAMP }));
        this.network.send(node, { type: "ListOffsets", isolationLevel: this.config.isolationLevel, partitions }, (result) => {
          let failed = false;
          for (const tp of tps) {
            const key = partitionKey(tp.topic, tp.partition);
            job.inFlight.delete(key);
            const part = result.kind === "response" ? result.response.partitions.find((p) => p.topic === tp.topic && p.partition === tp.partition) : undefined;
            if (part !== undefined && part.error === "NONE") job.results.set(key, part.offset);
            else {
              failed = true;
              if (part === undefined || isInvalidMetadataError(part.error)) this.metadata.requestUpdate();
            }
          }
          if (failed) job.retryAtUs = clientNowUs(this.ctx) + msToUs(this.config.retryBackoffMs);
          this.wake();
        });
      }
    }
    return next;
  }

  private runPartitionsFor(now: SimTimeUs): SimTimeUs | undefined {
    let next: SimTimeUs | undefined;
    for (const job of [...this.partitionsForJobs]) {
      const partitions = this.metadata.partitionsOf(job.topic);
      if (partitions !== undefined || now >= job.deadlineUs) {
        this.partitionsForJobs.splice(this.partitionsForJobs.indexOf(job), 1);
        job.callback(partitions !== undefined ? { ok: true, partitions: partitions.map((p) => p.partition) } : { ok: false, error: "TIMEOUT" });
        continue;
      }
      this.metadata.requestUpdate();
      next = earliest(next, job.deadlineUs);
    }
    return next;
  }

  // ---- helpers ----

  private removeJob(job: EndOffsetsJob): void {
    this.endOffsetJobs.splice(this.endOffsetJobs.indexOf(job), 1);
  }

  private dropBuffered(tp: string): void {
    this.buffered = this.buffered.filter((f) => partitionKey(f.topic, f.partition) !== tp);
  }

  private require(tp: TopicPartition): Assigned {
    const state = this.assigned.get(partitionKey(tp.topic, tp.partition));
    if (state === undefined) throw new Error(`${this.config.clientId}: ${partitionKey(tp.topic, tp.partition)} is not assigned`);
    return state;
  }

  private newAssigned(topic: string, partition: number, fromGroup: boolean): Assigned {
    const reset = this.config.autoOffsetReset;
    return {
      topic,
      partition,
      tp: partitionKey(topic, partition),
      position: undefined,
      reset: reset === "none" || fromGroup ? undefined : reset,
      awaitingCommitted: fromGroup,
      resetInFlight: false,
      resetRetryAtUs: 0,
      noOffset: reset === "none" && !fromGroup,
      outOfRange: false,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
    };
  }
}
