import type { Actor, Message, NodeContext } from "../../../sim/actor.js";
import { Simulation } from "../../../sim/simulation.js";
import { msToUs } from "../../../sim/time.js";
import { ReplicationInvariants } from "../../checks/kafka-online/replication-invariants.js";
import { FaultInjector } from "../../faults/injector.js";
import type { Fault } from "../../faults/fault.js";
import { Network, type NetworkOptions } from "../../network/network.js";
import type { Broker } from "../../nodes/kafka/broker.js";
import type { Controller } from "../../nodes/kafka/controller.js";
import { brokerNode, CONTROLLER_NODE } from "../../nodes/kafka/names.js";
import type { KafkaMessage, KafkaRequest, KafkaResponse, RecordBatch } from "../../nodes/kafka/protocol.js";
import type { Replica } from "../../nodes/kafka/replica.js";
import { addKafkaCluster, brokerIds, clusterNodeIds } from "./cluster.js";
import { kafkaClusterSchema, type KafkaCluster, type KafkaClusterInput } from "./config.js";

/** A request as a script writes it: the harness assigns the correlation id. */
export type ScriptedRequest = KafkaRequest extends infer R ? (R extends KafkaRequest ? Omit<R, "correlationId"> : never) : never;

export interface HarnessOptions {
  readonly cluster?: Omit<KafkaClusterInput, "kind">;
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
  private nextCorrelationId = 1;

  constructor(options: HarnessOptions = {}) {
    this.cluster = kafkaClusterSchema.parse({ kind: "kafka", ...options.cluster });
    this.sim = new Simulation({ seed: options.seed ?? 1, bugs: options.bugs ?? [] });
    this.network = new Network(this.sim, options.network ?? { latency: { model: "constant", ms: 1 } });
    addKafkaCluster(this.sim, this.cluster, new ReplicationInvariants(this.sim.assert));
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

  /** Runs until every partition has a leader that knows it leads. */
  waitForLeaders(maxMs = 30_000): boolean {
    return this.runUntil(() => this.cluster.topics.every((t) => Array.from({ length: t.partitions }, (_, p) => p).every((p) => this.leaderOf(t.name, p) !== undefined)), maxMs);
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
