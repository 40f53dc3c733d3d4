import type { Actor, Message, NodeContext, Timer } from "../../../sim/actor.js";
import type { DiskFile } from "../../../sim/disk.js";
import { msToUs } from "../../../sim/time.js";
import type { BrokerConfig } from "./broker-config.js";
import { KAFKA_BUGS } from "./bugs.js";
import { markerRecord } from "./control-records.js";
import type { BrokerServices, CoordinatorFactory, HostedCoordinator, InternalAppend } from "./coordinator-host.js";
import { coordinatorErrorResponse, CoordinatorRouter, type CoordinatorRequest } from "./coordinator-router.js";
import type { KafkaError } from "./errors.js";
import { brokerIdOf, brokerNode, CONTROLLER_NODE } from "./names.js";
import type { ReplicationObserver } from "./observer.js";
import { AddPartitionsToTxnManager, type VerificationErrors } from "./partition-verification.js";
import type { AppendVerification, ProduceValidation } from "./producer-state.js";
import {
  CONSUMER_REPLICA_ID,
  EARLIEST_TIMESTAMP,
  lastOffsetOf,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  partitionKey,
  type Acks,
  type ControllerMessage,
  type FetchPartitionResponse,
  type KafkaMessage,
  type KafkaRequest,
  type KafkaResponse,
  type PartitionState,
  type RecordBatch,
  type TopicMetadata,
  type TopicPartition,
} from "./protocol.js";
import { Replica, type FollowerState } from "./replica.js";
import { partitionFor } from "./txn/transaction-log.js";
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC, type TransactionVersion, type TxnMarkerEntry } from "./txn/protocol.js";

type Request<T extends KafkaRequest["type"]> = Extract<KafkaRequest, { type: T }>;
type FetchRequest = Request<"Fetch">;

interface HighWatermarkCheckpoint {
  readonly partition: string;
  readonly highWatermark: number;
}

/** What a leader append did: an error, or where it landed and the offset acks=all waits for. */
interface AppendOutcome {
  readonly error: KafkaError;
  readonly baseOffset: number;
  readonly requiredOffset: number;
  readonly replica?: Replica;
}

interface AppendResult {
  readonly error: KafkaError;
  readonly baseOffset: number;
}

/**
 * Appends waiting for the HW to pass them (Kafka's DelayedProduce): a Produce, the markers of a
 * WriteTxnMarkers, or a coordinator's internal append. `complete` runs once nothing waits.
 */
interface DelayedAppend {
  readonly results: AppendResult[];
  /** Index into results → the offset the HW must reach. */
  readonly waiting: Map<number, { readonly replica: Replica; readonly requiredOffset: number }>;
  timeout: Timer | undefined;
  readonly complete: (results: readonly AppendResult[]) => void;
}

const NO_OFFSET: Omit<AppendOutcome, "error"> = { baseOffset: -1, requiredOffset: -1 };

function failed(error: KafkaError): AppendOutcome {
  return { error, ...NO_OFFSET };
}

/** A fetch the leader holds until data arrives or its wait runs out (long poll). */
interface ParkedFetch {
  readonly from: string;
  readonly request: FetchRequest;
  timer: Timer | undefined;
}

export interface BrokerOptions {
  readonly brokerId: number;
  readonly config: BrokerConfig;
  readonly observer: ReplicationObserver;
  /** The coordinators this broker hosts (transaction, group); none by default. */
  readonly coordinators?: readonly CoordinatorFactory[];
}

/**
 * A Kafka broker: hosts replicas of partitions, leads some and follows others. Followers fetch
 * from leaders; leaders track followers, shrink and expand the ISR through the controller
 * (AlterPartition), and advance the high watermark over the ISR. Produce follows the
 * validation order of facts §1.1; acks=all waits in purgatory for the HW. The partition side
 * of transactions: the LSO and aborted-transaction index (facts §1.4), WriteTxnMarkers (§1.3),
 * KIP-890 verification of a transaction's first batch on a partition (§1.7); and the
 * coordinators it hosts get their requests, responses and leadership changes routed to them.
 */
export class Broker implements Actor {
  private brokerEpoch = -1;
  private readonly replicas = new Map<string, Replica>();
  private metadata: { controllerId: number; liveBrokers: readonly number[]; topics: readonly TopicMetadata[] } = {
    controllerId: -1,
    liveBrokers: [],
    topics: [],
  };
  private readonly delayedAppends: DelayedAppend[] = [];
  private readonly parkedFetches: ParkedFetch[] = [];
  /** Per leader broker: the follower fetch in flight to it, if any. */
  private readonly fetchersInFlight = new Map<number, { correlationId: number; timeout: Timer }>();
  private readonly fetcherBackoff = new Set<number>();
  private producerIds: { next: number; end: number } | undefined;
  private producerIdsRequested = false;
  private nextCorrelationId = 1;
  private readonly hwCheckpoint: DiskFile<HighWatermarkCheckpoint>;
  private readonly coordinators: CoordinatorRouter;
  private readonly verification: AddPartitionsToTxnManager;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: BrokerOptions,
  ) {
    this.hwCheckpoint = ctx.disk.file<HighWatermarkCheckpoint>("replication-offset-checkpoint");
    this.recoverReplicas();
    this.verification = new AddPartitionsToTxnManager({
      ctx,
      timeoutMs: this.requestTimeoutMs,
      coordinatorFor: (transactionalId) => this.transactionCoordinatorNode(transactionalId),
      nextCorrelationId: () => this.nextCorrelationId++,
    });
    const services = this.brokerServices();
    this.coordinators = new CoordinatorRouter((options.coordinators ?? []).map((factory) => factory(services)));
  }

  private get id(): number {
    return this.options.brokerId;
  }

  private get config(): BrokerConfig {
    return this.options.config;
  }

  private get transactionVersion(): TransactionVersion {
    return this.config.transactionVersion ?? 2;
  }

  private get requestTimeoutMs(): number {
    return this.config.requestTimeoutMs ?? 30_000;
  }

  /**
   * Whether a transaction's first batch on a partition waits for the coordinator: under
   * transaction version 2 always (the leader adds the partition, nobody else does); under 1
   * when transaction.partition.verification.enable. Never under `no-partition-verification`
   * (KAFKA-12671).
   */
  private get verificationEnabled(): boolean {
    if (this.ctx.bugs.has(KAFKA_BUGS.noPartitionVerification)) return false;
    return this.transactionVersion >= 2 || (this.config.transactionPartitionVerificationEnable ?? true);
  }

  /** Read access for harnesses, invariants and reports. */
  replica(topic: string, partition: number): Replica | undefined {
    return this.replicas.get(partitionKey(topic, partition));
  }

  /** The coordinator this broker hosts for an internal topic (`__transaction_state`, `__consumer_offsets`), if any. */
  hostedCoordinator(topic: string): HostedCoordinator | undefined {
    return this.coordinators.coordinatorOf(topic);
  }

  get hostedReplicas(): readonly Replica[] {
    return [...this.replicas.values()];
  }

  get registeredEpoch(): number {
    return this.brokerEpoch;
  }

  onStart(): void {
    this.heartbeat();
    this.ctx.after(msToUs(this.config.replicaHighWatermarkCheckpointIntervalMs), "hw-checkpoint", () => this.checkpointLoop());
    this.ctx.after(msToUs(this.config.replicaLagTimeMaxMs / 2), "isr-expiration", () => this.isrExpirationLoop());
  }

  onMessage(from: string, raw: Message): void {
    const message = raw as KafkaMessage;
    switch (message.type) {
      case "Metadata":
        return this.reply(from, this.metadataResponse(message.correlationId));
      case "Produce":
        return this.onProduce(from, message);
      case "Fetch":
        return this.onFetch(from, message);
      case "ListOffsets":
        return this.onListOffsets(from, message);
      case "OffsetsForLeaderEpoch":
        return this.onOffsetsForLeaderEpoch(from, message);
      case "InitProducerId":
        if (message.transactionalId !== null) return this.routeToCoordinator(from, message);
        return this.onInitProducerId(from, message);
      case "FetchResponse":
        return this.onFollowerFetchResponse(from, message);
      case "BrokerHeartbeatResponse":
        return this.onHeartbeatResponse(message);
      case "LeaderAndIsr":
        return this.onLeaderAndIsr(message);
      case "UpdateMetadata":
        this.metadata = { controllerId: message.controllerId, liveBrokers: message.liveBrokers, topics: message.topics };
        return;
      case "AlterPartitionResponse":
        return this.onAlterPartitionResponse(message);
      case "AllocateProducerIdsResponse":
        return this.onAllocateProducerIdsResponse(message);
      case "MetadataResponse":
      case "ProduceResponse":
      case "ListOffsetsResponse":
      case "OffsetsForLeaderEpochResponse":
      case "InitProducerIdResponse":
      case "BrokerHeartbeat":
      case "AlterPartition":
      case "AllocateProducerIds":
        return;
      case "FindCoordinator":
        return this.onFindCoordinator(from, message);
      case "WriteTxnMarkers":
        return this.onWriteTxnMarkers(from, message);
      case "AddPartitionsToTxn":
      case "AddOffsetsToTxn":
      case "EndTxn":
      case "TxnOffsetCommit":
      case "OffsetCommit":
      case "OffsetFetch":
      case "JoinGroup":
      case "SyncGroup":
      case "Heartbeat":
      case "LeaveGroup":
        return this.routeToCoordinator(from, message);
      case "AddPartitionsToTxnResponse":
        if (this.verification.onResponse(from, message)) return;
        this.coordinators.offerResponse(from, message);
        return;
      case "FindCoordinatorResponse":
      case "AddOffsetsToTxnResponse":
      case "EndTxnResponse":
      case "WriteTxnMarkersResponse":
      case "TxnOffsetCommitResponse":
      case "OffsetCommitResponse":
      case "OffsetFetchResponse":
      case "JoinGroupResponse":
      case "SyncGroupResponse":
      case "HeartbeatResponse":
      case "LeaveGroupResponse":
        this.coordinators.offerResponse(from, message);
        return;
      default: {
        const unknown: never = message;
        throw new Error(`broker ${this.id}: unexpected message ${JSON.stringify(unknown)}`);
      }
    }
  }

  onDisconnect(peer: string): void {
    const leader = brokerIdOf(peer);
    if (leader !== undefined && this.fetchersInFlight.has(leader)) this.fetcherFailed(leader);
    this.verification.onDisconnect(peer);
    this.coordinators.disconnected(peer);
  }

  // ── Recovery and controller registration ─────────────────────────────────────────────

  private recoverReplicas(): void {
    const checkpoints = new Map(this.hwCheckpoint.entries.map((c) => [c.partition, c.highWatermark]));
    for (const file of this.ctx.disk.fileNames()) {
      if (!file.startsWith("log/")) continue;
      const name = file.slice("log/".length);
      const cut = name.lastIndexOf("-");
      const replica = this.createReplica(name.slice(0, cut), Number(name.slice(cut + 1)), checkpoints.get(name) ?? 0);
      this.ctx.trace("kafka.recover", { partition: replica.key, logEndOffset: replica.log.logEndOffset, highWatermark: replica.highWatermark });
    }
  }

  private createReplica(topic: string, partition: number, checkpointedHw: number): Replica {
    const replica = new Replica(topic, partition, this.ctx.disk, this.config.logFlushIntervalMessages, this.ctx.bugs, checkpointedHw);
    this.replicas.set(replica.key, replica);
    return replica;
  }

  private heartbeat(): void {
    this.toController({ type: "BrokerHeartbeat", brokerId: this.id, brokerEpoch: this.brokerEpoch });
    this.ctx.after(msToUs(this.config.brokerHeartbeatIntervalMs), "heartbeat", () => this.heartbeat());
  }

  private onHeartbeatResponse(message: Extract<ControllerMessage, { type: "BrokerHeartbeatResponse" }>): void {
    if (this.brokerEpoch === -1 && message.brokerEpoch >= 0) {
      this.brokerEpoch = message.brokerEpoch;
      this.ctx.trace("kafka.registered", { brokerEpoch: message.brokerEpoch });
      this.requestProducerIds();
    }
  }

  private checkpointLoop(): void {
    this.hwCheckpoint.replaceDurably(this.hostedReplicas.map((r) => ({ partition: r.key, highWatermark: r.highWatermark })));
    this.ctx.after(msToUs(this.config.replicaHighWatermarkCheckpointIntervalMs), "hw-checkpoint", () => this.checkpointLoop());
  }

  // ── LeaderAndIsr: becoming leader or follower ────────────────────────────────────────

  private onLeaderAndIsr(message: Extract<ControllerMessage, { type: "LeaderAndIsr" }>): void {
    if (message.brokerEpoch !== this.brokerEpoch) {
      this.ctx.trace("kafka.stale-leader-and-isr", { brokerEpoch: message.brokerEpoch, mine: this.brokerEpoch });
      return;
    }
    for (const state of message.partitionStates) {
      if (!state.replicas.includes(this.id)) continue;
      const replica = this.replicas.get(partitionKey(state.topic, state.partition)) ?? this.createReplica(state.topic, state.partition, 0);
      const current = replica.state;
      if (current !== undefined && (state.leaderEpoch < current.leaderEpoch || (state.leaderEpoch === current.leaderEpoch && state.partitionEpoch <= current.partitionEpoch))) {
        continue;
      }
      const newEpoch = current === undefined || state.leaderEpoch > current.leaderEpoch;
      replica.state = state;
      if (state.leader === this.id) {
        if (newEpoch || replica.role !== "leader") this.becomeLeader(replica);
        else this.maybeAdvanceHighWatermark(replica);
      } else if (newEpoch || replica.role !== "follower") {
        this.becomeFollower(replica);
      }
    }
  }

  private becomeLeader(replica: Replica): void {
    const state = replica.state as PartitionState;
    replica.role = "leader";
    replica.pendingIsr = undefined;
    replica.log.assignEpochStart(state.leaderEpoch);
    const now = this.ctx.wallClockUs();
    replica.followers.clear();
    for (const follower of state.replicas) {
      if (follower === this.id) continue;
      replica.followers.set(follower, {
        logEndOffset: -1,
        lastCaughtUpTimeUs: state.isr.includes(follower) ? now : 0,
        leaderEndOffsetAtLastFetch: -1,
        lastFetchTimeUs: 0,
      });
    }
    // The report's `partition.leader` record (src/report/record-kinds.ts): topic, partition number, leader node.
    this.ctx.trace("partition.leader", { topic: replica.topic, partition: replica.partition, leader: brokerNode(this.id), leaderEpoch: state.leaderEpoch, isr: state.isr.join(",") });
    this.options.observer.leaderElected(replica.key, state.leaderEpoch, this.id);
    this.traceOffsets(replica);
    this.maybeAdvanceHighWatermark(replica);
    this.coordinators.becameLeader(replica.topic, replica.partition, state.leaderEpoch);
  }

  private becomeFollower(replica: Replica): void {
    const state = replica.state as PartitionState;
    const wasLeader = replica.role === "leader";
    replica.role = state.leader >= 0 ? "follower" : "offline";
    replica.followers.clear();
    replica.pendingIsr = undefined;
    if (wasLeader) this.failLeadership(replica);
    if (this.ctx.bugs.has(KAFKA_BUGS.truncateToHw)) {
      // Pre-KIP-101: a new follower truncates to its own high watermark, which may be stale.
      replica.truncateTo(replica.highWatermark);
    }
    this.ctx.trace("partition.follower", { partition: replica.key, leader: state.leader, leaderEpoch: state.leaderEpoch });
    this.traceOffsets(replica);
    if (wasLeader) this.coordinators.resigned(replica.topic, replica.partition, state.leaderEpoch);
    if (state.leader >= 0) this.fetchFrom(state.leader);
  }

  /** Appends waiting on a replica that no longer leads fail: their client must rediscover. */
  private failLeadership(replica: Replica): void {
    for (const delayed of [...this.delayedAppends]) {
      for (const [index, wait] of delayed.waiting) {
        if (wait.replica !== replica) continue;
        delayed.results[index] = { ...(delayed.results[index] as AppendResult), error: "NOT_LEADER_OR_FOLLOWER" };
        delayed.waiting.delete(index);
      }
      this.maybeCompleteDelayed(delayed);
    }
  }

  // ── Produce ──────────────────────────────────────────────────────────────────────────

  /**
   * ReplicaManager.appendRecords with transaction verification: when a transactional batch would
   * start a transaction on a partition this broker leads, the whole request waits for the
   * coordinator's answer (KIP-890), then every partition is appended.
   */
  private onProduce(from: string, request: Request<"Produce">): void {
    const toVerify = this.partitionsToVerify(request);
    const first = toVerify[0];
    if (first === undefined || request.transactionalId === null) return this.appendProduce(from, request, new Map(), new Map());
    const guards = new Map<string, number>();
    for (const { replica, batch } of toVerify) guards.set(replica.key, replica.producers.startVerification(batch.producerId, batch.baseSequence, batch.producerEpoch));
    this.verification.verify(
      {
        transactionalId: request.transactionalId,
        producerId: first.batch.producerId,
        producerEpoch: first.batch.producerEpoch,
        partitions: toVerify.map(({ replica }) => ({ topic: replica.topic, partition: replica.partition })),
        transactionVersion: this.transactionVersion,
      },
      (errors) => this.appendProduce(from, request, guards, errors),
    );
  }

  /** Partitions of the request this broker leads whose transactional batch would open a transaction. */
  private partitionsToVerify(request: Request<"Produce">): { readonly replica: Replica; readonly batch: RecordBatch }[] {
    if (!this.verificationEnabled) return [];
    const out: { replica: Replica; batch: RecordBatch }[] = [];
    for (const data of request.topicData) {
      const batch = data.batch;
      if (!batch.isTransactional || batch.isControl || batch.producerId === NO_PRODUCER_ID) continue;
      const replica = this.replicas.get(partitionKey(data.topic, data.partition));
      if (replica === undefined || replica.role !== "leader" || replica.producers.hasOngoingTransaction(batch.producerId, batch.producerEpoch)) continue;
      out.push({ replica, batch });
    }
    return out;
  }

  private appendProduce(from: string, request: Request<"Produce">, guards: ReadonlyMap<string, number>, verificationErrors: VerificationErrors): void {
    const required = this.verificationEnabled;
    const outcomes = request.topicData.map((data) => {
      const key = partitionKey(data.topic, data.partition);
      const error = verificationErrors.get(key);
      if (error !== undefined) return failed(error);
      const verification: AppendVerification = { required, guard: guards.get(key) };
      return this.appendToLeader(data.topic, data.partition, data.batch, request.acks, (replica) => replica.producers.validateClientAppend(data.batch, verification));
    });
    this.awaitReplication(outcomes, request.acks, request.timeoutMs, (results) => {
      if (request.acks === 0) return;
      const responses = results.map((r, i) => ({ topic: request.topicData[i]?.topic ?? "", partition: request.topicData[i]?.partition ?? -1, error: r.error, baseOffset: r.baseOffset, logStartOffset: 0 }));
      this.reply(from, { type: "ProduceResponse", correlationId: request.correlationId, responses });
    });
  }

  /** The partition's min.insync.replicas (its topic's, else the broker's), at most its replica count. */
  private minIsrOf(replica: Replica): number {
    const configured = this.config.topicMinInsyncReplicas?.[replica.topic] ?? this.config.minInsyncReplicas;
    return Math.min(configured, replica.state?.replicas.length ?? 1);
  }

  /** The leader replica to append to with `acks`, or why not (Partition.appendRecordsToLeader's checks). */
  private leaderReplicaFor(topic: string, partition: number, acks: number): Replica | KafkaError {
    const replica = this.replicas.get(partitionKey(topic, partition));
    if (replica === undefined) return "UNKNOWN_TOPIC_OR_PARTITION";
    if (replica.role !== "leader" || replica.state === undefined) return "NOT_LEADER_OR_FOLLOWER";
    const minIsr = this.minIsrOf(replica);
    if (acks === -1 && replica.isr.length < minIsr) return "NOT_ENOUGH_REPLICAS";
    return replica;
  }

  private appendToLeader(topic: string, partition: number, batch: RecordBatch, acks: number, validate: (replica: Replica) => ProduceValidation): AppendOutcome {
    const replica = this.leaderReplicaFor(topic, partition, acks);
    if (typeof replica === "string") return failed(replica);
    const validation = validate(replica);
    switch (validation.kind) {
      case "error":
        return failed(validation.error);
      case "duplicate":
        this.ctx.assert.reachable("kafka: produce retry answered from the 5-batch cache");
        this.ctx.trace("kafka.duplicate-batch", { partition: replica.key, producerId: batch.producerId, baseSequence: batch.baseSequence, baseOffset: validation.firstOffset });
        return { error: "NONE", baseOffset: validation.firstOffset, requiredOffset: validation.lastOffset + 1, replica };
      case "append": {
        const appended = this.appendAsLeader(replica, batch).batch;
        this.ctx.trace("kafka.append", {
          partition: replica.key,
          baseOffset: appended.baseOffset,
          records: appended.records.length,
          producerId: appended.producerId,
          producerEpoch: appended.producerEpoch,
          baseSequence: appended.baseSequence,
        });
        return { error: "NONE", baseOffset: appended.baseOffset, requiredOffset: lastOffsetOf(appended) + 1, replica };
      }
    }
  }

  /**
   * Assigns the batch its offsets and the leader epoch, appends it, and lets the HW and parked
   * fetches move. The records are copied to an array of their exact size: the log keeps the batch
   * for the rest of the run, and a producer's array, filled by push, has room for many more.
   */
  private appendAsLeader(replica: Replica, batch: RecordBatch): ReturnType<Replica["append"]> {
    const result = replica.append({ ...batch, records: batch.records.slice(), baseOffset: replica.log.logEndOffset, partitionLeaderEpoch: replica.leaderEpoch });
    this.maybeAdvanceHighWatermark(replica);
    this.wakeParkedFetches();
    return result;
  }

  /** Holds the appends that acks=all must see replicated; `complete` runs once none waits (at once if none has to). */
  private awaitReplication(outcomes: readonly AppendOutcome[], acks: Acks, timeoutMs: number, complete: (results: readonly AppendResult[]) => void): void {
    const delayed: DelayedAppend = { results: outcomes.map(({ error, baseOffset }) => ({ error, baseOffset })), waiting: new Map(), timeout: undefined, complete };
    outcomes.forEach((outcome, index) => {
      if (outcome.error === "NONE" && acks === -1 && outcome.replica !== undefined) {
        delayed.waiting.set(index, { replica: outcome.replica, requiredOffset: outcome.requiredOffset });
      }
    });
    if (delayed.waiting.size > 0) {
      delayed.timeout = this.ctx.after(msToUs(timeoutMs), "produce-timeout", () => this.expireDelayed(delayed));
      this.delayedAppends.push(delayed);
    }
    this.maybeCompleteDelayed(delayed);
  }

  private maybeCompleteDelayed(delayed: DelayedAppend): void {
    for (const [index, wait] of delayed.waiting) {
      if (wait.replica.highWatermark < wait.requiredOffset) continue;
      const minIsr = this.minIsrOf(wait.replica);
      // Partition.checkEnoughReplicasReachOffset compares the maximal ISR with the minimum.
      if (wait.replica.maximalIsr.length < minIsr) {
        delayed.results[index] = { ...(delayed.results[index] as AppendResult), error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND" };
      }
      delayed.waiting.delete(index);
    }
    if (delayed.waiting.size > 0) return;
    delayed.timeout?.cancel();
    const at = this.delayedAppends.indexOf(delayed);
    if (at >= 0) this.delayedAppends.splice(at, 1);
    delayed.complete(delayed.results);
  }

  private expireDelayed(delayed: DelayedAppend): void {
    for (const index of delayed.waiting.keys()) {
      delayed.results[index] = { ...(delayed.results[index] as AppendResult), error: "REQUEST_TIMED_OUT" };
    }
    delayed.waiting.clear();
    this.maybeCompleteDelayed(delayed);
  }

  // ── Transaction markers (WriteTxnMarkers) ────────────────────────────────────────────

  /**
   * KafkaApis.handleWriteTxnMarkersRequest: each marker is appended to each of its partitions
   * with acks=all (origin COORDINATOR); the response waits until every append is replicated.
   * Markers that landed on a hosted coordinator's partition are then reported to it.
   */
  private onWriteTxnMarkers(from: string, request: Request<"WriteTxnMarkers">): void {
    const targets = request.markers.flatMap((entry) => entry.partitions.map((tp) => ({ entry, tp })));
    const outcomes = targets.map(({ entry, tp }) => this.appendMarker(entry, tp));
    this.awaitReplication(outcomes, -1, this.requestTimeoutMs, (results) => {
      let i = 0;
      const markers = request.markers.map((entry) => ({
        producerId: entry.producerId,
        partitions: entry.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, error: (results[i++] as AppendResult).error })),
      }));
      this.reply(from, { type: "WriteTxnMarkersResponse", correlationId: request.correlationId, markers });
      targets.forEach(({ entry, tp }, index) => {
        if (results[index]?.error === "NONE") this.coordinators.markerAppended(tp.topic, tp.partition, entry.producerId, entry.producerEpoch, entry.result, entry.transactionVersion);
      });
    });
  }

  /** ProducerAppendInfo.appendEndTxnMarker on the leader: validate, then append the control batch. */
  private appendMarker(entry: TxnMarkerEntry, tp: TopicPartition): AppendOutcome {
    const replica = this.leaderReplicaFor(tp.topic, tp.partition, -1);
    if (typeof replica === "string") return failed(replica);
    const error = replica.producers.validateMarker(entry.producerId, entry.producerEpoch, entry.coordinatorEpoch, entry.transactionVersion);
    if (error !== "NONE") {
      const current = replica.producers.entry(entry.producerId);
      this.ctx.trace("kafka.marker-rejected", {
        partition: replica.key,
        producerId: entry.producerId,
        producerEpoch: entry.producerEpoch,
        coordinatorEpoch: entry.coordinatorEpoch,
        currentEpoch: current?.producerEpoch ?? NO_PRODUCER_EPOCH,
        currentCoordinatorEpoch: current?.coordinatorEpoch ?? -1,
        error,
      });
      return failed(error);
    }
    const { batch, completedTxn } = this.appendAsLeader(replica, {
      baseOffset: -1,
      partitionLeaderEpoch: -1,
      producerId: entry.producerId,
      producerEpoch: entry.producerEpoch,
      baseSequence: NO_SEQUENCE,
      isTransactional: true,
      isControl: true,
      records: [markerRecord(entry.result, entry.coordinatorEpoch, Math.floor(this.ctx.wallClockUs() / 1000))],
    });
    this.ctx.trace("txn.marker", {
      topic: replica.topic,
      partition: replica.partition,
      result: entry.result,
      producerId: entry.producerId,
      epoch: entry.producerEpoch,
      offset: batch.baseOffset,
      ...(completedTxn === undefined ? {} : { firstOffset: completedTxn.firstOffset }),
    });
    return { error: "NONE", baseOffset: batch.baseOffset, requiredOffset: batch.baseOffset + 1, replica };
  }

  // ── Hosted coordinators ──────────────────────────────────────────────────────────────

  private brokerServices(): BrokerServices {
    return {
      brokerId: this.id,
      ctx: this.ctx,
      appendInternal: (append, done) => this.appendInternal(append, done),
      readLocalLog: (topic, partition) => this.replicas.get(partitionKey(topic, partition))?.log.allBatches ?? [],
      leaderOf: (topic, partition) => this.metadataLeaderOf(topic, partition),
      partitionCount: (topic) => this.metadataPartitionCount(topic),
      generateProducerId: () => this.generateProducerId(),
    };
  }

  /**
   * A coordinator's write to its own partition (AppendOrigin.COORDINATOR): the epoch check but
   * no sequence check, then the same acks wait as a Produce. Markers do not come this way: they
   * go through WriteTxnMarkers like any partition's.
   */
  private appendInternal(append: InternalAppend, done: (error: KafkaError, baseOffset: number) => void): void {
    if (append.isControl === true) return done("INVALID_REQUEST", -1);
    const replica = this.replicas.get(partitionKey(append.topic, append.partition));
    const producerId = append.producerId ?? NO_PRODUCER_ID;
    const opensTransaction =
      append.isTransactional === true && append.transactionalId !== undefined && producerId !== NO_PRODUCER_ID && replica?.role === "leader" && !replica.producers.hasOngoingTransaction(producerId, append.producerEpoch ?? NO_PRODUCER_EPOCH);
    if (!opensTransaction || !this.verificationEnabled || append.transactionalId === undefined) return this.appendInternalVerified(append, done);
    // A transactional offset commit opens the transaction on its __consumer_offsets partition:
    // the group coordinator's write is verified (TV1) or adds the partition (TV2) like a Produce.
    this.verification.verify(
      {
        transactionalId: append.transactionalId,
        producerId,
        producerEpoch: append.producerEpoch ?? NO_PRODUCER_EPOCH,
        partitions: [{ topic: append.topic, partition: append.partition }],
        transactionVersion: this.transactionVersion,
      },
      (errors) => {
        const error = errors.get(partitionKey(append.topic, append.partition));
        if (error !== undefined) done(error, -1);
        else this.appendInternalVerified(append, done);
      },
    );
  }

  private appendInternalVerified(append: InternalAppend, done: (error: KafkaError, baseOffset: number) => void): void {
    const batch: RecordBatch = {
      baseOffset: -1,
      partitionLeaderEpoch: -1,
      producerId: append.producerId ?? NO_PRODUCER_ID,
      producerEpoch: append.producerEpoch ?? NO_PRODUCER_EPOCH,
      baseSequence: NO_SEQUENCE,
      isTransactional: append.isTransactional ?? false,
      isControl: false,
      records: append.records,
    };
    const outcome = this.appendToLeader(append.topic, append.partition, batch, append.acks, (replica) => replica.producers.validateCoordinatorAppend(batch));
    this.awaitReplication([outcome], append.acks, append.timeoutMs, (results) => {
      const result = results[0] as AppendResult;
      done(result.error, result.baseOffset);
    });
  }

  private routeToCoordinator(from: string, request: CoordinatorRequest): void {
    if (request.type === "AddPartitionsToTxn" && brokerIdOf(from) === undefined) {
      const refused = this.refusedClientPartitions(request.partitions);
      if (refused !== undefined) return this.reply(from, { type: "AddPartitionsToTxnResponse", correlationId: request.correlationId, results: refused });
    }
    const coordinator = this.coordinators.handlerFor(request);
    if (coordinator === undefined) return this.reply(from, coordinatorErrorResponse(request, "NOT_COORDINATOR"));
    coordinator.onRequest(from, request);
  }

  /**
   * KafkaApis.handleAddPartitionsToTxnRequest's checks on a client's request (brokers' own
   * verification requests skip them): internal topics are not the client's to write
   * (TOPIC_AUTHORIZATION_FAILED), unknown partitions are UNKNOWN_TOPIC_OR_PARTITION, and then
   * nothing is added: the valid partitions answer OPERATION_NOT_ATTEMPTED. Undefined when all pass.
   */
  private refusedClientPartitions(partitions: readonly TopicPartition[]): { topic: string; partition: number; error: KafkaError }[] | undefined {
    const errors = partitions.map((tp): KafkaError => {
      if (tp.topic === TRANSACTION_STATE_TOPIC || tp.topic === GROUP_METADATA_TOPIC) return "TOPIC_AUTHORIZATION_FAILED";
      return tp.partition >= 0 && tp.partition < this.metadataPartitionCount(tp.topic) ? "NONE" : "UNKNOWN_TOPIC_OR_PARTITION";
    });
    if (errors.every((e) => e === "NONE")) return undefined;
    return partitions.map((tp, i) => ({ topic: tp.topic, partition: tp.partition, error: errors[i] === "NONE" ? "OPERATION_NOT_ATTEMPTED" : (errors[i] as KafkaError) }));
  }

  /**
   * FindCoordinator: the leader of the key's partition of `__transaction_state` (TRANSACTION)
   * or `__consumer_offsets` (GROUP), by this broker's metadata.
   */
  private onFindCoordinator(from: string, request: Request<"FindCoordinator">): void {
    const topic = request.keyType === "TRANSACTION" ? TRANSACTION_STATE_TOPIC : GROUP_METADATA_TOPIC;
    const leader = this.coordinatorLeader(topic, request.key);
    const error: KafkaError = leader === undefined ? "COORDINATOR_NOT_AVAILABLE" : "NONE";
    this.reply(from, { type: "FindCoordinatorResponse", correlationId: request.correlationId, error, nodeId: leader ?? -1 });
  }

  /** The live leader of `key`'s partition of an internal topic, undefined when none. */
  private coordinatorLeader(topic: string, key: string): number | undefined {
    const partitions = this.metadataPartitionCount(topic);
    if (partitions === 0) return undefined;
    const leader = this.metadataLeaderOf(topic, partitionFor(key, partitions));
    return leader >= 0 && this.metadata.liveBrokers.includes(leader) ? leader : undefined;
  }

  private transactionCoordinatorNode(transactionalId: string): string | undefined {
    const leader = this.coordinatorLeader(TRANSACTION_STATE_TOPIC, transactionalId);
    return leader === undefined ? undefined : brokerNode(leader);
  }

  private metadataLeaderOf(topic: string, partition: number): number {
    return this.metadata.topics.find((t) => t.topic === topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
  }

  private metadataPartitionCount(topic: string): number {
    return this.metadata.topics.find((t) => t.topic === topic)?.partitions.length ?? 0;
  }

  // ── High watermark and ISR (leader side) ─────────────────────────────────────────────

  private maybeAdvanceHighWatermark(replica: Replica): void {
    if (replica.role !== "leader" || replica.state === undefined) return;
    const isr = replica.maximalIsr;
    const minIsr = this.minIsrOf(replica);
    // KIP-966 (Partition.isUnderMinIsr): the committed ISR, not the maximal one, must reach the minimum.
    if (replica.isr.length < minIsr && !this.ctx.bugs.has(KAFKA_BUGS.noMinIsrHwGate)) return;
    let candidate = replica.log.logEndOffset;
    for (const member of isr) {
      if (member === this.id) continue;
      const follower = replica.followers.get(member);
      candidate = Math.min(candidate, follower === undefined ? -1 : follower.logEndOffset);
    }
    if (candidate <= replica.highWatermark) return;
    this.setHighWatermark(replica, candidate);
    this.wakeParkedFetches(true);
    for (const delayed of [...this.delayedAppends]) if (waitsOn(delayed, replica)) this.maybeCompleteDelayed(delayed);
  }

  private setHighWatermark(replica: Replica, highWatermark: number): void {
    const previous = replica.highWatermark;
    replica.highWatermark = highWatermark;
    this.options.observer.highWatermarkChanged({
      partition: replica.key,
      brokerId: this.id,
      isLeader: replica.role === "leader",
      leaderEpoch: replica.leaderEpoch,
      previous,
      highWatermark,
      log: replica.log,
    });
    this.traceOffsets(replica);
  }

  /** A follower fetched at `fetchOffset`: update what the leader knows, maybe expand the ISR. */
  private updateFollower(replica: Replica, followerId: number, fetchOffset: number): void {
    const follower = replica.followers.get(followerId);
    if (follower === undefined) return;
    const now = this.ctx.wallClockUs();
    const leaderEnd = replica.log.logEndOffset;
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpTimeUs = now;
    else if (fetchOffset >= follower.leaderEndOffsetAtLastFetch && follower.leaderEndOffsetAtLastFetch >= 0) follower.lastCaughtUpTimeUs = follower.lastFetchTimeUs;
    follower.logEndOffset = fetchOffset;
    follower.leaderEndOffsetAtLastFetch = leaderEnd;
    follower.lastFetchTimeUs = now;
    this.maybeExpandIsr(replica, followerId, follower);
    this.maybeAdvanceHighWatermark(replica);
  }

  private maybeExpandIsr(replica: Replica, followerId: number, follower: FollowerState): void {
    if (replica.isr.includes(followerId) || replica.pendingIsr !== undefined) return;
    // KIP-841 (Partition.isReplicaIsrEligible): a broker the controller has fenced is not proposed,
    // so a fenced follower that keeps fetching never enters the maximal ISR the HW waits for.
    if (!this.metadata.liveBrokers.includes(followerId)) return;
    if (follower.logEndOffset < replica.highWatermark) return;
    const epochStart = replica.log.epochStartOffset(replica.leaderEpoch) ?? 0;
    // KAFKA-7128: a follower must also hold everything up to the start of the leader's epoch.
    if (follower.logEndOffset < epochStart && !this.ctx.bugs.has(KAFKA_BUGS.noIsrJoinRule)) return;
    this.alterIsr(replica, [...replica.isr, followerId]);
  }

  private isrExpirationLoop(): void {
    const now = this.ctx.wallClockUs();
    const lagUs = msToUs(this.config.replicaLagTimeMaxMs);
    for (const replica of this.replicas.values()) {
      if (replica.role !== "leader" || replica.pendingIsr !== undefined) continue;
      const leaderEnd = replica.log.logEndOffset;
      // Replica.isCaughtUp: a follower at the leader's log end is in sync however long ago it fetched.
      const outOfSync = replica.isr.filter((member) => {
        if (member === this.id) return false;
        const follower = replica.followers.get(member);
        return follower === undefined || (follower.logEndOffset !== leaderEnd && now - follower.lastCaughtUpTimeUs > lagUs);
      });
      if (outOfSync.length > 0) this.alterIsr(replica, replica.isr.filter((m) => !outOfSync.includes(m)));
    }
    this.ctx.after(msToUs(this.config.replicaLagTimeMaxMs / 2), "isr-expiration", () => this.isrExpirationLoop());
  }

  private alterIsr(replica: Replica, newIsr: readonly number[]): void {
    const state = replica.state as PartitionState;
    replica.pendingIsr = newIsr;
    this.ctx.trace("partition.alter-isr", { partition: replica.key, from: state.isr.join(","), to: newIsr.join(",") });
    this.toController({
      type: "AlterPartition",
      brokerId: this.id,
      brokerEpoch: this.brokerEpoch,
      topic: replica.topic,
      partition: replica.partition,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: state.partitionEpoch,
      newIsr,
    });
    // The controller may never answer (partition, crash): allow a new attempt later.
    const pending = newIsr;
    this.ctx.after(msToUs(this.config.replicaSocketTimeoutMs), "alter-isr-timeout", () => {
      if (replica.pendingIsr === pending) replica.pendingIsr = undefined;
    });
  }

  private onAlterPartitionResponse(message: Extract<ControllerMessage, { type: "AlterPartitionResponse" }>): void {
    const replica = this.replicas.get(partitionKey(message.topic, message.partition));
    if (replica === undefined) return;
    replica.pendingIsr = undefined;
    const state = message.state;
    if (message.error !== "NONE" || state === null) return;
    if (replica.state !== undefined && state.leaderEpoch === replica.state.leaderEpoch && state.partitionEpoch > replica.state.partitionEpoch) {
      replica.state = state;
      this.ctx.trace("partition.isr", { partition: replica.key, isr: state.isr.join(","), partitionEpoch: state.partitionEpoch });
      this.maybeAdvanceHighWatermark(replica);
    }
  }

  // ── Fetch: leader side ───────────────────────────────────────────────────────────────

  private onFetch(from: string, request: FetchRequest): void {
    const response = this.readForFetch(request);
    const maxWaitMs = request.maxWaitMs ?? 0;
    const empty = response.every((p) => p.error === "NONE" && p.batches.length === 0 && p.divergingEpoch === null);
    if (empty && maxWaitMs > 0) {
      const parked: ParkedFetch = { from, request, timer: undefined };
      parked.timer = this.ctx.after(msToUs(maxWaitMs), "fetch-wait", () => this.completeParked(parked));
      this.parkedFetches.push(parked);
      return;
    }
    this.reply(from, { type: "FetchResponse", correlationId: request.correlationId, error: "NONE", partitions: response });
  }

  /**
   * DelayedFetch.tryComplete: after an append, or a HW (and LSO) move, a parked fetch that now
   * finds data, or an error, completes; the others keep waiting. A HW move cannot give a
   * follower anything new, so `consumersOnly` skips follower fetches then.
   */
  private wakeParkedFetches(consumersOnly = false): void {
    if (this.parkedFetches.length === 0) return;
    for (const parked of [...this.parkedFetches]) {
      if (consumersOnly && parked.request.replicaId !== CONSUMER_REPLICA_ID) continue;
      const partitions = this.readForFetch(parked.request, false);
      if (partitions.some((p) => p.error !== "NONE" || p.batches.length > 0 || p.divergingEpoch !== null)) this.completeParked(parked, partitions);
    }
  }

  private completeParked(parked: ParkedFetch, partitions?: FetchPartitionResponse[]): void {
    const at = this.parkedFetches.indexOf(parked);
    if (at < 0) return;
    this.parkedFetches.splice(at, 1);
    parked.timer?.cancel();
    this.reply(parked.from, { type: "FetchResponse", correlationId: parked.request.correlationId, error: "NONE", partitions: partitions ?? this.readForFetch(parked.request, false) });
  }

  /** `recordFollowers` is false on a re-read of a parked fetch: its positions were recorded already. */
  private readForFetch(request: FetchRequest, recordFollowers = true): FetchPartitionResponse[] {
    const isFollower = request.replicaId !== CONSUMER_REPLICA_ID;
    const out: FetchPartitionResponse[] = [];
    for (const p of request.partitions) {
      const replica = this.replicas.get(partitionKey(p.topic, p.partition));
      if (replica === undefined) {
        out.push(fetchResult(p, undefined, "UNKNOWN_TOPIC_OR_PARTITION"));
        continue;
      }
      const error = this.fetchError(replica, p, isFollower);
      if (error !== undefined) {
        out.push(typeof error === "string" ? fetchResult(p, replica, error) : { ...fetchResult(p, replica, "NONE"), divergingEpoch: error });
        continue;
      }
      if (isFollower && recordFollowers) this.updateFollower(replica, request.replicaId, p.fetchOffset);
      if (isFollower || request.isolationLevel === "read_uncommitted") {
        const upTo = isFollower ? replica.log.logEndOffset : replica.highWatermark;
        out.push(fetchResult(p, replica, "NONE", replica.log.read(p.fetchOffset, upTo, this.config.fetchMaxBatches)));
      } else {
        out.push(this.readCommitted(replica, p.fetchOffset, p));
      }
    }
    return out;
  }

  /**
   * A read_committed fetch: data up to the LSO, and the aborted transactions that overlap what
   * is returned (LocalLog.addAbortedTransactions), which the consumer drops.
   */
  private readCommitted(replica: Replica, fetchOffset: number, p: { topic: string; partition: number }): FetchPartitionResponse {
    const batches = replica.log.read(fetchOffset, replica.lastStableOffset, this.config.fetchMaxBatches);
    const last = batches[batches.length - 1];
    const aborted =
      last === undefined ? [] : replica.transactionIndex.collectAbortedTxns(fetchOffset, lastOffsetOf(last) + 1).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
    return { ...fetchResult(p, replica, "NONE", batches), abortedTransactions: this.ctx.bugs.has(KAFKA_BUGS.noAbortedFilter) ? null : aborted };
  }

  /** Why this partition of a fetch gets no data: an error, or the follower's divergence (KIP-320). */
  private fetchError(replica: Replica, p: FetchRequest["partitions"][number], isFollower: boolean): KafkaError | { epoch: number; endOffset: number } | undefined {
    if (replica.role !== "leader") return "NOT_LEADER_OR_FOLLOWER";
    if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < replica.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (p.currentLeaderEpoch > replica.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
    if (isFollower && p.lastFetchedEpoch >= 0) {
      const divergence = replica.log.divergenceAt(p.lastFetchedEpoch, p.fetchOffset);
      if (divergence !== undefined) return divergence;
    }
    if (p.fetchOffset < replica.log.logStartOffset || p.fetchOffset > replica.log.logEndOffset) return "OFFSET_OUT_OF_RANGE";
    return undefined;
  }

  // ── Fetch: follower side ─────────────────────────────────────────────────────────────

  private fetchFrom(leader: number): void {
    if (this.fetchersInFlight.has(leader) || this.fetcherBackoff.has(leader)) return;
    const partitions: FetchRequest["partitions"][number][] = [];
    for (const r of this.replicas.values()) {
      if (r.role !== "follower" || r.state?.leader !== leader) continue;
      partitions.push({
        topic: r.topic,
        partition: r.partition,
        fetchOffset: r.log.logEndOffset,
        currentLeaderEpoch: r.leaderEpoch,
        lastFetchedEpoch: this.ctx.bugs.has(KAFKA_BUGS.truncateToHw) ? -1 : r.log.lastBatchEpoch,
      });
    }
    if (partitions.length === 0) return;
    const correlationId = this.nextCorrelationId++;
    const timeout = this.ctx.after(msToUs(this.config.replicaSocketTimeoutMs), "replica-fetch-timeout", () => this.fetcherFailed(leader));
    this.fetchersInFlight.set(leader, { correlationId, timeout });
    this.send(brokerNode(leader), {
      type: "Fetch",
      correlationId,
      replicaId: this.id,
      replicaEpoch: this.brokerEpoch,
      isolationLevel: "read_uncommitted",
      maxBytes: 1 << 20,
      maxWaitMs: this.config.replicaFetchWaitMaxMs,
      partitions,
    });
  }

  private fetcherFailed(leader: number): void {
    this.fetchersInFlight.get(leader)?.timeout.cancel();
    this.fetchersInFlight.delete(leader);
    this.backOffFetcher(leader);
  }

  private backOffFetcher(leader: number): void {
    this.fetcherBackoff.add(leader);
    this.ctx.after(msToUs(this.config.replicaFetchBackoffMs), "replica-fetch-backoff", () => {
      this.fetcherBackoff.delete(leader);
      this.fetchFrom(leader);
    });
  }

  private onFollowerFetchResponse(from: string, response: Extract<KafkaResponse, { type: "FetchResponse" }>): void {
    const leader = brokerIdOf(from);
    if (leader === undefined) return;
    const inFlight = this.fetchersInFlight.get(leader);
    if (inFlight === undefined || inFlight.correlationId !== response.correlationId) return;
    inFlight.timeout.cancel();
    this.fetchersInFlight.delete(leader);
    let failed = false;
    for (const p of response.partitions) {
      const replica = this.replicas.get(partitionKey(p.topic, p.partition));
      if (replica === undefined || replica.role !== "follower" || replica.state?.leader !== leader) continue;
      if (p.error !== "NONE") {
        failed = true;
        continue;
      }
      this.applyFetchedData(replica, p);
    }
    if (failed) this.backOffFetcher(leader);
    else this.fetchFrom(leader);
  }

  private applyFetchedData(replica: Replica, p: FetchPartitionResponse): void {
    if (p.divergingEpoch !== null) {
      // KIP-320: truncate to where our log and the leader's agree, then fetch again.
      const truncateAt = this.divergenceTruncationOffset(replica, p.divergingEpoch);
      this.ctx.trace("partition.truncate", { partition: replica.key, from: replica.log.logEndOffset, to: truncateAt, epoch: p.divergingEpoch.epoch });
      replica.truncateTo(truncateAt);
      this.traceOffsets(replica);
      return;
    }
    const endBefore = replica.log.logEndOffset;
    for (const batch of p.batches) {
      if (batch.baseOffset < replica.log.logEndOffset) continue;
      if (batch.baseOffset > replica.log.logEndOffset) break;
      replica.append(batch);
    }
    const highWatermark = Math.min(p.highWatermark, replica.log.logEndOffset);
    if (highWatermark !== replica.highWatermark) this.setHighWatermark(replica, highWatermark);
    else if (replica.log.logEndOffset !== endBefore) this.traceOffsets(replica);
  }

  /**
   * AbstractFetcherThread.getOffsetTruncationState (KIP-279): the leader named the largest epoch
   * it has at or below our last fetched epoch, and where that epoch ends in its log. We look up
   * the same epoch in our own cache. If we know it, both logs agree up to the smaller end; if
   * our closest epoch is older, we can only keep what precedes the end of that older epoch, and
   * the next fetch (with a new lastFetchedEpoch) narrows it further.
   */
  private divergenceTruncationOffset(replica: Replica, leader: { readonly epoch: number; readonly endOffset: number }): number {
    const logEnd = replica.log.logEndOffset;
    if (leader.epoch < 0 || leader.endOffset < 0) return Math.min(Math.max(leader.endOffset, 0), logEnd);
    const mine = replica.log.endOffsetForEpoch(leader.epoch);
    if (mine.epoch < 0) return Math.min(leader.endOffset, logEnd);
    if (mine.epoch !== leader.epoch) return Math.min(mine.endOffset, logEnd);
    return Math.min(mine.endOffset, leader.endOffset, logEnd);
  }

  // ── Other requests ───────────────────────────────────────────────────────────────────

  private metadataResponse(correlationId: number): KafkaResponse {
    return {
      type: "MetadataResponse",
      correlationId,
      brokers: this.metadata.liveBrokers,
      controllerId: this.metadata.controllerId,
      topics: this.metadata.topics,
    };
  }

  private onListOffsets(from: string, request: Request<"ListOffsets">): void {
    const partitions = request.partitions.map((p) => {
      const replica = this.replicas.get(partitionKey(p.topic, p.partition));
      if (replica === undefined) return { topic: p.topic, partition: p.partition, error: "UNKNOWN_TOPIC_OR_PARTITION" as const, offset: -1, leaderEpoch: -1 };
      if (replica.role !== "leader") return { topic: p.topic, partition: p.partition, error: "NOT_LEADER_OR_FOLLOWER" as const, offset: -1, leaderEpoch: -1 };
      const offset = p.timestamp === EARLIEST_TIMESTAMP ? replica.log.logStartOffset : request.isolationLevel === "read_committed" ? replica.lastStableOffset : replica.highWatermark;
      return { topic: p.topic, partition: p.partition, error: "NONE" as const, offset, leaderEpoch: replica.leaderEpoch };
    });
    this.reply(from, { type: "ListOffsetsResponse", correlationId: request.correlationId, partitions });
  }

  private onOffsetsForLeaderEpoch(from: string, request: Request<"OffsetsForLeaderEpoch">): void {
    const partitions = request.partitions.map((p) => {
      const replica = this.replicas.get(partitionKey(p.topic, p.partition));
      if (replica === undefined || replica.role !== "leader") {
        return { topic: p.topic, partition: p.partition, error: "NOT_LEADER_OR_FOLLOWER" as const, leaderEpoch: -1, endOffset: -1 };
      }
      const end = replica.log.endOffsetForEpoch(p.leaderEpoch);
      return { topic: p.topic, partition: p.partition, error: "NONE" as const, leaderEpoch: end.epoch, endOffset: end.endOffset };
    });
    this.reply(from, { type: "OffsetsForLeaderEpochResponse", correlationId: request.correlationId, partitions });
  }

  /** Idempotent producers (no transactional.id): any broker hands out a producer id from its block. */
  private onInitProducerId(from: string, request: Request<"InitProducerId">): void {
    const producerId = this.generateProducerId();
    if (producerId === undefined) {
      return this.reply(from, { type: "InitProducerIdResponse", correlationId: request.correlationId, error: "COORDINATOR_LOAD_IN_PROGRESS", producerId: -1, producerEpoch: -1 });
    }
    this.reply(from, { type: "InitProducerIdResponse", correlationId: request.correlationId, error: "NONE", producerId, producerEpoch: 0 });
  }

  /** The next id of this broker's block (KIP-730), asking the controller for a new block when it runs out. */
  private generateProducerId(): number | undefined {
    const block = this.producerIds;
    if (block === undefined || block.next >= block.end) {
      this.requestProducerIds();
      return undefined;
    }
    const producerId = block.next++;
    if (block.next >= block.end) this.requestProducerIds();
    return producerId;
  }

  private requestProducerIds(): void {
    if (this.producerIdsRequested || this.brokerEpoch < 0) return;
    this.producerIdsRequested = true;
    this.toController({ type: "AllocateProducerIds", brokerId: this.id, brokerEpoch: this.brokerEpoch });
    this.ctx.after(msToUs(this.config.replicaSocketTimeoutMs), "allocate-producer-ids-timeout", () => {
      this.producerIdsRequested = false;
    });
  }

  private onAllocateProducerIdsResponse(message: Extract<ControllerMessage, { type: "AllocateProducerIdsResponse" }>): void {
    this.producerIdsRequested = false;
    if (message.error !== "NONE") return;
    this.producerIds = { next: message.producerIdStart, end: message.producerIdStart + message.producerIdLen };
  }

  // ── Plumbing ─────────────────────────────────────────────────────────────────────────

  private reply(to: string, response: KafkaResponse): void {
    this.send(to, response);
  }

  private toController(message: ControllerMessage): void {
    this.send(CONTROLLER_NODE, message);
  }

  private send(to: string, message: KafkaMessage): void {
    this.ctx.send(to, message);
  }

  /** Reports a move of the LSO to the observer, then traces the replica's offsets (report record `partition.offsets`). */
  private traceOffsets(replica: Replica): void {
    const lastStableOffset = replica.lastStableOffset;
    const previous = replica.reportedLastStableOffset;
    if (lastStableOffset !== previous) {
      replica.reportedLastStableOffset = lastStableOffset;
      this.options.observer.lastStableOffsetChanged?.({
        partition: replica.key,
        brokerId: this.id,
        isLeader: replica.role === "leader",
        leaderEpoch: replica.leaderEpoch,
        previous,
        lastStableOffset,
        highWatermark: replica.highWatermark,
      });
    }
    const leader = replica.state?.leader ?? -1;
    this.ctx.trace("partition.offsets", {
      topic: replica.topic,
      partition: replica.partition,
      role: replica.role,
      leaderEpoch: replica.leaderEpoch,
      leo: replica.log.logEndOffset,
      hw: replica.highWatermark,
      lso: lastStableOffset,
      ...(leader >= 0 ? { leader: brokerNode(leader) } : {}),
    });
  }
}

function fetchResult(p: { topic: string; partition: number }, replica: Replica | undefined, error: KafkaError, batches: RecordBatch[] = []): FetchPartitionResponse {
  return {
    topic: p.topic,
    partition: p.partition,
    error,
    highWatermark: replica?.highWatermark ?? -1,
    lastStableOffset: replica?.lastStableOffset ?? -1,
    logStartOffset: replica?.log.logStartOffset ?? -1,
    divergingEpoch: null,
    abortedTransactions: null,
    batches,
  };
}

function waitsOn(delayed: DelayedAppend, replica: Replica): boolean {
  for (const wait of delayed.waiting.values()) if (wait.replica === replica) return true;
  return false;
}
