import type { Actor, Message, NodeContext } from "../../../sim/actor.js";
import { Simulation } from "../../../sim/simulation.js";
import { msToUs } from "../../../sim/time.js";
import { ReplicationInvariants } from "../../checks/kafka-online/replication-invariants.js";
import { FaultInjector } from "../../faults/injector.js";
import type { Fault } from "../../faults/fault.js";
import { Network, type NetworkOptions } from "../../network/network.js";
import type { Broker } from "../../nodes/kafka/broker.js";
import type { Controller } from "../../nodes/kafka/controller.js";
import type { GroupCoordinator } from "../../nodes/kafka/group/coordinator.js";
import { brokerIdOf, brokerNode, CONTROLLER_NODE } from "../../nodes/kafka/names.js";
import type { CoordinatorType, KafkaMessage, KafkaRequest, KafkaResponse, PartitionOffset, RecordBatch } from "../../nodes/kafka/protocol.js";
import type { Replica } from "../../nodes/kafka/replica.js";
import type { AbortedTxn } from "../../nodes/kafka/transaction-index.js";
import type { TransactionCoordinator } from "../../nodes/kafka/txn/coordinator.js";
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from "../../nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../nodes/kafka/txn/transaction-log.js";
import { addKafkaCluster, brokerIds, clusterNodeIds, internalTopics } from "./cluster.js";
import { kafkaClusterSchema, type KafkaCluster, type KafkaClusterInput } from "./config.js";

/** What `transactionState` returns (the coordinator's accessor). */
export type TransactionStateView = NonNullable<ReturnType<TransactionCoordinator["transactionState"]>>;

/** A request as a script writes it: the harness assigns the correlation id. */
export type ScriptedRequest = KafkaRequest extends infer R ? (R extends KafkaRequest ? Omit<R, "correlationId"> : never) : never;

export interface HarnessOptions {
  readonly cluster?: Omit<KafkaClusterInput, "kind">;
  /**
   * Host the transaction and group coordinators on the brokers and create their internal topics
   * (`__transaction_state`, `__consumer_offsets`). Off by default: data-plane tests need neither.
   */
  readonly coordinators?: boolean;
  readonly seed?: number;
  readonly bugs?: readonly string[];
  readonly network?: NetworkOptions;
}

/** What one replica holds, for assertions in protocol tests. */
export interface ReplicaSnapshot {
  readonly broker: number;
  readonly role: string;
  readonly leaderEpoch: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly batches: readonly RecordBatch[];
}

class ScriptedClient implements Actor {
  readonly responses = new Map<number, KafkaResponse>();
  constructor(readonly ctx: NodeContext) {}
  onMessage(_from: string, message: Message): void {
    const response = message as KafkaResponse;
    if ("correlationId" in response) this.responses.set(response.correlationId, response);
  }
}

/**
 * The protocol harness: a real cluster (controller and brokers over the fake network) plus a
 * scripted client that can send any Kafka request to any node, advance simulated time and read
 * every replica's log, LEO, HW and producer state. Protocol-rule tests use it; so can users,
 * to test corner cases without a workload.
 *
 *   const h = new KafkaHarness({ cluster: { brokers: 3 } });
 *   h.waitForLeaders();
 *   const res = h.call(h.leaderNode("events", 0), { type: "Produce", acks: -1, ... });
 */
export class KafkaHarness {
  readonly sim: Simulation;
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly faults: FaultInjector;
  private readonly clients = new Map<string, ScriptedClient>();
  private readonly withCoordinators: boolean;
  private nextCorrelationId = 1;

  constructor(options: HarnessOptions = {}) {
    this.cluster = kafkaClusterSchema.parse({ kind: "kafka", ...options.cluster });
    this.sim = new Simulation({ seed: options.seed ?? 1, bugs: options.bugs ?? [] });
    this.network = new Network(this.sim, options.network ?? { latency: { model: "constant", ms: 1 } });
    this.withCoordinators = options.coordinators ?? false;
    addKafkaCluster(this.sim, this.cluster, new ReplicationInvariants(this.sim.assert), { coordinators: this.withCoordinators });
    this.faults = new FaultInjector(this.sim, this.network, clusterNodeIds(this.cluster));
  }

  /** A scripted client node (created on first use). */
  client(name = "script"): ScriptedClient {
    let client = this.clients.get(name);
    if (client === undefined) {
      this.sim.addNode(name, (ctx) => {
        const actor = new ScriptedClient(ctx);
        this.clients.set(name, actor);
        return actor;
      });
      this.sim.node(name).start();
      client = this.clients.get(name) as ScriptedClient;
    }
    return client;
  }

  /** Sends a request from a scripted client; returns its correlation id. */
  send(to: string, request: ScriptedRequest, from = "script"): number {
    const correlationId = this.nextCorrelationId++;
    const message = { ...request, correlationId } as KafkaMessage;
    this.client(from).ctx.send(to, message);
    return correlationId;
  }

  /** Sends a request and runs the simulation until its response arrives (or `maxMs` passes). */
  call<T extends KafkaResponse["type"]>(to: string, request: ScriptedRequest, maxMs = 5000, from = "script"): Extract<KafkaResponse, { type: T }> | undefined {
    const id = this.send(to, request, from);
    const client = this.client(from);
    this.runUntil(() => client.responses.has(id), maxMs);
    return client.responses.get(id) as Extract<KafkaResponse, { type: T }> | undefined;
  }

  response(correlationId: number, from = "script"): KafkaResponse | undefined {
    return this.client(from).responses.get(correlationId);
  }

  runFor(ms: number): void {
    this.sim.runUntil(this.sim.nowUs + msToUs(ms));
  }

  /** Steps until `done()` or `maxMs` of simulated time; returns whether `done()` held. */
  runUntil(done: () => boolean, maxMs = 30_000): boolean {
    const limit = this.sim.nowUs + msToUs(maxMs);
    while (!done()) {
      if (this.sim.pendingEvents === 0) return false;
      const before = this.sim.nowUs;
      this.sim.runUntil(Math.min(limit, before + 1000));
      if (this.sim.nowUs >= limit) return done();
    }
    return true;
  }

  apply(fault: Fault): void {
    this.faults.apply({ ...fault, atMs: this.sim.nowUs / 1000 });
  }

  /** Runs until every partition (the internal topics' too, with coordinators) has a leader that knows it leads. */
  waitForLeaders(maxMs = 30_000): boolean {
    const topics = this.withCoordinators ? [...this.cluster.topics, ...internalTopics(this.cluster)] : this.cluster.topics;
    return this.runUntil(() => topics.every((t) => Array.from({ length: t.partitions }, (_, p) => p).every((p) => this.leaderOf(t.name, p) !== undefined)), maxMs);
  }

  // ── Coordinators (with `coordinators: true`) ──────────────────────────────────────────

  /** The broker node that coordinates a transactional id or a group: the leader of its internal partition. */
  coordinatorNode(keyType: CoordinatorType, key: string): string {
    const [topic, partitions] = keyType === "TRANSACTION" ? [TRANSACTION_STATE_TOPIC, this.cluster.transactionStateLogNumPartitions] : [GROUP_METADATA_TOPIC, this.cluster.offsetsTopicNumPartitions];
    return this.leaderNode(topic, partitionFor(key, partitions));
  }

  /** The transaction coordinator's view of a transactional id (state, producer id and epochs, partitions, pending state, coordinator epoch). */
  transactionState(transactionalId: string): TransactionStateView | undefined {
    return this.hostedCoordinator<TransactionCoordinator>(TRANSACTION_STATE_TOPIC, "TRANSACTION", transactionalId)?.transactionState(transactionalId);
  }

  /** The group coordinator's view of a group (state, generation, leader, members, protocol). */
  group(groupId: string): ReturnType<GroupCoordinator["group"]> {
    return this.hostedCoordinator<GroupCoordinator>(GROUP_METADATA_TOPIC, "GROUP", groupId)?.group(groupId);
  }

  /** A group's committed offsets, and the transactional offsets still waiting for their markers. */
  groupOffsets(groupId: string): { committed: PartitionOffset[]; pendingTxn: Map<number, PartitionOffset[]> } | undefined {
    const coordinator = this.hostedCoordinator<GroupCoordinator>(GROUP_METADATA_TOPIC, "GROUP", groupId);
    return coordinator === undefined ? undefined : { committed: coordinator.committedOffsets(groupId), pendingTxn: coordinator.pendingTxnOffsets(groupId) };
  }

  /** The leader's aborted-transaction index of a partition (what read_committed fetches filter with). */
  abortedTransactions(topic: string, partition: number): readonly AbortedTxn[] {
    const leader = this.leaderOf(topic, partition);
    return leader === undefined ? [] : (this.replica(leader, topic, partition)?.transactionIndex.all ?? []);
  }

  /** The leader's open transactions of a partition, as (producerId, firstOffset). */
  ongoingTransactions(topic: string, partition: number): readonly { readonly producerId: number; readonly firstOffset: number }[] {
    const leader = this.leaderOf(topic, partition);
    return leader === undefined ? [] : (this.replica(leader, topic, partition)?.producers.ongoingTransactions ?? []);
  }

  private hostedCoordinator<T>(topic: string, keyType: CoordinatorType, key: string): T | undefined {
    const leader = brokerIdOf(this.coordinatorNode(keyType, key));
    return leader === undefined ? undefined : (this.broker(leader)?.hostedCoordinator(topic) as T | undefined);
  }

  broker(id: number): Broker | undefined {
    return this.sim.node(brokerNode(id)).current as Broker | undefined;
  }

  controller(): Controller | undefined {
    return this.sim.node(CONTROLLER_NODE).current as Controller | undefined;
  }

  /** The broker whose replica currently leads, per the broker's own view (highest epoch wins). */
  leaderOf(topic: string, partition: number): number | undefined {
    let best: { id: number; epoch: number } | undefined;
    for (const id of brokerIds(this.cluster)) {
      const replica = this.broker(id)?.replica(topic, partition);
      if (replica?.role === "leader" && (best === undefined || replica.leaderEpoch > best.epoch)) best = { id, epoch: replica.leaderEpoch };
    }
    return best?.id;
  }

  leaderNode(topic: string, partition: number): string {
    const leader = this.leaderOf(topic, partition);
    if (leader === undefined) throw new Error(`no leader for ${topic}-${partition}`);
    return brokerNode(leader);
  }

  replica(broker: number, topic: string, partition: number): Replica | undefined {
    return this.broker(broker)?.replica(topic, partition);
  }

  /** Every running replica of a partition. */
  replicas(topic: string, partition: number): ReplicaSnapshot[] {
    const out: ReplicaSnapshot[] = [];
    for (const id of brokerIds(this.cluster)) {
      const replica = this.replica(id, topic, partition);
      if (replica === undefined) continue;
      out.push({
        broker: id,
        role: replica.role,
        leaderEpoch: replica.leaderEpoch,
        logEndOffset: replica.log.logEndOffset,
        highWatermark: replica.highWatermark,
        lastStableOffset: replica.lastStableOffset,
        batches: replica.log.allBatches,
      });
    }
    return out;
  }
}

/** A client batch for scripted Produce requests. */
export function batchOf(values: readonly string[], producer: { producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): RecordBatch {
  return {
    baseOffset: -1,
    partitionLeaderEpoch: -1,
    producerId: producer.producerId ?? -1,
    producerEpoch: producer.producerEpoch ?? -1,
    baseSequence: producer.baseSequence ?? -1,
    isTransactional: false,
    isControl: false,
    records: values.map((value) => ({ key: null, value, timestampMs: 0 })),
  };
}
