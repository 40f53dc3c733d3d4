/**
 * A scripted transaction and group coordinator on top of the fake brokers
 * (kafka-fake-broker.ts): every broker node answers the data-plane requests as a FakeBroker, and
 * FindCoordinator / InitProducerId (with a transactional id) / AddPartitionsToTxn /
 * AddOffsetsToTxn / EndTxn / TxnOffsetCommit from a shared `FakeTxnCoordinator`.
 *
 * The coordinator keeps one entry per transactional id and follows the real rules closely enough
 * for client tests: InitProducerId bumps the epoch (a first one allocates the id), requests with an
 * older epoch are PRODUCER_FENCED, EndTxn under TV2 bumps the epoch and answers with it (a retry
 * that finds the transaction already ended with the same result is answered NONE; an abort of a
 * transaction the coordinator never saw just bumps), TV2 produce
 * adds partitions implicitly. Only the broker named by `transactionCoordinator` /
 * `groupCoordinator` serves them; the others answer NOT_COORDINATOR.
 *
 * Tests script anything else with the fake cluster's fault rules (`cluster.inject`): an `error`
 * action on a coordinator API answers that error for the whole request (or `count` requests),
 * and drop-request / drop-response / delay-response work as for the data plane.
 */
import type { Actor, Message, NodeContext } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import { Network } from "../../src/network/network.js";
import { coordinatorErrorResponse } from "../../src/nodes/kafka/coordinator-router.js";
import type { KafkaError } from "../../src/nodes/kafka/errors.js";
import { brokerIdOf, brokerNode } from "../../src/nodes/kafka/names.js";
import { partitionKey, type GroupAndTxnRequest, type KafkaRequest, type KafkaResponse, type PartitionOffset } from "../../src/nodes/kafka/protocol.js";
import { FakeBroker, FakeCluster, simDriver, type FakeSystem, type FakeSystemOptions, type FaultRule } from "./kafka-fake-broker.js";

export type FakeTxnState = "Empty" | "Ongoing" | "CompleteCommit" | "CompleteAbort";

export interface FakeTxnEntry {
  producerId: number;
  producerEpoch: number;
  state: FakeTxnState;
  readonly partitions: Set<string>;
  readonly pendingOffsets: Map<string, PartitionOffset & { readonly groupId: string }>;
  transactionTimeoutMs: number;
}

export interface EndedTransaction {
  readonly transactionalId: string;
  readonly result: "COMMIT" | "ABORT";
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly string[];
}

type CoordinatorRequestType = "FindCoordinator" | "AddPartitionsToTxn" | "AddOffsetsToTxn" | "EndTxn" | "TxnOffsetCommit" | "InitProducerId";

export class FakeTxnCoordinator {
  /** The broker that serves transactional ids (move it to test re-lookup). */
  transactionCoordinator: number;
  /** The broker that serves groups. */
  groupCoordinator: number;
  readonly entries = new Map<string, FakeTxnEntry>();
  readonly ended: EndedTransaction[] = [];
  /** Offsets made visible by a committed transaction: `group/topic-partition` → offset. */
  readonly committedOffsets = new Map<string, number>();
  private nextProducerId = 5000;

  constructor(readonly cluster: FakeCluster) {
    this.transactionCoordinator = cluster.brokers[0] as number;
    this.groupCoordinator = cluster.brokers[0] as number;
  }

  entry(transactionalId: string): FakeTxnEntry | undefined {
    return this.entries.get(transactionalId);
  }

  /** Fences the current instance as a new InitProducerId would (epoch + 1). */
  fence(transactionalId: string): void {
    const entry = this.entries.get(transactionalId);
    if (entry === undefined) throw new Error(`unknown transactional id ${transactionalId}`);
    entry.producerEpoch++;
    entry.state = "CompleteAbort";
    entry.partitions.clear();
  }

  /** The coordinator's answer (without correlation id) to one request received by `broker`. */
  answer(broker: number, request: GroupAndTxnRequest | Extract<KafkaRequest, { type: "InitProducerId" }>): KafkaResponse | undefined {
    const correlationId = request.correlationId;
    switch (request.type) {
      case "FindCoordinator":
        return { type: "FindCoordinatorResponse", correlationId, error: "NONE", nodeId: request.keyType === "TRANSACTION" ? this.transactionCoordinator : this.groupCoordinator };
      case "InitProducerId": {
        if (broker !== this.transactionCoordinator) return { type: "InitProducerIdResponse", correlationId, error: "NOT_COORDINATOR", producerId: -1, producerEpoch: -1 };
        const entry = this.initProducerId(request.transactionalId as string, request.transactionTimeoutMs, request.producerId, request.producerEpoch);
        if (typeof entry === "string") return { type: "InitProducerIdResponse", correlationId, error: entry, producerId: -1, producerEpoch: -1 };
        return { type: "InitProducerIdResponse", correlationId, error: "NONE", producerId: entry.producerId, producerEpoch: entry.producerEpoch };
      }
      case "AddPartitionsToTxn": {
        const error = broker !== this.transactionCoordinator ? "NOT_COORDINATOR" : this.addPartitions(request.transactionalId as string, request.producerId, request.producerEpoch, request.partitions.map((p) => partitionKey(p.topic, p.partition)));
        return { type: "AddPartitionsToTxnResponse", correlationId, results: request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })) };
      }
      case "AddOffsetsToTxn": {
        const error = broker !== this.transactionCoordinator ? "NOT_COORDINATOR" : this.addPartitions(request.transactionalId as string, request.producerId, request.producerEpoch, [`__consumer_offsets-${request.groupId}`]);
        return { type: "AddOffsetsToTxnResponse", correlationId, error };
      }
      case "TxnOffsetCommit": {
        const error = broker !== this.groupCoordinator ? "NOT_COORDINATOR" : this.txnOffsetCommit(request);
        return { type: "TxnOffsetCommitResponse", correlationId, results: request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) };
      }
      case "EndTxn": {
        if (broker !== this.transactionCoordinator) return { type: "EndTxnResponse", correlationId, error: "NOT_COORDINATOR", producerId: -1, producerEpoch: -1 };
        return { type: "EndTxnResponse", correlationId, ...this.endTxn(request) };
      }
      default:
        return undefined;
    }
  }

  /** Under TV2 a transactional produce adds its partition (the leader asks the coordinator). */
  onTransactionalProduce(transactionalId: string, producerId: number, producerEpoch: number, tp: string): KafkaError {
    const entry = this.entries.get(transactionalId);
    if (entry === undefined || entry.producerId !== producerId) return "INVALID_PRODUCER_ID_MAPPING";
    if (producerEpoch < entry.producerEpoch) return "INVALID_PRODUCER_EPOCH";
    entry.state = "Ongoing";
    entry.partitions.add(tp);
    return "NONE";
  }

  private initProducerId(transactionalId: string, transactionTimeoutMs: number, producerId: number, producerEpoch: number): FakeTxnEntry | KafkaError {
    let entry = this.entries.get(transactionalId);
    if (entry === undefined) {
      entry = { producerId: this.nextProducerId++, producerEpoch: 0, state: "Empty", partitions: new Set(), pendingOffsets: new Map(), transactionTimeoutMs };
      this.entries.set(transactionalId, entry);
      return entry;
    }
    if (producerId >= 0 && (producerId !== entry.producerId || producerEpoch !== entry.producerEpoch)) return "PRODUCER_FENCED";
    if (entry.state === "Ongoing") this.complete(transactionalId, entry, "ABORT");
    entry.producerEpoch++;
    entry.state = "Empty";
    entry.transactionTimeoutMs = transactionTimeoutMs;
    return entry;
  }

  private addPartitions(transactionalId: string, producerId: number, producerEpoch: number, tps: readonly string[]): KafkaError {
    const entry = this.entries.get(transactionalId);
    if (entry === undefined || entry.producerId !== producerId) return "INVALID_PRODUCER_ID_MAPPING";
    if (producerEpoch !== entry.producerEpoch) return "PRODUCER_FENCED";
    entry.state = "Ongoing";
    for (const tp of tps) entry.partitions.add(tp);
    return "NONE";
  }

  private txnOffsetCommit(request: Extract<GroupAndTxnRequest, { type: "TxnOffsetCommit" }>): KafkaError {
    const entry = this.entries.get(request.transactionalId);
    if (entry === undefined || entry.producerId !== request.producerId) return "INVALID_PRODUCER_ID_MAPPING";
    if (request.producerEpoch !== entry.producerEpoch) return "PRODUCER_FENCED";
    entry.state = "Ongoing";
    entry.partitions.add(`__consumer_offsets-${request.groupId}`);
    for (const o of request.offsets) entry.pendingOffsets.set(`${request.groupId}/${partitionKey(o.topic, o.partition)}`, { ...o, groupId: request.groupId });
    return "NONE";
  }

  private endTxn(request: Extract<GroupAndTxnRequest, { type: "EndTxn" }>): { error: KafkaError; producerId: number; producerEpoch: number } {
    const id = request.transactionalId as string;
    const entry = this.entries.get(id);
    const none = { producerId: -1, producerEpoch: -1 };
    if (entry === undefined || entry.producerId !== request.producerId) return { error: "INVALID_PRODUCER_ID_MAPPING", ...none };
    const tv2 = request.transactionVersion >= 2;
    const ended = request.result === "COMMIT" ? "CompleteCommit" : "CompleteAbort";
    // A retry of an EndTxn that already completed (TV2: the epoch moved on by one).
    const retried = tv2 ? request.producerEpoch + 1 === entry.producerEpoch : request.producerEpoch === entry.producerEpoch;
    if (retried && entry.state === ended) return { error: "NONE", ...(tv2 ? { producerId: entry.producerId, producerEpoch: entry.producerEpoch } : none) };
    if (request.producerEpoch !== entry.producerEpoch) return { error: "PRODUCER_FENCED", ...none };
    // TV2 lets a client abort a transaction the coordinator never saw (it only bumps the epoch).
    const emptyAbort = tv2 && request.result === "ABORT" && entry.state !== "Ongoing";
    if (entry.state !== "Ongoing" && !emptyAbort) return { error: "INVALID_TXN_STATE", ...none };
    this.complete(id, entry, request.result);
    if (tv2) entry.producerEpoch++;
    return { error: "NONE", ...(tv2 ? { producerId: entry.producerId, producerEpoch: entry.producerEpoch } : none) };
  }

  private complete(transactionalId: string, entry: FakeTxnEntry, result: "COMMIT" | "ABORT"): void {
    this.ended.push({ transactionalId, result, producerId: entry.producerId, producerEpoch: entry.producerEpoch, partitions: [...entry.partitions].sort() });
    if (result === "COMMIT") for (const [key, o] of entry.pendingOffsets) this.committedOffsets.set(key, o.offset);
    entry.pendingOffsets.clear();
    entry.partitions.clear();
    entry.state = result === "COMMIT" ? "CompleteCommit" : "CompleteAbort";
  }
}

const COORDINATOR_APIS: ReadonlySet<string> = new Set<CoordinatorRequestType>(["FindCoordinator", "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "TxnOffsetCommit", "InitProducerId"]);

/** A fake broker `b<id>` that also answers for the shared fake coordinator. */
export class FakeTxnBroker implements Actor {
  private readonly data: FakeBroker;

  constructor(
    private readonly ctx: NodeContext,
    private readonly cluster: FakeCluster,
    private readonly coordinator: FakeTxnCoordinator,
    private readonly id: number,
  ) {
    this.data = new FakeBroker(ctx, cluster, id);
  }

  onMessage(from: string, message: Message): void {
    const request = message as KafkaRequest;
    if (request.type === "InitProducerId" && request.transactionalId === null) return this.data.onMessage(from, message);
    if (request.type === "Produce" && request.transactionalId !== null) this.addImplicitly(request);
    if (!COORDINATOR_APIS.has(request.type)) return this.data.onMessage(from, message);
    this.cluster.received.push({ atUs: this.ctx.wallClockUs(), broker: this.id, from, request });
    const rule = this.cluster.takeFault(request.type, this.id, request);
    const action = rule?.action;
    if (action?.kind === "drop-request") return;
    const response = action?.kind === "error" ? errorResponse(request, action.error) : this.coordinator.answer(this.id, request as GroupAndTxnRequest);
    if (response === undefined || action?.kind === "drop-response") return;
    if (action?.kind === "delay-response") {
      this.ctx.after(msToUs(action.ms), "delayed-response", () => this.ctx.send(from, response));
      return;
    }
    this.ctx.send(from, response);
  }

  /** TV2: the leader adds the partition of a transactional batch (KIP-890 part 2). */
  private addImplicitly(request: Extract<KafkaRequest, { type: "Produce" }>): void {
    for (const { topic, partition, batch } of request.topicData) {
      const entry = this.coordinator.entry(request.transactionalId as string);
      if (entry !== undefined && !entry.partitions.has(partitionKey(topic, partition))) {
        this.coordinator.onTransactionalProduce(request.transactionalId as string, batch.producerId, batch.producerEpoch, partitionKey(topic, partition));
      }
    }
  }
}

/** The whole-request answer a scripted `error` fault gives to a coordinator request. */
/** The answer to a transaction request the test made fail: the router's, plus FindCoordinator's; undefined for other requests. */
function errorResponse(request: KafkaRequest, error: KafkaError): KafkaResponse | undefined {
  switch (request.type) {
    case "FindCoordinator":
      return { type: "FindCoordinatorResponse", correlationId: request.correlationId, error, nodeId: -1 };
    case "InitProducerId":
    case "AddPartitionsToTxn":
    case "AddOffsetsToTxn":
    case "TxnOffsetCommit":
    case "EndTxn":
      return coordinatorErrorResponse(request, error);
    default:
      return undefined;
  }
}

export interface FakeTxnSystem extends FakeSystem {
  readonly coordinator: FakeTxnCoordinator;
}

/** Like buildFakeSystem, with brokers that also serve the fake coordinator. */
export function buildFakeTxnSystem(options: FakeSystemOptions = {}): FakeTxnSystem {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const net = new Network(sim, options.network ?? { latency: { model: "constant", ms: 1 } });
  const brokers = options.brokers ?? [1];
  const cluster = new FakeCluster(brokers, options.topics ?? [{ name: "t", partitions: 1 }]);
  const coordinator = new FakeTxnCoordinator(cluster);
  for (const id of brokers) {
    sim.addNode(brokerNode(id), (ctx) => new FakeTxnBroker(ctx, cluster, coordinator, brokerIdOf(ctx.id) as number));
    sim.node(brokerNode(id)).start();
  }
  return {
    sim,
    net,
    cluster,
    coordinator,
    ...simDriver(sim),
  };
}

export type { FaultRule };
