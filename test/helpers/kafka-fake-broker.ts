/**
 * A fake Kafka cluster for client tests: every broker is a small in-memory leader (one replica,
 * so HW = LEO) over a shared `FakeCluster` state. It answers Metadata, InitProducerId (null
 * transactional id), Produce (offsets, idempotence: dedup of the last 5 batches per producer by
 * (epoch, sequence range), epoch and sequence checks), Fetch (read_uncommitted, up to the HW)
 * and ListOffsets; a consumer Fetch that finds nothing waits up to its maxWaitMs for an append.
 * Tests move leaders and inject faults: drop a request, drop or delay a
 * response, or answer an error (optionally after appending).
 */
import type { Actor, Message, NodeContext, Timer } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import { Network, type NetworkOptions } from "../../src/network/network.js";
import type { KafkaError } from "../../src/nodes/kafka/errors.js";
import { brokerIdOf, brokerNode } from "../../src/nodes/kafka/names.js";
import {
  EARLIEST_TIMESTAMP,
  lastOffsetOf,
  lastSequenceOf,
  partitionKey,
  type FetchPartitionResponse,
  type KafkaRequest,
  type KafkaResponse,
  type ProducePartitionResponse,
  type RecordBatch,
} from "../../src/nodes/kafka/protocol.js";

export type FakeApi = KafkaRequest["type"];

export type FaultAction =
  /** The broker never sees the request. */
  | { readonly kind: "drop-request" }
  /** The broker acts on the request but its response is lost. */
  | { readonly kind: "drop-response" }
  /** The broker acts at once and answers `ms` later. */
  | { readonly kind: "delay-response"; readonly ms: number }
  /** Produce/Fetch/ListOffsets: the partition answers `error`; with `append` a Produce is appended first. */
  | { readonly kind: "error"; readonly error: KafkaError; readonly append?: boolean };

export interface FaultRule {
  readonly api: FakeApi;
  readonly action: FaultAction;
  /** Only requests to this broker. */
  readonly broker?: number;
  /** Produce/Fetch/ListOffsets: only this partition (`topic-partition`); errors apply to it alone. */
  readonly tp?: string;
  /** Any further condition on the request. */
  readonly when?: (request: KafkaRequest) => boolean;
  /** How many matching requests it applies to (default 1). */
  remaining: number;
}

interface ProducerEntry {
  epoch: number;
  batches: { firstSeq: number; lastSeq: number; firstOffset: number }[];
}

export interface FakeLog {
  readonly batches: RecordBatch[];
  logStartOffset: number;
  readonly producers: Map<number, ProducerEntry>;
}

export interface ReceivedRequest {
  readonly atUs: number;
  readonly broker: number;
  readonly from: string;
  readonly request: KafkaRequest;
}

/** The shared state of the fake brokers: topics, leaders, logs, producer ids, faults. */
export class FakeCluster {
  readonly topics = new Map<string, number>();
  readonly leaders = new Map<string, { leader: number; leaderEpoch: number }>();
  readonly logs = new Map<string, FakeLog>();
  readonly received: ReceivedRequest[] = [];
  readonly faults: FaultRule[] = [];
  nextProducerId = 1000;
  /** Batches returned per partition per Fetch. */
  fetchMaxBatches = 10;

  constructor(
    readonly brokers: readonly number[],
    topics: readonly { readonly name: string; readonly partitions: number }[],
  ) {
    for (const { name, partitions } of topics) {
      this.topics.set(name, partitions);
      for (let p = 0; p < partitions; p++) {
        const tp = partitionKey(name, p);
        this.leaders.set(tp, { leader: brokers[p % brokers.length] as number, leaderEpoch: 0 });
        this.logs.set(tp, { batches: [], logStartOffset: 0, producers: new Map() });
      }
    }
  }

  private readonly parked: { timer: Timer | undefined; readonly answer: () => void }[] = [];

  /** Holds a fetch that found nothing until the next append or `maxWaitMs`. */
  park(ctx: NodeContext, maxWaitMs: number, answer: () => void): void {
    const entry: { timer: Timer | undefined; readonly answer: () => void } = { timer: undefined, answer };
    entry.timer = ctx.after(msToUs(maxWaitMs), "fetch-wait", () => {
      const at = this.parked.indexOf(entry);
      if (at < 0) return;
      this.parked.splice(at, 1);
      answer();
    });
    this.parked.push(entry);
  }

  /** Answers every parked fetch (after an append). */
  wakeParked(): void {
    for (const entry of this.parked.splice(0)) {
      entry.timer?.cancel();
      entry.answer();
    }
  }

  /** Arms a fault for the next `count` matching requests (default 1). */
  inject(rule: Omit<FaultRule, "remaining"> & { readonly count?: number }): void {
    this.faults.push({ ...rule, remaining: rule.count ?? 1 });
  }

  /** Moves a partition's leadership, bumping its leader epoch. */
  moveLeader(tp: string, leader: number): void {
    const current = this.leaders.get(tp);
    if (current === undefined) throw new Error(`unknown partition ${tp}`);
    this.leaders.set(tp, { leader, leaderEpoch: current.leaderEpoch + 1 });
  }

  log(tp: string): FakeLog {
    const log = this.logs.get(tp);
    if (log === undefined) throw new Error(`unknown partition ${tp}`);
    return log;
  }

  logEndOffset(tp: string): number {
    const last = this.log(tp).batches.at(-1);
    return last === undefined ? this.log(tp).logStartOffset : lastOffsetOf(last) + 1;
  }

  /** Appends a batch directly to a partition's log (no validation), as if a producer had written it. */
  appendBatch(tp: string, values: readonly string[], options: Partial<Pick<RecordBatch, "producerId" | "producerEpoch" | "baseSequence" | "isTransactional" | "isControl">> = {}): RecordBatch {
    const batch: RecordBatch = {
      baseOffset: this.logEndOffset(tp),
      partitionLeaderEpoch: this.leaders.get(tp)?.leaderEpoch ?? 0,
      producerId: options.producerId ?? -1,
      producerEpoch: options.producerEpoch ?? -1,
      baseSequence: options.baseSequence ?? -1,
      isTransactional: options.isTransactional ?? false,
      isControl: options.isControl ?? false,
      records: values.map((value) => ({ key: null, value, timestampMs: 0 })),
    };
    this.log(tp).batches.push(batch);
    this.wakeParked();
    return batch;
  }

  /** Every record value in the partition's log, in offset order (control records excluded). */
  values(tp: string): string[] {
    return this.log(tp).batches.filter((b) => !b.isControl).flatMap((b) => b.records.map((r) => r.value));
  }

  /** Requests of one type the brokers received, in arrival order. */
  requests<T extends FakeApi>(type: T): Extract<KafkaRequest, { type: T }>[] {
    return this.received.filter((r) => r.request.type === type).map((r) => r.request as Extract<KafkaRequest, { type: T }>);
  }

  /** The first armed rule for this request: whole-request rules when `tp` is undefined, else that partition's. */
  takeFault(api: FakeApi, broker: number, request: KafkaRequest, tp?: string): FaultRule | undefined {
    const rule = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        f.api === api &&
        (f.broker === undefined || f.broker === broker) &&
        f.tp === tp &&
        (f.when === undefined || f.when(request)),
    );
    if (rule !== undefined) rule.remaining--;
    return rule;
  }

  /** The injected error for one partition of a request at `broker`: a rule for that partition, else the whole request's. */
  partitionFault(broker: number, request: KafkaRequest, tp: string, fault: FaultRule | undefined): KafkaError | undefined {
    const scoped = this.takeFault(request.type, broker, request, tp) ?? fault;
    return scoped?.action.kind === "error" ? scoped.action.error : undefined;
  }

  /** Why `broker` cannot serve `tp` as its leader at `currentLeaderEpoch` (NONE when it can). */
  leaderError(broker: number, tp: string, currentLeaderEpoch = -1): KafkaError {
    const leader = this.leaders.get(tp);
    if (leader === undefined) return "UNKNOWN_TOPIC_OR_PARTITION";
    if (leader.leader !== broker) return "NOT_LEADER_OR_FOLLOWER";
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < leader.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (currentLeaderEpoch > leader.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
    return "NONE";
  }
}

/** One fake broker node `b<id>`. */
export class FakeBroker implements Actor {
  constructor(
    private readonly ctx: NodeContext,
    private readonly cluster: FakeCluster,
    private readonly id: number,
  ) {}

  onMessage(from: string, message: Message): void {
    const request = message as KafkaRequest;
    this.cluster.received.push({ atUs: this.ctx.wallClockUs(), broker: this.id, from, request });
    // Rules without a partition act on the whole request; partition rules are taken per partition.
    const whole = this.cluster.takeFault(request.type, this.id, request);
    const action = whole?.action;
    if (action?.kind === "drop-request") return;
    const response = this.answer(from, request, whole);
    if (response === undefined || action?.kind === "drop-response") return;
    if (action?.kind === "delay-response") {
      this.ctx.after(msToUs(action.ms), "delayed-response", () => this.ctx.send(from, response));
      return;
    }
    this.ctx.send(from, response);
  }

  private answer(from: string, request: KafkaRequest, fault: FaultRule | undefined): KafkaResponse | undefined {
    switch (request.type) {
      case "Metadata":
        return this.metadata(request);
      case "InitProducerId":
        return { type: "InitProducerIdResponse", correlationId: request.correlationId, error: "NONE", producerId: this.cluster.nextProducerId++, producerEpoch: 0 };
      case "Produce": {
        const responses = request.topicData.map(({ topic, partition, batch }) => this.produce(request, topic, partition, batch, fault));
        return request.acks === 0 ? undefined : { type: "ProduceResponse", correlationId: request.correlationId, responses };
      }
      case "Fetch": {
        const partitions = request.partitions.map((p) => this.fetch(request, p, fault));
        const empty = partitions.every((p) => p.error === "NONE" && p.batches.length === 0);
        if (empty && (request.maxWaitMs ?? 0) > 0 && fault === undefined) {
          // Long poll: answer on the next append anywhere, or after maxWaitMs.
          this.cluster.park(this.ctx, request.maxWaitMs as number, () => this.ctx.send(from, this.refetch(request)));
          return undefined;
        }
        return { type: "FetchResponse", correlationId: request.correlationId, error: "NONE", partitions };
      }
      case "ListOffsets":
        return {
          type: "ListOffsetsResponse",
          correlationId: request.correlationId,
          partitions: request.partitions.map(({ topic, partition, timestamp }) => {
            const tp = partitionKey(topic, partition);
            const error = this.partitionFault(request, tp, fault) ?? this.leaderError(tp);
            const leaderEpoch = this.cluster.leaders.get(tp)?.leaderEpoch ?? -1;
            if (error !== "NONE") return { topic, partition, error, offset: -1, leaderEpoch };
            const offset = timestamp === EARLIEST_TIMESTAMP ? this.cluster.log(tp).logStartOffset : this.cluster.logEndOffset(tp);
            return { topic, partition, error, offset, leaderEpoch };
          }),
        };
      case "OffsetsForLeaderEpoch":
        return undefined;
    }
  }

  private refetch(request: Extract<KafkaRequest, { type: "Fetch" }>): KafkaResponse {
    return { type: "FetchResponse", correlationId: request.correlationId, error: "NONE", partitions: request.partitions.map((p) => this.fetch(request, p, undefined)) };
  }

  private metadata(request: Extract<KafkaRequest, { type: "Metadata" }>): KafkaResponse {
    const names = request.topics ?? [...this.cluster.topics.keys()];
    const topics = names
      .filter((name) => this.cluster.topics.has(name))
      .map((name) => ({
        topic: name,
        partitions: Array.from({ length: this.cluster.topics.get(name) as number }, (_, partition) => {
          const leader = this.cluster.leaders.get(partitionKey(name, partition)) as { leader: number; leaderEpoch: number };
          return { topic: name, partition, leader: leader.leader, leaderEpoch: leader.leaderEpoch, isr: [leader.leader], replicas: [leader.leader], partitionEpoch: 0 };
        }),
      }));
    return { type: "MetadataResponse", correlationId: request.correlationId, brokers: [...this.cluster.brokers], controllerId: -1, topics };
  }

  private produce(request: KafkaRequest, topic: string, partition: number, batch: RecordBatch, fault: FaultRule | undefined): ProducePartitionResponse {
    const tp = partitionKey(topic, partition);
    const log = this.cluster.logs.get(tp);
    const respond = (error: KafkaError, baseOffset = -1): ProducePartitionResponse => ({ topic, partition, error, baseOffset, logStartOffset: log?.logStartOffset ?? -1 });
    const scoped = this.cluster.takeFault("Produce", this.id, request, tp) ?? fault;
    const injected = scoped?.action.kind === "error" ? scoped.action : undefined;
    if (injected !== undefined && injected.append !== true) return respond(injected.error);
    const leaderError = this.leaderError(tp);
    if (log === undefined || leaderError !== "NONE") return respond(leaderError);
    const validation = validate(log, batch);
    if (validation.kind === "error") return respond(validation.error);
    if (validation.kind === "duplicate") return respond(injected?.error ?? "NONE", validation.firstOffset);
    const baseOffset = this.cluster.logEndOffset(tp);
    const appended: RecordBatch = { ...batch, baseOffset, partitionLeaderEpoch: this.cluster.leaders.get(tp)?.leaderEpoch ?? 0 };
    log.batches.push(appended);
    this.cluster.wakeParked();
    if (batch.producerId >= 0) {
      let entry = log.producers.get(batch.producerId);
      if (entry === undefined || entry.epoch !== batch.producerEpoch) {
        entry = { epoch: batch.producerEpoch, batches: [] };
        log.producers.set(batch.producerId, entry);
      }
      entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch), firstOffset: baseOffset });
      if (entry.batches.length > 5) entry.batches.shift();
    }
    return respond(injected?.error ?? "NONE", injected === undefined ? baseOffset : -1);
  }

  private fetch(request: Extract<KafkaRequest, { type: "Fetch" }>, part: Extract<KafkaRequest, { type: "Fetch" }>["partitions"][number], fault: FaultRule | undefined): FetchPartitionResponse {
    const tp = partitionKey(part.topic, part.partition);
    const base = { topic: part.topic, partition: part.partition, divergingEpoch: null, abortedTransactions: null };
    const log = this.cluster.logs.get(tp);
    const hw = log === undefined ? -1 : this.cluster.logEndOffset(tp);
    const empty = (error: KafkaError): FetchPartitionResponse => ({ ...base, error, highWatermark: hw, lastStableOffset: hw, logStartOffset: log?.logStartOffset ?? -1, batches: [] });
    const error = this.partitionFault(request, tp, fault) ?? this.leaderError(tp, part.currentLeaderEpoch);
    if (error !== "NONE" || log === undefined) return empty(error === "NONE" ? "UNKNOWN_TOPIC_OR_PARTITION" : error);
    if (part.fetchOffset < log.logStartOffset || part.fetchOffset > hw) return empty("OFFSET_OUT_OF_RANGE");
    const batches = log.batches.filter((b) => lastOffsetOf(b) >= part.fetchOffset && b.baseOffset < hw).slice(0, this.cluster.fetchMaxBatches);
    return { ...base, error: "NONE", highWatermark: hw, lastStableOffset: hw, logStartOffset: log.logStartOffset, batches };
  }

  private partitionFault(request: KafkaRequest, tp: string, fault: FaultRule | undefined): KafkaError | undefined {
    return this.cluster.partitionFault(this.id, request, tp, fault);
  }

  private leaderError(tp: string, currentLeaderEpoch = -1): KafkaError {
    return this.cluster.leaderError(this.id, tp, currentLeaderEpoch);
  }
}

type Validation = { kind: "append" } | { kind: "duplicate"; firstOffset: number } | { kind: "error"; error: KafkaError };

/** Facts §1.1: duplicate, then epoch, then sequence. */
function validate(log: FakeLog, batch: RecordBatch): Validation {
  if (batch.producerId < 0) return { kind: "append" };
  const entry = log.producers.get(batch.producerId);
  if (entry === undefined) return { kind: "append" };
  const lastSeq = lastSequenceOf(batch);
  const duplicate = entry.epoch === batch.producerEpoch ? entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq) : undefined;
  if (duplicate !== undefined) return { kind: "duplicate", firstOffset: duplicate.firstOffset };
  if (batch.producerEpoch < entry.epoch) return { kind: "error", error: "INVALID_PRODUCER_EPOCH" };
  if (batch.producerEpoch > entry.epoch) return batch.baseSequence === 0 ? { kind: "append" } : { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
  const last = entry.batches.at(-1)?.lastSeq;
  if (last === undefined || batch.baseSequence === last + 1) return { kind: "append" };
  return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
}

// ---- building a test system ----

/** `runMs` and `runUntil` over a simulation, as every fake system offers them. */
export function simDriver(sim: Simulation): Pick<FakeSystem, "runMs" | "runUntil"> {
  return {
    runMs: (ms) => sim.runUntil(sim.nowUs + msToUs(ms)),
    runUntil: (done, limitMs = 600_000) => {
      const limit = sim.nowUs + msToUs(limitMs);
      while (!done()) {
        if (sim.pendingEvents === 0) return false;
        sim.runUntil(Math.min(limit, sim.nowUs + 1_000));
        if (sim.nowUs >= limit) return done();
      }
      return true;
    },
  };
}

export interface FakeSystem {
  readonly sim: Simulation;
  readonly net: Network;
  readonly cluster: FakeCluster;
  /** Runs the simulation for `ms` more milliseconds. */
  runMs(ms: number): void;
  /** Runs until `done()` holds (checked after every event) or `limitMs` passes; returns whether it held. */
  runUntil(done: () => boolean, limitMs?: number): boolean;
}

export interface FakeSystemOptions {
  readonly seed?: number;
  readonly brokers?: readonly number[];
  readonly topics?: readonly { readonly name: string; readonly partitions: number }[];
  /** Default: constant 1 ms per message. */
  readonly network?: NetworkOptions;
}

/** A simulation with a network and started fake brokers `b<id>`. Add client nodes with `sim.addNode`. */
export function buildFakeSystem(options: FakeSystemOptions = {}): FakeSystem {
  const sim = new Simulation({ seed: options.seed ?? 1 });
  const net = new Network(sim, options.network ?? { latency: { model: "constant", ms: 1 } });
  const brokers = options.brokers ?? [1];
  const cluster = new FakeCluster(brokers, options.topics ?? [{ name: "t", partitions: 1 }]);
  for (const id of brokers) {
    sim.addNode(brokerNode(id), (ctx) => new FakeBroker(ctx, cluster, brokerIdOf(ctx.id) as number));
    sim.node(brokerNode(id)).start();
  }
  return {
    sim,
    net,
    cluster,
    ...simDriver(sim),
  };
}
