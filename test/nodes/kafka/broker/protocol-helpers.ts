import { expect } from "vitest";
import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { Simulation } from "../../../../sim/simulation.js";
import { msToUs } from "../../../../sim/time.js";
import type { Fault } from "../../../../src/faults/fault.js";
import { FaultInjector } from "../../../../src/faults/injector.js";
import { Network } from "../../../../src/network/network.js";
import { Broker } from "../../../../src/nodes/kafka/broker.js";
import { DEFAULT_BROKER_CONFIG, DEFAULT_CONTROLLER_CONFIG, type BrokerConfig, type TopicConfig } from "../../../../src/nodes/kafka/broker-config.js";
import { Controller } from "../../../../src/nodes/kafka/controller.js";
import type { CoordinatorFactory } from "../../../../src/nodes/kafka/coordinator-host.js";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import { brokerNode, CONTROLLER_NODE } from "../../../../src/nodes/kafka/names.js";
import { NO_OBSERVER, type ReplicationObserver } from "../../../../src/nodes/kafka/observer.js";
import {
  CONSUMER_REPLICA_ID,
  type Acks,
  type FetchPartitionResponse,
  type IsolationLevel,
  type KafkaMessage,
  type KafkaResponse,
  type PartitionState,
  type ProducePartitionResponse,
  type RecordBatch,
} from "../../../../src/nodes/kafka/protocol.js";
import type { Replica } from "../../../../src/nodes/kafka/replica.js";
import type { TransactionResult, TransactionVersion } from "../../../../src/nodes/kafka/txn/protocol.js";
import { batchOf, KafkaHarness, type HarnessOptions, type ScriptedRequest } from "../../../../src/systems/kafka/harness.js";

/** Protocol-test helpers over KafkaHarness: one scripted request, one assertion-friendly answer. */

export const TOPIC = "events";

export interface ProduceOptions {
  readonly acks?: Acks;
  readonly timeoutMs?: number;
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly topic?: string;
  readonly partition?: number;
  /** How long to wait for the answer (simulated ms). */
  readonly waitMs?: number;
}

/** A harness whose cluster has elected every leader; fails the test if it cannot. */
export function startedHarness(options: HarnessOptions = {}): KafkaHarness {
  const h = new KafkaHarness(options);
  expect(h.waitForLeaders(), "every partition should get a leader").toBe(true);
  return h;
}

/** Sends one Produce for one batch to `to`; the partition's answer, or undefined if none came within waitMs. */
export function produce(h: KafkaHarness, to: string, values: readonly string[], options: ProduceOptions = {}): ProducePartitionResponse | undefined {
  const topic = options.topic ?? TOPIC;
  const partition = options.partition ?? 0;
  const batch = batchOf(values, { producerId: options.producerId, producerEpoch: options.producerEpoch, baseSequence: options.baseSequence });
  const response = h.call<"ProduceResponse">(
    to,
    { type: "Produce", acks: options.acks ?? -1, timeoutMs: options.timeoutMs ?? 30_000, transactionalId: null, topicData: [{ topic, partition, batch }] },
    options.waitMs ?? 5000,
  );
  return response?.responses[0];
}

/** Produce to the current leader of the partition. */
export function produceToLeader(h: KafkaHarness, values: readonly string[], options: ProduceOptions = {}): ProducePartitionResponse | undefined {
  return produce(h, h.leaderNode(options.topic ?? TOPIC, options.partition ?? 0), values, options);
}

/** Sends one InitProducerId with a null transactional.id. */
export function callInitProducerId(h: KafkaHarness, to: string) {
  return h.call<"InitProducerIdResponse">(to, { type: "InitProducerId", transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
}

/**
 * An idempotent producer id from InitProducerId, retried as a client retries the retriable
 * COORDINATOR_LOAD_IN_PROGRESS a broker answers until its first producer-id block arrives.
 */
export function initProducerId(h: KafkaHarness, to = "b1"): { producerId: number; producerEpoch: number } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const response = callInitProducerId(h, to);
    if (response?.error === "COORDINATOR_LOAD_IN_PROGRESS") {
      h.runFor(100);
      continue;
    }
    expect(response?.error).toBe("NONE");
    return { producerId: response?.producerId ?? -1, producerEpoch: response?.producerEpoch ?? -1 };
  }
  throw new Error(`${to} never handed out a producer id`);
}

/** The record values in a broker's log, in offset order. */
export function logValues(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): string[] {
  return (h.replica(broker, topic, partition)?.log.allBatches ?? []).flatMap((b) => b.records.map((r) => r.value));
}

export function logEndOffset(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): number {
  return h.replica(broker, topic, partition)?.log.logEndOffset ?? -1;
}

export function highWatermark(h: KafkaHarness, broker: number, topic = TOPIC, partition = 0): number {
  return h.replica(broker, topic, partition)?.highWatermark ?? -1;
}

/** The controller's view of a partition (leader, epoch, ISR). */
export function controllerState(h: KafkaHarness, topic = TOPIC, partition = 0): PartitionState {
  const state = h.controller()?.partitions.find((p) => p.topic === topic && p.partition === partition);
  if (state === undefined) throw new Error(`controller does not know ${topic}-${partition}`);
  return state;
}

export function isrOf(h: KafkaHarness, topic = TOPIC, partition = 0): number[] {
  return [...controllerState(h, topic, partition).isr].sort((a, b) => a - b);
}

/** Runs until the ISR is exactly `isr` (any order) at the controller and at the leader, if there is one. */
export function waitForIsr(h: KafkaHarness, isr: readonly number[], maxMs = 60_000, topic = TOPIC, partition = 0): boolean {
  const want = [...isr].sort((a, b) => a - b).join(",");
  const sorted = (ids: readonly number[]) => [...ids].sort((a, b) => a - b).join(",");
  return h.runUntil(() => {
    if (sorted(isrOf(h, topic, partition)) !== want) return false;
    const leader = h.leaderOf(topic, partition);
    return leader === undefined || sorted(h.replica(leader, topic, partition)?.isr ?? []) === want;
  }, maxMs);
}

/** Runs until `broker` leads the partition by its own account. */
export function waitForLeader(h: KafkaHarness, broker: number, maxMs = 60_000, topic = TOPIC, partition = 0): boolean {
  return h.runUntil(() => h.leaderOf(topic, partition) === broker, maxMs);
}

/** Names of the online invariants that failed in the run so far. */
export function failedInvariants(h: KafkaHarness): string[] {
  return [...new Set(h.sim.assert.failures.map((f) => f.name))];
}

// ── Transactions: a cluster whose brokers take extra options (config, hosted coordinators) ──

/** A broker's transaction settings and hosted coordinators, which KafkaHarness does not expose. */
export interface TxnClusterOptions {
  readonly brokers?: number;
  readonly topics?: readonly TopicConfig[];
  readonly minInsyncReplicas?: number;
  readonly brokerSessionTimeoutMs?: number;
  readonly bugs?: readonly string[];
  readonly broker?: Partial<BrokerConfig>;
  readonly coordinators?: (brokerId: number) => readonly CoordinatorFactory[];
  readonly observer?: ReplicationObserver;
}

class ScriptClient implements Actor {
  readonly responses = new Map<number, KafkaResponse>();
  constructor(readonly ctx: NodeContext) {}
  onMessage(_from: string, message: Message): void {
    const response = message as KafkaResponse;
    if ("correlationId" in response) this.responses.set(response.correlationId, response);
  }
}

/**
 * The protocol harness's scripting for a cluster built here: the controller and brokers with
 * the given broker config and coordinators, a scripted client, faults.
 */
export class TxnCluster {
  readonly sim: Simulation;
  readonly network: Network;
  readonly faults: FaultInjector;
  readonly brokerIds: number[];
  readonly topics: readonly TopicConfig[];
  private script: ScriptClient | undefined;
  private nextCorrelationId = 1;

  constructor(options: TxnClusterOptions = {}) {
    this.sim = new Simulation({ seed: 1, bugs: options.bugs ?? [] });
    this.network = new Network(this.sim, { latency: { model: "constant", ms: 1 } });
    this.brokerIds = Array.from({ length: options.brokers ?? 3 }, (_, i) => i + 1);
    this.topics = options.topics ?? [{ name: TOPIC, partitions: 1, replicationFactor: 3 }];
    const controllerConfig = { ...DEFAULT_CONTROLLER_CONFIG, brokerSessionTimeoutMs: options.brokerSessionTimeoutMs ?? 3000 };
    this.sim.addNode(CONTROLLER_NODE, (ctx) => new Controller(ctx, { config: controllerConfig, brokerIds: this.brokerIds, topics: this.topics }));
    const config: BrokerConfig = { ...DEFAULT_BROKER_CONFIG, minInsyncReplicas: options.minInsyncReplicas ?? 1, ...options.broker };
    const observer = options.observer ?? NO_OBSERVER;
    for (const brokerId of this.brokerIds) {
      this.sim.addNode(brokerNode(brokerId), (ctx) => new Broker(ctx, { brokerId, config, observer, coordinators: options.coordinators?.(brokerId) ?? [] }));
    }
    for (const id of [CONTROLLER_NODE, ...this.brokerIds.map(brokerNode)]) this.sim.node(id).start();
    this.faults = new FaultInjector(this.sim, this.network, [CONTROLLER_NODE, ...this.brokerIds.map(brokerNode)]);
  }

  private client(): ScriptClient {
    if (this.script === undefined) {
      this.sim.addNode("script", (ctx) => (this.script = new ScriptClient(ctx)));
      this.sim.node("script").start();
    }
    return this.script as ScriptClient;
  }

  send(to: string, request: ScriptedRequest): number {
    const correlationId = this.nextCorrelationId++;
    this.client().ctx.send(to, { ...request, correlationId } as KafkaMessage);
    return correlationId;
  }

  response<T extends KafkaResponse["type"]>(correlationId: number): Extract<KafkaResponse, { type: T }> | undefined {
    return this.client().responses.get(correlationId) as Extract<KafkaResponse, { type: T }> | undefined;
  }

  call<T extends KafkaResponse["type"]>(to: string, request: ScriptedRequest, maxMs = 5000): Extract<KafkaResponse, { type: T }> | undefined {
    const id = this.send(to, request);
    this.runUntil(() => this.client().responses.has(id), maxMs);
    return this.response<T>(id);
  }

  runFor(ms: number): void {
    this.sim.runUntil(this.sim.nowUs + msToUs(ms));
  }

  runUntil(done: () => boolean, maxMs = 30_000): boolean {
    const limit = this.sim.nowUs + msToUs(maxMs);
    while (!done()) {
      if (this.sim.pendingEvents === 0 || this.sim.nowUs >= limit) return done();
      this.sim.runUntil(Math.min(limit, this.sim.nowUs + 1000));
    }
    return true;
  }

  apply(fault: Fault): void {
    this.faults.apply({ ...fault, atMs: this.sim.nowUs / 1000 });
  }

  broker(id: number): Broker | undefined {
    return this.sim.node(brokerNode(id)).current as Broker | undefined;
  }

  replica(broker: number, topic = TOPIC, partition = 0): Replica | undefined {
    return this.broker(broker)?.replica(topic, partition);
  }

  leaderOf(topic = TOPIC, partition = 0): number | undefined {
    let best: { id: number; epoch: number } | undefined;
    for (const id of this.brokerIds) {
      const replica = this.replica(id, topic, partition);
      if (replica?.role === "leader" && (best === undefined || replica.leaderEpoch > best.epoch)) best = { id, epoch: replica.leaderEpoch };
    }
    return best?.id;
  }

  leaderNode(topic = TOPIC, partition = 0): string {
    const leader = this.leaderOf(topic, partition);
    if (leader === undefined) throw new Error(`no leader for ${topic}-${partition}`);
    return brokerNode(leader);
  }

  /** Runs until every partition has a leader and every broker's metadata names it. */
  waitForLeaders(maxMs = 30_000): boolean {
    return this.runUntil(() => this.topics.every((t) => Array.from({ length: t.partitions }, (_, p) => this.leaderOf(t.name, p) !== undefined)), maxMs);
  }

  /** The leader's replica of a partition. */
  leaderReplica(topic = TOPIC, partition = 0): Replica {
    const replica = this.replica(this.leaderOf(topic, partition) ?? -1, topic, partition);
    if (replica === undefined) throw new Error(`no leader replica for ${topic}-${partition}`);
    return replica;
  }

  /** Runs until every replica of the partition has the leader's HW and log end. */
  waitForReplication(topic = TOPIC, partition = 0, maxMs = 10_000): boolean {
    return this.runUntil(() => {
      const leader = this.leaderReplica(topic, partition);
      return this.brokerIds.every((id) => {
        const r = this.replica(id, topic, partition);
        return r === undefined || (r.log.logEndOffset === leader.log.logEndOffset && r.highWatermark === leader.highWatermark && leader.highWatermark === leader.log.logEndOffset);
      });
    }, maxMs);
  }
}

/** A started TxnCluster with every leader elected; fails the test if it cannot. */
export function startedTxnCluster(options: TxnClusterOptions = {}): TxnCluster {
  const c = new TxnCluster(options);
  expect(c.waitForLeaders(), "every partition should get a leader").toBe(true);
  // Metadata (for FindCoordinator and verification) follows the elections by a round trip.
  c.runFor(200);
  return c;
}

export interface TxnBatchOptions {
  readonly producerId: number;
  readonly producerEpoch?: number;
  readonly baseSequence: number;
  readonly transactional?: boolean;
}

/** A client batch of a (by default transactional) producer. */
export function txnBatch(values: readonly string[], options: TxnBatchOptions): RecordBatch {
  return { ...batchOf(values, { producerId: options.producerId, producerEpoch: options.producerEpoch ?? 0, baseSequence: options.baseSequence }), isTransactional: options.transactional ?? true };
}

/** Produces one batch to the partition's leader with acks=all; the partition's answer. */
export function produceBatch(c: TxnCluster, batch: RecordBatch, options: { transactionalId?: string | null; topic?: string; partition?: number; waitMs?: number } = {}): ProducePartitionResponse | undefined {
  const topic = options.topic ?? TOPIC;
  const partition = options.partition ?? 0;
  const response = c.call<"ProduceResponse">(
    c.leaderNode(topic, partition),
    { type: "Produce", acks: -1, timeoutMs: 30_000, transactionalId: options.transactionalId === undefined ? "tx" : options.transactionalId, topicData: [{ topic, partition, batch }] },
    options.waitMs ?? 5000,
  );
  return response?.responses[0];
}

export interface MarkerOptions {
  readonly producerId: number;
  readonly producerEpoch?: number;
  readonly coordinatorEpoch?: number;
  readonly transactionVersion?: TransactionVersion;
  readonly topic?: string;
  readonly partition?: number;
  readonly to?: string;
  readonly waitMs?: number;
}

/** Sends one WriteTxnMarkers for one partition; that partition's error, or undefined if no answer came. */
export function writeMarker(c: TxnCluster, result: TransactionResult, options: MarkerOptions): KafkaError | undefined {
  const topic = options.topic ?? TOPIC;
  const partition = options.partition ?? 0;
  const response = c.call<"WriteTxnMarkersResponse">(
    options.to ?? c.leaderNode(topic, partition),
    {
      type: "WriteTxnMarkers",
      markers: [
        {
          producerId: options.producerId,
          producerEpoch: options.producerEpoch ?? 0,
          coordinatorEpoch: options.coordinatorEpoch ?? 0,
          result,
          transactionVersion: options.transactionVersion ?? 1,
          partitions: [{ topic, partition }],
        },
      ],
    },
    options.waitMs ?? 5000,
  );
  return response?.markers[0]?.partitions[0]?.error;
}

/** A consumer's fetch of one partition from its leader. */
export function fetchFrom(c: TxnCluster, fetchOffset: number, isolationLevel: IsolationLevel, topic = TOPIC, partition = 0): FetchPartitionResponse | undefined {
  const response = c.call<"FetchResponse">(c.leaderNode(topic, partition), {
    type: "Fetch",
    replicaId: CONSUMER_REPLICA_ID,
    replicaEpoch: -1,
    isolationLevel,
    maxBytes: 1 << 20,
    partitions: [{ topic, partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
  });
  return response?.partitions[0];
}

/** Record values of a fetch response's data batches (control batches have none for a reader). */
export function fetchedValues(response: FetchPartitionResponse | undefined): string[] {
  return (response?.batches ?? []).filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value));
}

/** The leader (with the script and the controller) cannot reach its followers: its HW stops. */
export function cutOffFollowers(c: TxnCluster, topic = TOPIC, partition = 0): void {
  const leader = c.leaderNode(topic, partition);
  const followers = c.brokerIds.map(brokerNode).filter((n) => n !== leader);
  c.apply({ kind: "partition", shape: "groups", groups: [[leader, "script", CONTROLLER_NODE], followers] });
}
