/**
 * The fake transaction coordinator (kafka-fake-txn-coordinator.ts) and the fake group
 * coordinator with read_committed reads (kafka-fake-group-coordinator.ts) behind one broker
 * actor, joined where exactly-once consume-transform-produce needs them to meet:
 *
 * - a transaction that ends (EndTxn, or an InitProducerId that aborts an ongoing one) writes its
 *   markers: a COMMIT or ABORT control batch on every data partition it touched, so the LSO
 *   moves and read_committed readers see (or skip) its records;
 * - offsets a committed transaction carried (TxnOffsetCommit) become the group's committed
 *   offsets; while a transaction holds pending offsets for a partition, OffsetFetch with
 *   requireStable answers UNSTABLE_OFFSET_COMMIT for it (KIP-447);
 * - TxnOffsetCommit is checked against the group's generation and members (KIP-447):
 *   UNKNOWN_MEMBER_ID, then ILLEGAL_GENERATION.
 *
 * Requests go to the fake that owns them; the transaction and group coordinators are the same
 * broker (the first unless told otherwise).
 */
import type { Actor, Message, NodeContext } from "../../sim/actor.js";
import { Simulation } from "../../sim/simulation.js";
import { Network } from "../../src/network/network.js";
import type { KafkaError } from "../../src/nodes/kafka/errors.js";
import { brokerIdOf, brokerNode } from "../../src/nodes/kafka/names.js";
import { partitionKey, type KafkaRequest, type KafkaResponse } from "../../src/nodes/kafka/protocol.js";
import { FakeCluster, simDriver, type FakeSystem, type FakeSystemOptions } from "./kafka-fake-broker.js";
import { appendMarker, FakeGroupBroker, FakeGroups } from "./kafka-fake-group-coordinator.js";
import { FakeTxnBroker, FakeTxnCoordinator } from "./kafka-fake-txn-coordinator.js";

type Req<T extends KafkaRequest["type"]> = Extract<KafkaRequest, { type: T }>;

const GROUP_APIS: ReadonlySet<string> = new Set(["JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch"]);

/** The shared coordinators, and how many ended transactions have had their markers written. */
export class FakeEos {
  private settled = 0;

  constructor(
    readonly cluster: FakeCluster,
    readonly coordinator: FakeTxnCoordinator,
    readonly groups: FakeGroups,
  ) {}

  /** Writes the markers of transactions that ended since the last call, and applies committed offsets. */
  settle(): void {
    for (const ended of this.coordinator.ended.slice(this.settled)) {
      for (const tp of ended.partitions) if (this.cluster.logs.has(tp)) appendMarker(this.cluster, tp, ended.producerId, ended.result);
    }
    this.settled = this.coordinator.ended.length;
    for (const [key, offset] of this.coordinator.committedOffsets) {
      const slash = key.indexOf("/");
      this.groups.commit(key.slice(0, slash), key.slice(slash + 1), offset);
    }
  }

  /** Fences the current instance of `transactionalId` as a newer InitProducerId would, aborting its open transaction. */
  fence(transactionalId: string): void {
    const entry = this.coordinator.entry(transactionalId);
    if (entry === undefined) throw new Error(`unknown transactional id ${transactionalId}`);
    for (const tp of [...entry.partitions].sort()) if (this.cluster.logs.has(tp)) appendMarker(this.cluster, tp, entry.producerId, "ABORT");
    entry.pendingOffsets.clear();
    this.coordinator.fence(transactionalId);
  }

  /** Whether an ongoing transaction holds offsets for this group partition not yet committed. */
  isPending(groupId: string, tp: string): boolean {
    const key = `${groupId}/${tp}`;
    for (const entry of this.coordinator.entries.values()) if (entry.state === "Ongoing" && entry.pendingOffsets.has(key)) return true;
    return false;
  }
}

/** One broker node `b<id>` serving data, both coordinators and read_committed reads. */
export class FakeEosBroker implements Actor {
  private readonly txn: FakeTxnBroker;
  private readonly group: FakeGroupBroker;

  constructor(
    private readonly ctx: NodeContext,
    private readonly eos: FakeEos,
    private readonly id: number,
  ) {
    this.txn = new FakeTxnBroker(ctx, eos.cluster, eos.coordinator, id);
    this.group = new FakeGroupBroker(ctx, eos.cluster, eos.groups, id);
  }

  onMessage(from: string, message: Message): void {
    const request = message as KafkaRequest;
    if (this.ownedByGroup(request)) {
      const answered = request.type === "OffsetFetch" ? this.unstableOffsets(request) : undefined;
      if (answered !== undefined) return this.reply(from, request, answered);
      this.group.onMessage(from, message);
      return;
    }
    if (request.type === "TxnOffsetCommit") {
      const error = this.generationError(request);
      if (error !== undefined) {
        return this.reply(from, request, { type: "TxnOffsetCommitResponse", correlationId: request.correlationId, results: request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) });
      }
    }
    this.txn.onMessage(from, message);
    this.eos.settle();
  }

  private ownedByGroup(request: KafkaRequest): boolean {
    if (GROUP_APIS.has(request.type)) return true;
    if (request.type === "FindCoordinator") return request.keyType === "GROUP";
    return (request.type === "Fetch" || request.type === "ListOffsets") && request.isolationLevel === "read_committed";
  }

  private reply(from: string, request: KafkaRequest, response: KafkaResponse): void {
    this.eos.cluster.received.push({ atUs: this.ctx.wallClockUs(), broker: this.id, from, request });
    this.ctx.send(from, response);
  }

  /** requireStable OffsetFetch of a partition with pending transactional offsets: UNSTABLE_OFFSET_COMMIT. */
  private unstableOffsets(request: Req<"OffsetFetch">): KafkaResponse | undefined {
    if (!request.requireStable || request.partitions === null || this.eos.groups.coordinator !== this.id) return undefined;
    const pending = (topic: string, partition: number): boolean => this.eos.isPending(request.groupId, partitionKey(topic, partition));
    if (!request.partitions.some(({ topic, partition }) => pending(topic, partition))) return undefined;
    const offsets = request.partitions.map(({ topic, partition }) => {
      const unstable = pending(topic, partition);
      const offset = unstable ? -1 : (this.eos.groups.committed(request.groupId, partitionKey(topic, partition)) ?? -1);
      return { topic, partition, offset, error: (unstable ? "UNSTABLE_OFFSET_COMMIT" : "NONE") as KafkaError };
    });
    return { type: "OffsetFetchResponse", correlationId: request.correlationId, error: "NONE", offsets };
  }

  /** KIP-447: the group coordinator checks the member and generation a TxnOffsetCommit carries. */
  private generationError(request: Req<"TxnOffsetCommit">): KafkaError | undefined {
    if (this.eos.groups.coordinator !== this.id) return undefined;
    const group = this.eos.groups.groups.get(request.groupId);
    if (group === undefined || (request.generationId < 0 && group.state === "Empty")) return undefined;
    if (request.memberId !== "" && !group.members.has(request.memberId)) return "UNKNOWN_MEMBER_ID";
    if (request.generationId >= 0 && request.generationId !== group.generationId) return "ILLEGAL_GENERATION";
    return undefined;
  }
}

export interface FakeEosSystem extends FakeSystem {
  readonly eos: FakeEos;
  readonly coordinator: FakeTxnCoordinator;
  readonly groups: FakeGroups;
}

/** A simulation whose brokers serve both fake coordinators (see the header). */
export function buildFakeEosSystem(options: FakeSystemOptions & { readonly rebalanceDelayMs?: number; readonly bugs?: readonly string[] } = {}): FakeEosSystem {
  const sim = new Simulation({ seed: options.seed ?? 1, bugs: options.bugs ?? [] });
  const net = new Network(sim, options.network ?? { latency: { model: "constant", ms: 1 } });
  const brokers = options.brokers ?? [1];
  const cluster = new FakeCluster(brokers, options.topics ?? [{ name: "t", partitions: 1 }]);
  const coordinator = new FakeTxnCoordinator(cluster);
  const groups = new FakeGroups(coordinator.groupCoordinator, options.rebalanceDelayMs ?? 100);
  const eos = new FakeEos(cluster, coordinator, groups);
  for (const id of brokers) {
    sim.addNode(brokerNode(id), (ctx) => new FakeEosBroker(ctx, eos, brokerIdOf(ctx.id) as number));
    sim.node(brokerNode(id)).start();
  }
  return {
    sim,
    net,
    cluster,
    eos,
    coordinator,
    groups,
    ...simDriver(sim),
  };
}
