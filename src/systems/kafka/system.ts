import type { Simulation } from "../../../sim/simulation.js";
import { msToUs } from "../../../sim/time.js";
import { checkKafkaDataHistory, KAFKA_DATA_INVARIANTS } from "../../checks/kafka/index.js";
import { HW_MONOTONIC, ONE_LEADER_PER_EPOCH, REPLICAS_AGREE, ReplicationInvariants } from "../../checks/kafka-online/replication-invariants.js";
import type { InvariantInfo, Violation } from "../../checks/violation.js";
import type { Broker } from "../../nodes/kafka/broker.js";
import { KAFKA_BUGS } from "../../nodes/kafka/bugs.js";
import { KafkaReader, KafkaWriter } from "../../nodes/kafka/client/index.js";
import { brokerNode } from "../../nodes/kafka/names.js";
import type { BuildContext, BuiltSystem, SystemModel } from "../system-model.js";
import { addKafkaCluster, brokerIds, clusterNodeIds } from "./cluster.js";
import type { KafkaClient, KafkaReaderConfig, KafkaWriterConfig } from "./clients.js";
import type { KafkaCluster } from "./config.js";

const CONVERGED: InvariantInfo = {
  name: "converged",
  kind: "liveness",
  when: "end",
  description:
    "After the faults heal: every partition has a leader whose HW reached its log end, every send has an outcome, and every reader drained to the end offsets.",
};

/** Coverage properties a sweep should reach (declared so that a miss shows as zero). */
export const KAFKA_COVERAGE = ["kafka: produce retry answered from the 5-batch cache"] as const;
/** Declared only where the configuration makes it possible. */
const UNCLEAN_ELECTION = "kafka: unclean leader election";

interface Clients {
  readonly writers: [string, KafkaWriterConfig][];
  readonly readers: [string, KafkaReaderConfig][];
}

function clientsOf(clients: readonly KafkaClient[]): Clients {
  const writers: [string, KafkaWriterConfig][] = [];
  const readers: [string, KafkaReaderConfig][] = [];
  for (const client of clients) {
    for (let i = 0; i < client.count; i++) {
      if (client.kind === "kafka-writer") writers.push([`p${writers.length + 1}`, client]);
      else readers.push([`c${readers.length + 1}`, client]);
    }
  }
  return { writers, readers };
}

function producerOptionsOf(config: KafkaWriterConfig) {
  return {
    acks: config.acks === "all" ? (-1 as const) : config.acks,
    enableIdempotence: config.enableIdempotence,
    lingerMs: config.lingerMs,
    batchSizeRecords: config.batchSizeRecords,
    maxInFlightRequestsPerConnection: config.maxInFlightRequestsPerConnection,
    requestTimeoutMs: config.requestTimeoutMs,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    retries: config.retries,
    retryBackoffMs: config.retryBackoffMs,
    metadataMaxAgeMs: config.metadataMaxAgeMs,
    maxProducerEpoch: config.maxProducerEpoch,
  };
}

/**
 * Kafka's data plane: a controller and brokers hosting replicated partitions, idempotent
 * producers writing unique values, consumers reading everything back. Guards that can be
 * switched off are listed with the checkers that catch what they let through.
 */
export const kafka: SystemModel<KafkaCluster, KafkaClient> = {
  kind: "kafka",
  description: "Apache Kafka: controller, replicated partitions, idempotent producers and consumers.",
  clientKinds: ["kafka-writer", "kafka-reader"],
  bugs: [
    { name: KAFKA_BUGS.noDedup, description: "No batch cache: a retried batch is appended again.", caughtBy: ["duplicate"] },
    {
      name: KAFKA_BUGS.dedupWindow1,
      description: "Only the last batch is cached while up to 5 are in flight: an older retry gets OUT_OF_ORDER_SEQUENCE_NUMBER and the client's epoch bump re-sends batches already written (Redpanda #3039).",
      caughtBy: ["duplicate"],
    },
    {
      name: KAFKA_BUGS.noSequenceCheck,
      description:
        "Sequence numbers are not checked on produce: a batch after a gap, or a late copy of a batch that has left the 5-batch cache, is appended (out of order, or a second time).",
      caughtBy: ["duplicate"],
    },
    {
      name: KAFKA_BUGS.noEpochCheck,
      description:
        "A batch with a producer epoch below the partition's passes the epoch check; the sequence rules still apply, so a stale batch at sequence 0 (a new epoch's first) is appended, e.g. a late copy after the producer bumped its epoch again.",
      caughtBy: ["duplicate"],
    },
    {
      name: KAFKA_BUGS.truncateToHw,
      description: "Pre-KIP-101 follower truncation to the local high watermark instead of by leader epoch.",
      caughtBy: ["lost-write", "replicas-agree", "inconsistent-offsets"],
    },
    {
      name: KAFKA_BUGS.noIsrJoinRule,
      description: "A follower joins the ISR without holding the current leader epoch's start offset (KAFKA-7128).",
      caughtBy: ["lost-write", "replicas-agree", "inconsistent-offsets"],
    },
    {
      name: KAFKA_BUGS.noMinIsrHwGate,
      description:
        "The HW advances while the ISR is below min.insync.replicas (KIP-966): consumers read records only the leader holds, which its unflushed tail can lose. acks=all writes are not acknowledged below min ISR, so what breaks is what consumers read, not an acknowledgement.",
      caughtBy: ["inconsistent-offsets", "replicas-agree"],
    },
  ],
  invariants: [...KAFKA_DATA_INVARIANTS, HW_MONOTONIC, ONE_LEADER_PER_EPOCH, REPLICAS_AGREE, CONVERGED],

  nodeIds(cluster, clients) {
    const { writers, readers } = clientsOf(clients);
    return [...clusterNodeIds(cluster), ...writers.map(([id]) => id), ...readers.map(([id]) => id)];
  },

  shrinkCandidates: () => [{ path: ["cluster", "brokers"], min: 1, integer: true }],

  build({ sim, cluster, clients }: BuildContext<KafkaCluster, KafkaClient>): BuiltSystem {
    for (const name of KAFKA_COVERAGE) sim.assert.declare(name, "reachable");
    if (cluster.uncleanLeaderElectionEnable) sim.assert.declare(UNCLEAN_ELECTION, "reachable");
    addKafkaCluster(sim, cluster, new ReplicationInvariants(sim.assert));
    const bootstrapBrokers = brokerIds(cluster);
    const workload = { active: true };
    const drain = { active: false };
    const { writers, readers } = clientsOf(clients);
    for (const [id, config] of writers) {
      sim.addNode(id, (ctx) => new KafkaWriter(ctx, { bootstrapBrokers, topic: config.topic, opsPerSec: config.opsPerSec, concurrency: config.concurrency, keyCount: config.keyCount, producer: { clientId: id, ...producerOptionsOf(config) }, workload }));
    }
    const allTopics = cluster.topics.map((t) => t.name);
    for (const [id, config] of readers) {
      sim.addNode(id, (ctx) => new KafkaReader(ctx, {
        bootstrapBrokers,
        topics: config.topics ?? allTopics,
        pollTimeoutMs: config.pollTimeoutMs,
        consumer: { clientId: id, isolationLevel: config.isolationLevel, fetchMaxWaitMs: config.fetchMaxWaitMs, maxPollRecords: config.maxPollRecords, requestTimeoutMs: config.requestTimeoutMs },
        drain,
      }));
    }
    const clientNodes = [...writers.map(([id]) => id), ...readers.map(([id]) => id)];
    const startMs = new Map(readers.map(([id, config]) => [id, config.startMs]));
    for (const id of clientNodes) {
      const node = sim.node(id);
      const at = startMs.get(id) ?? 0;
      if (at === 0) node.start();
      else sim.at(msToUs(at), () => node.status === "crashed" && node.start());
    }
    return {
      servers: clusterNodeIds(cluster),
      nodes: [...clusterNodeIds(cluster), ...clientNodes],
      stopWorkload: () => {
        workload.active = false;
        drain.active = true;
      },
      checkHistory: () => checkKafkaDataHistory(sim.history.ops),
      checkLiveness: () => checkConverged(sim, cluster, readers.map(([id]) => id)),
    };
  },
};

function checkConverged(sim: Simulation, cluster: KafkaCluster, readers: readonly string[]): Violation[] {
  const pending: string[] = [];
  for (const topic of cluster.topics) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const leader = leaderReplica(sim, cluster, topic.name, partition);
      if (leader === undefined) pending.push(`${topic.name}-${partition} has no leader`);
      else if (leader.highWatermark < leader.log.logEndOffset) {
        pending.push(`${topic.name}-${partition}: HW ${leader.highWatermark} below the leader's log end ${leader.log.logEndOffset}`);
      }
    }
  }
  const open = new Set<string>();
  for (const op of sim.history.ops) {
    if (op.type === "invoke") open.add(op.process);
    else open.delete(op.process);
  }
  for (const process of open) pending.push(`${process} has an operation without outcome`);
  const drained = new Set(sim.history.ops.filter((op) => op.f === "end-offsets" && op.type === "ok").map((op) => op.process.split("#")[0]));
  for (const reader of readers) if (!drained.has(reader)) pending.push(`${reader} did not drain to the end offsets`);
  if (pending.length === 0) return [];
  return [
    {
      invariant: CONVERGED.name,
      kind: "liveness",
      message: `not converged after the liveness phase: ${pending.slice(0, 5).join("; ")}${pending.length > 5 ? `; and ${pending.length - 5} more` : ""}`,
      evidence: { ops: [], traceIndices: [sim.trace.count - 1], timeUs: sim.nowUs, data: { pending } },
    },
  ];
}

function leaderReplica(sim: Simulation, cluster: KafkaCluster, topic: string, partition: number) {
  let best: { epoch: number; replica: NonNullable<ReturnType<Broker["replica"]>> } | undefined;
  for (const id of brokerIds(cluster)) {
    const broker = sim.node(brokerNode(id)).current as Broker | undefined;
    const replica = broker?.replica(topic, partition);
    if (replica?.role === "leader" && (best === undefined || replica.leaderEpoch > best.epoch)) best = { epoch: replica.leaderEpoch, replica };
  }
  return best?.replica;
}
