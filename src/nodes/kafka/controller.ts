import type { Actor, Message, NodeContext } from "../../../sim/actor.js";
import type { DiskFile } from "../../../sim/disk.js";
import { msToUs } from "../../../sim/time.js";
import type { ControllerConfig, TopicConfig } from "./broker-config.js";
import { brokerIdOf, brokerNode, CONTROLLER_ID } from "./names.js";
import { partitionKey, type ControllerMessage, type KafkaMessage, type PartitionState, type TopicMetadata } from "./protocol.js";

/** The controller's durable metadata: in real Kafka a replicated quorum log; here one always-flushed file. */
interface ControllerState {
  readonly controllerEpoch: number;
  /** Broker id → its current registration epoch. */
  readonly brokerEpochs: Readonly<Record<string, number>>;
  readonly nextBrokerEpoch: number;
  readonly partitions: readonly PartitionState[];
  readonly nextProducerId: number;
  /** Whether the scenario's topics exist yet: until then no partition has a leader. */
  readonly topicsCreated: boolean;
}

export interface ControllerOptions {
  readonly config: ControllerConfig;
  readonly brokerIds: readonly number[];
  readonly topics: readonly TopicConfig[];
}

const NO_LEADER = -1;

/**
 * The controller: broker liveness by heartbeat and session timeout, leader election from the
 * ISR (unclean only when enabled), AlterPartition, producer id blocks, and metadata pushed to
 * brokers. Its own quorum is out of scope: its state is durable, but the process can crash and
 * be partitioned like any node, and elections resume when it returns.
 *
 * The scenario's topics are created as a setup script creates them, once the cluster has
 * formed: when every broker has registered (or, if one never does, a broker session timeout
 * after the controller started). Each partition's first leader is then its preferred replica
 * (the first of its replicas, spread round-robin over the brokers), not whichever broker
 * registered first. Later, leadership that failed over elsewhere goes back to the preferred
 * replica when it is in the ISR again: KRaft's auto leader rebalance, which acts
 * leader.imbalance.check.interval.seconds after a change left a partition imbalanced.
 */
export class Controller implements Actor {
  private state: ControllerState;
  private readonly store: DiskFile<ControllerState>;
  /** Broker id → monotonic time of its last heartbeat. Volatile: a restarted controller grants a fresh session. */
  private readonly lastHeartbeatUs = new Map<number, number>();
  /** Brokers fenced for a missed session; they come back by heartbeating. */
  private readonly fenced = new Set<number>();
  /**
   * Brokers that may have missed what we pushed (their connection was reset, or we restarted).
   * Their next heartbeat gets the full state of their partitions again, as Kafka's controller
   * channel retries a request over a new connection (and a KRaft broker replays the metadata log).
   */
  private readonly needsResync = new Set<number>();
  /** Monotonic time this incarnation started: the topics are created at most a session timeout later. */
  private startedUs = 0;
  private balanceScheduled = false;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: ControllerOptions,
  ) {
    this.store = ctx.disk.file<ControllerState>("metadata");
    const stored = this.store.entries[this.store.length - 1];
    this.state = stored ?? this.initialState();
    this.state = { ...this.state, controllerEpoch: this.state.controllerEpoch + 1 };
    this.persist();
  }

  get partitions(): readonly PartitionState[] {
    return this.state.partitions;
  }

  isFenced(brokerId: number): boolean {
    return this.fenced.has(brokerId) || this.state.brokerEpochs[brokerId] === undefined;
  }

  onStart(): void {
    const now = this.ctx.monotonicClockUs();
    this.startedUs = now;
    for (const id of Object.keys(this.state.brokerEpochs)) {
      this.lastHeartbeatUs.set(Number(id), now);
      this.needsResync.add(Number(id));
    }
    this.pushMetadataToAll();
    this.maybeScheduleBalance();
    this.ctx.after(msToUs(500), "session-check", () => this.sessionCheck());
  }

  onMessage(from: string, raw: Message): void {
    const message = raw as KafkaMessage;
    switch (message.type) {
      case "BrokerHeartbeat":
        return this.onHeartbeat(from, message.brokerId, message.brokerEpoch);
      case "AlterPartition":
        return this.onAlterPartition(from, message);
      case "AllocateProducerIds":
        return this.onAllocateProducerIds(from, message.brokerId, message.brokerEpoch);
      default:
        return;
    }
  }

  onDisconnect(peer: string): void {
    const brokerId = brokerIdOf(peer);
    if (brokerId !== undefined) this.needsResync.add(brokerId);
  }

  private initialState(): ControllerState {
    const brokers = this.options.brokerIds;
    const partitions: PartitionState[] = [];
    let slot = 0;
    for (const topic of this.options.topics) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const replicas = topic.replicaAssignment?.[partition] ?? Array.from({ length: topic.replicationFactor }, (_, i) => brokers[(slot + i) % brokers.length] as number);
        slot++;
        partitions.push({ topic: topic.name, partition, leader: NO_LEADER, leaderEpoch: 0, isr: replicas, replicas, partitionEpoch: 0 });
      }
    }
    return { controllerEpoch: 0, brokerEpochs: {}, nextBrokerEpoch: 1, partitions, nextProducerId: 1000, topicsCreated: false };
  }

  // ── Liveness ─────────────────────────────────────────────────────────────────────────

  private onHeartbeat(from: string, brokerId: number, brokerEpoch: number): void {
    const registered = this.state.brokerEpochs[brokerId];
    if (brokerEpoch === -1) return this.register(from, brokerId);
    if (registered !== brokerEpoch) {
      this.send(from, { type: "BrokerHeartbeatResponse", brokerEpoch: -1, fenced: true });
      return;
    }
    this.lastHeartbeatUs.set(brokerId, this.ctx.monotonicClockUs());
    const unfenced = this.fenced.delete(brokerId);
    if (unfenced) {
      this.ctx.trace("controller.unfence", { broker: brokerId });
      this.electLeadersWithout(new Set([...this.fenced]));
    }
    if (unfenced || this.needsResync.delete(brokerId)) {
      this.sendLeaderAndIsr(brokerId, this.state.partitions.filter((p) => p.replicas.includes(brokerId)));
      // Every broker learns that it is live again: leaders only take live brokers into the ISR.
      if (unfenced) this.pushMetadataToAll();
      else this.sendMetadata(brokerId);
    }
    this.send(from, { type: "BrokerHeartbeatResponse", brokerEpoch, fenced: false });
  }

  /**
   * A (re)started broker registers with a new epoch. Its previous incarnation is gone and may
   * have lost its unflushed log tail, so it leaves every ISR first (as a failed broker would).
   */
  private register(from: string, brokerId: number): void {
    const brokerEpoch = this.state.nextBrokerEpoch;
    const previous = this.state.brokerEpochs[brokerId];
    this.state = { ...this.state, nextBrokerEpoch: brokerEpoch + 1, brokerEpochs: { ...this.state.brokerEpochs, [brokerId]: brokerEpoch } };
    this.ctx.trace("controller.register", { broker: brokerId, brokerEpoch, previousEpoch: previous ?? -1 });
    if (previous !== undefined) this.removeFromIsrs(brokerId);
    this.fenced.delete(brokerId);
    this.lastHeartbeatUs.set(brokerId, this.ctx.monotonicClockUs());
    if (!this.maybeCreateTopics()) this.electLeadersWithout(new Set(this.fenced));
    this.persist();
    this.send(from, { type: "BrokerHeartbeatResponse", brokerEpoch, fenced: false });
    this.sendLeaderAndIsr(brokerId, this.state.partitions.filter((p) => p.replicas.includes(brokerId)));
    this.pushMetadataToAll();
  }

  private sessionCheck(): void {
    const now = this.ctx.monotonicClockUs();
    const timeoutUs = msToUs(this.options.config.brokerSessionTimeoutMs);
    if (!this.state.topicsCreated && now - this.startedUs >= timeoutUs && this.maybeCreateTopics(true)) {
      this.persist();
      this.pushMetadataToAll();
    }
    for (const [id, last] of this.lastHeartbeatUs) {
      if (this.fenced.has(id) || now - last <= timeoutUs) continue;
      this.fenced.add(id);
      this.ctx.trace("controller.fence", { broker: id });
      this.removeFromIsrs(id);
      this.electLeadersWithout(new Set(this.fenced));
      this.persist();
      this.pushMetadataToAll();
    }
    this.ctx.after(msToUs(500), "session-check", () => this.sessionCheck());
  }

  // ── Elections ────────────────────────────────────────────────────────────────────────

  /**
   * Takes a broker out of every ISR it is in and re-elects where it led, as one change per
   * partition (KRaft's generateLeaderAndIsrUpdates with brokerToRemove): the leader epoch bumps
   * once. The last ISR member stays in the ISR (KRaft keeps it), leaderless if it was the leader.
   */
  private removeFromIsrs(brokerId: number): void {
    const unavailable = new Set([...this.fenced, brokerId]);
    this.updatePartitions((p) => {
      if (!p.isr.includes(brokerId) && p.leader !== brokerId) return p;
      const rest = p.isr.filter((id) => id !== brokerId);
      return this.electLeader(p, rest.length > 0 ? rest : p.isr, unavailable);
    });
  }

  /** Every leaderless partition gets a leader from its ISR, or (unclean, when enabled) any live replica. */
  private electLeadersWithout(fenced: ReadonlySet<number>): void {
    this.updatePartitions((p) => this.electLeader(p, p.isr, fenced));
  }

  /**
   * The partition with ISR `isr` and a leader that is live: the current one if it still is,
   * else the first live ISR member in replica order, else (unclean, when enabled) the first live
   * replica with an ISR of itself, else none. The leader epoch bumps when the leader changes.
   */
  private electLeader(p: PartitionState, isr: readonly number[], unavailable: ReadonlySet<number>): PartitionState {
    if (!this.state.topicsCreated) return p;
    const live = (id: number) => this.state.brokerEpochs[id] !== undefined && !unavailable.has(id);
    let leader = p.leader;
    let nextIsr = isr;
    if (leader === NO_LEADER || !live(leader)) {
      leader = p.replicas.find((id) => isr.includes(id) && live(id)) ?? NO_LEADER;
      if (leader === NO_LEADER && this.options.config.uncleanLeaderElectionEnable) {
        const unclean = p.replicas.find(live);
        if (unclean !== undefined) {
          this.ctx.assert.reachable("kafka: unclean leader election");
          this.ctx.trace("controller.unclean-election", { partition: partitionKey(p.topic, p.partition), leader: unclean });
          leader = unclean;
          nextIsr = [unclean];
        }
      }
    }
    const leaderChanged = leader !== p.leader;
    const isrChanged = nextIsr.length !== p.isr.length || nextIsr.some((id) => !p.isr.includes(id));
    if (!leaderChanged && !isrChanged) return p;
    return { ...p, leader, isr: [...nextIsr], leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch, partitionEpoch: p.partitionEpoch + 1 };
  }

  /**
   * Creates the topics once every broker has registered (or, `anyway`, with the brokers that
   * have): each partition's first leader is its first live replica, so its preferred one when
   * that broker is up. Returns whether it created them now.
   */
  private maybeCreateTopics(anyway = false): boolean {
    if (this.state.topicsCreated) return false;
    const registered = this.options.brokerIds.filter((id) => this.state.brokerEpochs[id] !== undefined);
    if (!anyway && registered.length < this.options.brokerIds.length) return false;
    this.state = { ...this.state, topicsCreated: true };
    this.ctx.trace("controller.create-topics", { brokers: registered.join(","), of: this.options.brokerIds.length });
    this.electLeadersWithout(new Set(this.fenced));
    return true;
  }

  /** Partitions led by another broker than their preferred replica (the first of their replicas). */
  private imbalanced(): PartitionState[] {
    return this.state.partitions.filter((p) => p.leader !== NO_LEADER && p.leader !== p.replicas[0]);
  }

  /**
   * KRaft's maybeScheduleNextBalancePartitionLeaders: after a change that left some partition
   * led by a non-preferred replica, one balance runs leader.imbalance.check.interval.seconds later.
   */
  private maybeScheduleBalance(): void {
    if (!this.options.config.autoLeaderRebalanceEnable || this.balanceScheduled || this.imbalanced().length === 0) return;
    this.balanceScheduled = true;
    this.ctx.after(msToUs(this.options.config.leaderImbalanceCheckIntervalSeconds * 1000), "leader-balance", () => {
      this.balanceScheduled = false;
      this.balanceLeaders();
    });
  }

  /** Preferred-replica election: a partition whose preferred replica is live and in its ISR gets it back as leader. */
  private balanceLeaders(): void {
    const unavailable = this.fenced;
    const live = (id: number) => this.state.brokerEpochs[id] !== undefined && !unavailable.has(id);
    this.updatePartitions((p) => {
      const preferred = p.replicas[0] as number;
      if (p.leader === NO_LEADER || p.leader === preferred || !live(preferred) || !p.isr.includes(preferred)) return p;
      this.ctx.assert.reachable("kafka: preferred leader election");
      this.ctx.trace("controller.preferred-election", { partition: partitionKey(p.topic, p.partition), from: p.leader, to: preferred });
      return { ...p, leader: preferred, leaderEpoch: p.leaderEpoch + 1, partitionEpoch: p.partitionEpoch + 1 };
    });
    this.persist();
    this.maybeScheduleBalance();
  }

  /** Applies `change` to every partition; pushes LeaderAndIsr for the partitions that changed. */
  private updatePartitions(change: (p: PartitionState) => PartitionState): void {
    const changed: PartitionState[] = [];
    const partitions = this.state.partitions.map((p) => {
      const next = change(p);
      if (next !== p) {
        changed.push(next);
        this.tracePartition(next);
      }
      return next;
    });
    if (changed.length === 0) return;
    this.state = { ...this.state, partitions };
    this.maybeScheduleBalance();
    this.persist();
    const brokers = new Set(changed.flatMap((p) => p.replicas));
    for (const broker of [...brokers].sort((a, b) => a - b)) this.sendLeaderAndIsr(broker, changed.filter((p) => p.replicas.includes(broker)));
    this.pushMetadataToAll();
  }

  // ── Requests from brokers ────────────────────────────────────────────────────────────

  private onAlterPartition(from: string, request: Extract<ControllerMessage, { type: "AlterPartition" }>): void {
    const current = this.state.partitions.find((p) => p.topic === request.topic && p.partition === request.partition);
    const respond = (error: "NONE" | "STALE_BROKER_EPOCH" | "FENCED_LEADER_EPOCH" | "INVALID_UPDATE_VERSION" | "INELIGIBLE_REPLICA" | "UNKNOWN_TOPIC_OR_PARTITION", state: PartitionState | null) =>
      this.send(from, { type: "AlterPartitionResponse", error, state, topic: request.topic, partition: request.partition });
    if (current === undefined) return respond("UNKNOWN_TOPIC_OR_PARTITION", null);
    if (this.state.brokerEpochs[request.brokerId] !== request.brokerEpoch) return respond("STALE_BROKER_EPOCH", null);
    if (request.leaderEpoch !== current.leaderEpoch || current.leader !== request.brokerId) return respond("FENCED_LEADER_EPOCH", current);
    if (request.partitionEpoch !== current.partitionEpoch) return respond("INVALID_UPDATE_VERSION", current);
    const added = request.newIsr.filter((id) => !current.isr.includes(id));
    if (added.some((id) => this.isFenced(id))) return respond("INELIGIBLE_REPLICA", current);
    const next: PartitionState = { ...current, isr: [...request.newIsr], partitionEpoch: current.partitionEpoch + 1 };
    this.state = { ...this.state, partitions: this.state.partitions.map((p) => (p === current ? next : p)) };
    this.persist();
    this.tracePartition(next);
    respond("NONE", next);
    this.pushMetadataToAll();
  }

  private onAllocateProducerIds(from: string, brokerId: number, brokerEpoch: number): void {
    if (this.state.brokerEpochs[brokerId] !== brokerEpoch) {
      return this.send(from, { type: "AllocateProducerIdsResponse", error: "STALE_BROKER_EPOCH", producerIdStart: -1, producerIdLen: 0 });
    }
    const start = this.state.nextProducerId;
    const length = this.options.config.producerIdBlockSize;
    this.state = { ...this.state, nextProducerId: start + length };
    this.persist();
    this.send(from, { type: "AllocateProducerIdsResponse", error: "NONE", producerIdStart: start, producerIdLen: length });
  }

  // ── Pushing metadata ─────────────────────────────────────────────────────────────────

  private sendLeaderAndIsr(brokerId: number, partitionStates: readonly PartitionState[]): void {
    const brokerEpoch = this.state.brokerEpochs[brokerId];
    if (brokerEpoch === undefined || this.fenced.has(brokerId) || partitionStates.length === 0) return;
    this.send(brokerNode(brokerId), { type: "LeaderAndIsr", controllerEpoch: this.state.controllerEpoch, brokerEpoch, partitionStates });
  }

  private pushMetadataToAll(): void {
    for (const id of this.options.brokerIds) this.sendMetadata(id);
  }

  private sendMetadata(brokerId: number): void {
    if (this.state.brokerEpochs[brokerId] === undefined) return;
    const liveBrokers = this.options.brokerIds.filter((id) => !this.isFenced(id));
    const topics: TopicMetadata[] = this.options.topics.map((t) => ({ topic: t.name, partitions: this.state.partitions.filter((p) => p.topic === t.name) }));
    this.send(brokerNode(brokerId), { type: "UpdateMetadata", controllerEpoch: this.state.controllerEpoch, controllerId: CONTROLLER_ID, liveBrokers, topics });
  }

  private tracePartition(state: PartitionState): void {
    this.ctx.trace("controller.partition", {
      partition: partitionKey(state.topic, state.partition),
      leader: state.leader,
      leaderEpoch: state.leaderEpoch,
      isr: state.isr.join(","),
      partitionEpoch: state.partitionEpoch,
    });
  }

  private persist(): void {
    this.store.replaceDurably([this.state]);
  }

  private send(to: string, message: KafkaMessage): void {
    if (brokerIdOf(to) === undefined) return;
    this.ctx.send(to, message);
  }
}
