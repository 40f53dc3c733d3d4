import type { NodeContext } from "../../../../sim/actor.js";
import { msToUs } from "../../../../sim/time.js";
import type { KafkaError } from "../errors.js";
import type { KafkaResponse, PartitionState, TopicPartition } from "../protocol.js";
import type { ClientResponse, NetworkClient } from "./network-client.js";
import { clientNowUs, earliest, Wakeup } from "./wakeup.js";

export interface MetadataConfig {
  /** bootstrap.servers, as broker ids: where the first Metadata request goes. */
  readonly bootstrapBrokers: readonly number[];
  /** metadata.max.age.ms: refresh at least this often even without a reason. */
  readonly metadataMaxAgeMs: number;
  /** retry.backoff.ms: the least time between two Metadata requests. */
  readonly retryBackoffMs: number;
}

export interface PartitionLeader {
  readonly leader: number;
  readonly leaderEpoch: number;
}

/**
 * Errors that mean the client's view of the cluster is stale (Java's InvalidMetadataException
 * and subclasses): the client refreshes its metadata before retrying.
 */
const INVALID_METADATA: ReadonlySet<KafkaError> = new Set<KafkaError>([
  "NOT_LEADER_OR_FOLLOWER",
  "LEADER_NOT_AVAILABLE",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "FENCED_LEADER_EPOCH",
  "NETWORK_EXCEPTION",
]);

export function isInvalidMetadataError(error: KafkaError): boolean {
  return INVALID_METADATA.has(error);
}

type MetadataResponse = Extract<KafkaResponse, { type: "MetadataResponse" }>;

/**
 * A client's metadata cache (Java's Metadata + DefaultMetadataUpdater): the live brokers and,
 * for the topics the client uses, each partition's leader and leader epoch.
 *
 * A refresh is one Metadata request to the least loaded broker (the known brokers and the
 * bootstrap list, rotated after every failed attempt so a dead broker is not asked twice in a
 * row), at most one in flight, at least retry.backoff.ms apart. It happens when an owner asks
 * (`requestUpdate`: after NOT_LEADER_OR_FOLLOWER and the other errors above, or an unknown
 * leader), when a new topic is added, and every metadata.max.age.ms. A partition's entry is
 * never replaced by one with an older leader epoch (KIP-320): a broker with a stale view cannot
 * send the client back to a former leader.
 */
export class Metadata {
  private readonly topics = new Set<string>();
  private readonly partitions = new Map<string, Map<number, PartitionState>>();
  private liveBrokers: number[] = [];
  private needUpdate = true;
  private inFlight = false;
  private lastAttemptUs = Number.NEGATIVE_INFINITY;
  private lastRefreshUs = Number.NEGATIVE_INFINITY;
  private rotation = 0;
  private updates = 0;
  private readonly listeners: (() => void)[] = [];
  private readonly wakeup: Wakeup;
  /** What leaderFor and partitionsLedBy answered since the last refresh (both depend only on what `apply` sets). */
  private readonly leaders = new Map<PartitionState, PartitionLeader>();
  private readonly ledBy = new Map<number, readonly TopicPartition[]>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly network: NetworkClient,
    private readonly config: MetadataConfig,
    private readonly owner = "client",
  ) {
    if (config.bootstrapBrokers.length === 0) throw new Error("metadata: bootstrap broker list is empty");
    this.wakeup = new Wakeup(ctx, `${owner}/metadata`, () => this.maybeUpdate());
  }

  /** Called after every successful refresh. */
  onUpdate(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Successful refreshes so far. */
  get version(): number {
    return this.updates;
  }

  get brokers(): readonly number[] {
    return this.liveBrokers;
  }

  /** Tracks `topic` from now on; a new topic triggers a refresh. */
  add(topic: string): void {
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.requestUpdate();
  }

  /** Asks for a refresh as soon as the backoff allows. */
  requestUpdate(): void {
    this.needUpdate = true;
    this.maybeUpdate();
  }

  get updateRequested(): boolean {
    return this.needUpdate;
  }

  partitionCount(topic: string): number | undefined {
    return this.partitions.get(topic)?.size;
  }

  /** Partitions of `topic` in partition order, or undefined while the topic is unknown. */
  partitionsOf(topic: string): readonly PartitionState[] | undefined {
    const byId = this.partitions.get(topic);
    return byId === undefined ? undefined : [...byId.values()].sort((a, b) => a.partition - b.partition);
  }

  /** The partition's leader, or undefined when unknown (no leader, or not a live broker). */
  leaderFor(topic: string, partition: number): PartitionLeader | undefined {
    const state = this.partitions.get(topic)?.get(partition);
    if (state === undefined || state.leader < 0 || !this.liveBrokers.includes(state.leader)) return undefined;
    let leader = this.leaders.get(state);
    if (leader === undefined) {
      leader = { leader: state.leader, leaderEpoch: state.leaderEpoch };
      this.leaders.set(state, leader);
    }
    return leader;
  }

  /** Partitions whose known leader is `brokerId`, ordered by topic then partition. */
  partitionsLedBy(brokerId: number): readonly TopicPartition[] {
    let led = this.ledBy.get(brokerId);
    if (led === undefined) {
      led = this.computePartitionsLedBy(brokerId);
      this.ledBy.set(brokerId, led);
    }
    return led;
  }

  private computePartitionsLedBy(brokerId: number): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const topic of [...this.partitions.keys()].sort()) {
      for (const state of this.partitionsOf(topic) ?? []) {
        if (this.leaderFor(topic, state.partition)?.leader === brokerId) out.push({ topic, partition: state.partition });
      }
    }
    return out;
  }

  /** Sends a Metadata request if one is due, or arms the wake-up for when it will be. */
  maybeUpdate(): void {
    if (this.inFlight) return;
    const now = clientNowUs(this.ctx);
    const dueUs = this.needUpdate ? this.lastAttemptUs + msToUs(this.config.retryBackoffMs) : this.lastRefreshUs + msToUs(this.config.metadataMaxAgeMs);
    if (now < dueUs) {
      this.wakeup.set(dueUs);
      return;
    }
    const candidates = this.candidates();
    const node = this.network.leastLoadedNode(candidates);
    if (node === undefined) {
      const readyAt = earliest(...candidates.map((id) => this.network.readyAtUs(id)));
      this.wakeup.set(readyAt ?? now + msToUs(this.config.retryBackoffMs));
      return;
    }
    this.inFlight = true;
    this.lastAttemptUs = now;
    this.wakeup.cancel();
    this.network.send(node, { type: "Metadata", topics: [...this.topics].sort() }, (result) => this.onResponse(node, result));
  }

  private onResponse(node: number, result: ClientResponse<MetadataResponse>): void {
    this.inFlight = false;
    if (result.kind === "disconnected") {
      this.rotation++;
      this.needUpdate = true;
      this.ctx.trace("client.metadata-failed", { owner: this.owner, broker: node, timedOut: result.timedOut });
      this.maybeUpdate();
      return;
    }
    this.apply(result.response);
    this.needUpdate = false;
    this.lastRefreshUs = clientNowUs(this.ctx);
    this.updates++;
    this.maybeUpdate();
    for (const listener of this.listeners) listener();
  }

  private apply(response: MetadataResponse): void {
    this.leaders.clear();
    this.ledBy.clear();
    this.liveBrokers = [...response.brokers].sort((a, b) => a - b);
    for (const topic of response.topics) {
      let byId = this.partitions.get(topic.topic);
      if (byId === undefined) {
        byId = new Map();
        this.partitions.set(topic.topic, byId);
      }
      for (const state of topic.partitions) {
        const cached = byId.get(state.partition);
        if (cached !== undefined && state.leaderEpoch < cached.leaderEpoch) continue;
        byId.set(state.partition, state);
      }
    }
  }

  /** Known live brokers and the bootstrap list, rotated by the number of failed attempts. */
  candidates(): number[] {
    const all = [...new Set([...this.liveBrokers, ...this.config.bootstrapBrokers])].sort((a, b) => a - b);
    const shift = this.rotation % all.length;
    return [...all.slice(shift), ...all.slice(0, shift)];
  }
}
