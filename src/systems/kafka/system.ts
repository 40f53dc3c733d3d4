import type { Simulation } from "../../../sim/simulation.js";
import { msToUs } from "../../../sim/time.js";
import { checkFoldedKafkaData, KAFKA_DATA_INVARIANTS, KafkaHistoryFold } from "../../checks/kafka/index.js";
import { HW_MONOTONIC, LSO_BELOW_HW, LSO_MONOTONIC, ONE_LEADER_PER_EPOCH, REPLICAS_AGREE, ReplicationInvariants } from "../../checks/kafka-online/replication-invariants.js";
import { checkFoldedKafkaTxn, KAFKA_TXN_INVARIANTS, TxnHistoryFold } from "../../checks/kafka-txn/index.js";
import type { InvariantInfo, Violation } from "../../checks/violation.js";
import type { Broker } from "../../nodes/kafka/broker.js";
import { KAFKA_BUGS } from "../../nodes/kafka/bugs.js";
import { COPIER_BUGS, KafkaCopier, KafkaReader, KafkaTxnWriter, KafkaWriter, CONSUMER_BUGS, PRODUCER_BUGS } from "../../nodes/kafka/client/index.js";
import { GROUP_BUG_DESCRIPTIONS, GROUP_BUGS } from "../../nodes/kafka/group/bugs.js";
import type { GroupCoordinator } from "../../nodes/kafka/group/coordinator.js";
import { partitionKey } from "../../nodes/kafka/protocol.js";
import type { TransactionCoordinator } from "../../nodes/kafka/txn/coordinator.js";
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from "../../nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../nodes/kafka/txn/transaction-log.js";
import { declareTxnProperties } from "../../nodes/kafka/txn/coverage.js";
import { TXN_BUG_DESCRIPTIONS, TXN_BUGS } from "../../nodes/kafka/txn/bugs.js";
import { brokerNode } from "../../nodes/kafka/names.js";
import type { BuildContext, BuiltSystem, SystemModel } from "../system-model.js";
import { addKafkaCluster, brokerIds, clusterNodeIds } from "./cluster.js";
import type { KafkaClient, KafkaCopierConfig, KafkaReaderConfig, KafkaTxnWriterConfig, KafkaWriterConfig } from "./clients.js";
import type { KafkaCluster } from "./config.js";

const CONVERGED: InvariantInfo = {
  name: "converged",
  kind: "liveness",
  when: "end",
  description:
    "After the faults heal: every partition has a leader whose HW reached its log end, every operation has an outcome, every reader drained to the end offsets, and every copier group committed its input to the end.",
};

const HANGING_TRANSACTION: InvariantInfo = {
  name: "hanging-transaction",
  kind: "liveness",
  when: "end",
  description:
    "After the faults heal and the liveness phase runs, no transaction is still open on a partition leader, pinning the LSO (Kafka's `kafka-transactions.sh find-hanging`), and no transaction coordinator still holds a transaction in PrepareCommit or PrepareAbort (its markers not all written).",
};

/** Coverage properties a sweep should reach (declared so that a miss shows as zero). */
export const KAFKA_COVERAGE = ["kafka: produce retry answered from the 5-batch cache"] as const;
/** Declared only where the configuration makes it possible. */
const UNCLEAN_ELECTION = "kafka: unclean leader election";

interface Clients {
  readonly writers: [string, KafkaWriterConfig][];
  readonly readers: [string, KafkaReaderConfig][];
  readonly txnWriters: [string, KafkaTxnWriterConfig][];
  readonly copiers: [string, KafkaCopierConfig][];
}

/** Node ids: writers p1.., readers c1.., transactional writers t1.., copiers x1... */
function clientsOf(clients: readonly KafkaClient[]): Clients {
  const writers: [string, KafkaWriterConfig][] = [];
  const readers: [string, KafkaReaderConfig][] = [];
  const txnWriters: [string, KafkaTxnWriterConfig][] = [];
  const copiers: [string, KafkaCopierConfig][] = [];
  for (const client of clients) {
    for (let i = 0; i < client.count; i++) {
      if (client.kind === "kafka-writer") writers.push([`p${writers.length + 1}`, client]);
      else if (client.kind === "kafka-reader") readers.push([`c${readers.length + 1}`, client]);
      else if (client.kind === "kafka-txn-writer") txnWriters.push([`t${txnWriters.length + 1}`, client]);
      else copiers.push([`x${copiers.length + 1}`, client]);
    }
  }
  return { writers, readers, txnWriters, copiers };
}

function clientNodeIdsOf(clients: Clients): string[] {
  return [...clients.writers, ...clients.readers, ...clients.txnWriters, ...clients.copiers].map(([id]) => id);
}

/** Transactions and consumer groups need the coordinators and their internal topics. */
function needsCoordinators(clients: Clients): boolean {
  return clients.txnWriters.length > 0 || clients.copiers.length > 0 || clients.readers.some(([, config]) => config.groupId !== undefined);
}

/**
 * The transaction version a client uses: its own, capped at the cluster's finalized feature
 * level (the Java client learns it from ApiVersions and uses version 2 only when the brokers have it).
 */
function clientTransactionVersion(client: 1 | 2, cluster: KafkaCluster): 1 | 2 {
  return client <= cluster.transactionVersion ? client : cluster.transactionVersion;
}

function txnProducerOptionsOf(id: string, config: KafkaTxnWriterConfig, cluster: KafkaCluster) {
  return {
    clientId: id,
    transactionTimeoutMs: config.transactionTimeoutMs,
    transactionVersion: clientTransactionVersion(config.transactionVersion, cluster),
    lingerMs: config.lingerMs,
    requestTimeoutMs: config.requestTimeoutMs,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    retryBackoffMs: config.retryBackoffMs,
  };
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
  description: "Apache Kafka: controller, replicated partitions, idempotent and transactional producers, transaction and group coordinators, consumers.",
  clientKinds: ["kafka-writer", "kafka-reader", "kafka-txn-writer", "kafka-copier"],
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
    {
      name: KAFKA_BUGS.lsoIgnoresOpenTxns,
      description: "read_committed fetches and ListOffsets are bounded by the HW, not the LSO: open transactions are readable.",
      caughtBy: ["uncommitted-read", "aborted-read"],
    },
    {
      name: KAFKA_BUGS.lsoOffByOne,
      description: "The LSO is one past the first open offset (Redpanda #3036): a transaction's first record is readable before it commits.",
      caughtBy: ["uncommitted-read", "aborted-read"],
    },
    { name: KAFKA_BUGS.noAbortedFilter, description: "Fetch responses carry no aborted-transaction list: read_committed consumers return aborted records.", caughtBy: ["aborted-read"] },
    {
      name: KAFKA_BUGS.noMarkerEpochCheck,
      description: "A transaction marker with a producer epoch below the partition's is written: a late marker of an earlier transaction ends the current one.",
      caughtBy: ["uncommitted-read", "aborted-read", "torn-transaction", "lost-write"],
    },
    {
      name: KAFKA_BUGS.noCoordinatorEpochCheck,
      description: "A marker from a coordinator with an older coordinator epoch is written: a deposed coordinator's late marker ends the producer's next transaction (transaction version 1 keeps the producer epoch across transactions).",
      caughtBy: ["uncommitted-read", "aborted-read", "torn-transaction", "lost-write"],
    },
    {
      name: KAFKA_BUGS.noMarkerRetryRule,
      description:
        "Under transaction version 2 a marker must carry an epoch above the partition's even when it retries the marker that already ended the transaction there (KAFKA-19999): a coordinator that resends markers after a failover or a lost response is refused, abandons them, and the transaction hangs in PrepareCommit or PrepareAbort.",
      caughtBy: ["hanging-transaction", "converged"],
    },
    {
      name: KAFKA_BUGS.noPartitionVerification,
      description: "With transaction version 1, a first transactional produce is appended without asking the coordinator (KAFKA-12671): a late produce after the transaction ended opens a transaction nobody will end.",
      caughtBy: ["hanging-transaction"],
    },
    { name: TXN_BUGS.noFenceOnTimeout, description: TXN_BUG_DESCRIPTIONS["no-fence-on-timeout"], caughtBy: ["torn-transaction", "lost-write", "zombie-commit"] },
    { name: TXN_BUGS.noEpochBumpPerTxn, description: TXN_BUG_DESCRIPTIONS["no-epoch-bump-per-txn"], caughtBy: ["uncommitted-read", "torn-transaction", "aborted-read", "lost-write"] },
    { name: TXN_BUGS.txnLogAcks1, description: TXN_BUG_DESCRIPTIONS["txn-log-acks-1"], caughtBy: ["lost-write", "torn-transaction"] },
    { name: TXN_BUGS.fatalCommitAfterTimeout, description: TXN_BUG_DESCRIPTIONS["fatal-commit-after-timeout"], caughtBy: ["converged"] },
    { name: GROUP_BUGS.offsetsOutsideTxn, description: GROUP_BUG_DESCRIPTIONS["offsets-outside-txn"], caughtBy: ["eos-copy"] },
    { name: GROUP_BUGS.noRequireStable, description: GROUP_BUG_DESCRIPTIONS["no-require-stable"], caughtBy: ["eos-copy", "duplicate"] },
    { name: GROUP_BUGS.noGenerationCheck, description: GROUP_BUG_DESCRIPTIONS["no-generation-check"], caughtBy: ["eos-copy", "duplicate"] },
    {
      name: PRODUCER_BUGS.racySequence,
      description:
        "The producer reads each batch's base sequence off the last acknowledged one instead of reserving it at drain (platformatic/kafka #326): concurrent batches to one partition share a sequence, the broker acknowledges the later ones as duplicates of the first, with its offset, and drops their records.",
      caughtBy: ["lost-write", "inconsistent-offsets"],
    },
    {
      name: CONSUMER_BUGS.stuckOnTrailingMarker,
      description:
        "The consumer moves its position past data batches only (kafka-node #1336, aiokafka #781): when a transaction marker is the last batch of a partition, the consumer fetches it again and again and never reaches the end.",
      caughtBy: ["converged"],
    },
    {
      name: COPIER_BUGS.noRewindAfterAbort,
      description: "The copier does not seek back to the aborted transaction's first inputs (KAFKA-17582): the next commit covers inputs whose copies were rolled back.",
      caughtBy: ["eos-copy"],
    },
  ],
  invariants: [
    ...KAFKA_DATA_INVARIANTS,
    ...KAFKA_TXN_INVARIANTS,
    HW_MONOTONIC,
    ONE_LEADER_PER_EPOCH,
    REPLICAS_AGREE,
    LSO_BELOW_HW,
    LSO_MONOTONIC,
    CONVERGED,
    HANGING_TRANSACTION,
  ],

  nodeIds(cluster, clients) {
    return [...clusterNodeIds(cluster), ...clientNodeIdsOf(clientsOf(clients))];
  },

  shrinkCandidates: () => [{ path: ["cluster", "brokers"], min: 1, integer: true }],

  build({ sim, cluster, clients }: BuildContext<KafkaCluster, KafkaClient>): BuiltSystem {
    for (const name of KAFKA_COVERAGE) sim.assert.declare(name, "reachable");
    if (cluster.uncleanLeaderElectionEnable) sim.assert.declare(UNCLEAN_ELECTION, "reachable");
    const all = clientsOf(clients);
    const coordinators = needsCoordinators(all);
    if (coordinators) declareTxnProperties(sim.assert);
    addKafkaCluster(sim, cluster, new ReplicationInvariants(sim.assert), { coordinators });
    const bootstrapBrokers = brokerIds(cluster);
    const workload = { active: true };
    const drain = { active: false };
    const { writers, readers, txnWriters, copiers } = all;
    for (const [id, config] of writers) {
      sim.addNode(id, (ctx) => new KafkaWriter(ctx, { bootstrapBrokers, topic: config.topic, opsPerSec: config.opsPerSec, concurrency: config.concurrency, keyCount: config.keyCount, producer: { clientId: id, ...producerOptionsOf(config) }, workload }));
    }
    const allTopics = cluster.topics.map((t) => t.name);
    for (const [id, config] of readers) {
      sim.addNode(id, (ctx) => new KafkaReader(ctx, {
        bootstrapBrokers,
        topics: config.topics ?? allTopics,
        pollTimeoutMs: config.pollTimeoutMs,
        consumer: {
          clientId: id,
          isolationLevel: config.isolationLevel,
          fetchMaxWaitMs: config.fetchMaxWaitMs,
          maxPollRecords: config.maxPollRecords,
          requestTimeoutMs: config.requestTimeoutMs,
          ...(config.groupInstanceId === undefined ? {} : { groupInstanceId: config.groupInstanceId }),
        },
        isolationLevel: config.isolationLevel,
        ...(config.groupId === undefined ? {} : { groupId: config.groupId, commitAfterPoll: config.commitAfterPoll }),
        drain,
      }));
    }
    for (const [id, config] of txnWriters) {
      sim.addNode(id, (ctx) => new KafkaTxnWriter(ctx, {
        bootstrapBrokers,
        topics: config.topics,
        ...(config.transactionalId === undefined ? {} : { transactionalId: config.transactionalId }),
        transactionsPerSec: config.transactionsPerSec,
        sendsPerTxn: { min: config.sendsPerTxnMin, max: Math.max(config.sendsPerTxnMin, config.sendsPerTxnMax) },
        abortRatio: config.abortRatio,
        ...(config.keyCount === undefined ? {} : { keyCount: config.keyCount }),
        producer: txnProducerOptionsOf(id, config, cluster),
        workload,
      }));
    }
    for (const [id, config] of copiers) {
      sim.addNode(id, (ctx) => new KafkaCopier(ctx, {
        bootstrapBrokers,
        inputTopic: config.inputTopic,
        outputTopic: config.outputTopic,
        groupId: config.groupId,
        ...(config.transactionalId === undefined ? {} : { transactionalId: config.transactionalId }),
        commitIntervalMs: config.commitIntervalMs,
        maxPollRecords: config.maxPollRecords,
        transactionTimeoutMs: config.transactionTimeoutMs,
        transactionVersion: clientTransactionVersion(config.transactionVersion, cluster),
        abortRatio: config.abortRatio,
        rebuildOnFenced: config.rebuildOnFenced,
        producer: { clientId: `${id}/producer`, requestTimeoutMs: config.requestTimeoutMs },
        consumer: {
          clientId: `${id}/consumer`,
          requestTimeoutMs: config.requestTimeoutMs,
          sessionTimeoutMs: config.sessionTimeoutMs,
          heartbeatIntervalMs: config.heartbeatIntervalMs,
          ...(config.groupInstanceId === undefined ? {} : { groupInstanceId: config.groupInstanceId }),
        },
        workload,
      }));
    }
    const drained = drainedReadersOf(sim);
    const folds = foldOnline(sim);
    const clientNodes = clientNodeIdsOf(all);
    const startMs = new Map([...readers, ...txnWriters, ...copiers].map(([id, config]) => [id, config.startMs]));
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
      checkHistory: () => [...checkFoldedKafkaData(folds.data.finish()), ...checkFoldedKafkaTxn(folds.txn.finish())],
      checkLiveness: () => [
        ...checkConverged(sim, cluster, readers.map(([id]) => id), drained, copierGroupsOf(copiers)),
        ...checkHangingTransactions(sim, cluster, transactionalIdsOf(sim, [...txnWriters, ...copiers].map(([id]) => id))),
      ],
    };
  },
};

/** The transactional ids of the transactional clients (each app's own, whatever its incarnation). */
function transactionalIdsOf(sim: Simulation, nodeIds: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const id of nodeIds) {
    const app = sim.node(id).current;
    if (app instanceof KafkaTxnWriter || app instanceof KafkaCopier) ids.add(app.transactionalId);
  }
  return [...ids].sort();
}

/** Whether a history process (`<node>`, `<node>#<incarnation>`, either with `/<slot>`) is its node's running incarnation. */
function isCurrentIncarnation(sim: Simulation, process: string): boolean {
  const match = /^([^#/]+)(?:#(\d+))?/.exec(process);
  if (match === null) return true;
  const node = sim.node(match[1] as string);
  return node.status !== "crashed" && node.incarnation === Number(match[2] ?? 0);
}

/** Each copier group and the topic it consumes. */
function copierGroupsOf(copiers: readonly [string, KafkaCopierConfig][]): Map<string, string> {
  return new Map(copiers.map(([, config]) => [config.groupId, config.inputTopic]));
}

/**
 * The history checkers' folds, fed each op as it is recorded: the checkers then never read the
 * history back, and a long run's ops are never all built as objects at once.
 */
function foldOnline(sim: Simulation): { data: KafkaHistoryFold; txn: TxnHistoryFold } {
  const data = new KafkaHistoryFold(sim.history);
  const txn = new TxnHistoryFold(sim.history);
  sim.history.listen((op) => {
    data.add(op);
    txn.add(op);
  });
  return { data, txn };
}

/** The readers (by node id) that have recorded their end offsets, filled in as the run records them. */
function drainedReadersOf(sim: Simulation): ReadonlySet<string> {
  const drained = new Set<string>();
  sim.history.listen((op) => {
    if (op.f === "end-offsets" && op.type === "ok") drained.add(op.process.split("#")[0] as string);
  });
  return drained;
}

function checkConverged(sim: Simulation, cluster: KafkaCluster, readers: readonly string[], drained: ReadonlySet<string>, copierGroups: ReadonlyMap<string, string>): Violation[] {
  const pending: string[] = [];
  for (const [groupId, inputTopic] of copierGroups) pending.push(...undrainedInput(sim, cluster, groupId, inputTopic));
  for (const topic of cluster.topics) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const leader = leaderReplica(sim, cluster, topic.name, partition);
      if (leader === undefined) pending.push(`${topic.name}-${partition} has no leader`);
      else if (leader.highWatermark < leader.log.logEndOffset) {
        pending.push(`${topic.name}-${partition}: HW ${leader.highWatermark} below the leader's log end ${leader.log.logEndOffset}`);
      }
    }
  }
  // A crashed client's open operation stays open for good, as in Jepsen (its outcome is unknown).
  for (const process of sim.history.openProcesses()) if (isCurrentIncarnation(sim, process)) pending.push(`${process} has an operation without outcome`);
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

/** Open transactions left on partition leaders after the liveness phase pin the LSO for good. */
function checkHangingTransactions(sim: Simulation, cluster: KafkaCluster, transactionalIds: readonly string[]): Violation[] {
  const hanging: { partition: string; producerId: number; firstOffset: number; lastStableOffset: number; highWatermark: number }[] = [];
  for (const topic of cluster.topics) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const leader = leaderReplica(sim, cluster, topic.name, partition);
      if (leader === undefined) continue;
      for (const txn of leader.producers.ongoingTransactions) {
        hanging.push({ partition: leader.key, ...txn, lastStableOffset: leader.lastStableOffset, highWatermark: leader.highWatermark });
      }
    }
  }
  const stuck = stuckAtCoordinators(sim, cluster, transactionalIds);
  const violations: Violation[] = [];
  const first = hanging[0];
  if (first !== undefined) {
    violations.push({
      invariant: HANGING_TRANSACTION.name,
      kind: "liveness",
      message: `${hanging.length} transaction(s) still open after the liveness phase; first: producer ${first.producerId} on ${first.partition} from offset ${first.firstOffset} holds the LSO at ${first.lastStableOffset} (HW ${first.highWatermark})`,
      evidence: { ops: [], traceIndices: [sim.trace.count - 1], timeUs: sim.nowUs, data: { hanging } },
    });
  }
  const firstStuck = stuck[0];
  if (firstStuck !== undefined) {
    violations.push({
      invariant: HANGING_TRANSACTION.name,
      kind: "liveness",
      message: `${stuck.length} transaction(s) still in PrepareCommit or PrepareAbort at their coordinator after the liveness phase; first: transactionalId ${firstStuck.transactionalId} (producer ${firstStuck.producerId}, epoch ${firstStuck.producerEpoch}) in ${firstStuck.state} at b${firstStuck.coordinator}: its markers were not all written`,
      evidence: { ops: [], traceIndices: [sim.trace.count - 1], timeUs: sim.nowUs, data: { stuck } },
    });
  }
  return violations;
}

/** Transactions whose coordinator still holds them in PrepareCommit or PrepareAbort: markers abandoned or never finished. */
function stuckAtCoordinators(sim: Simulation, cluster: KafkaCluster, transactionalIds: readonly string[]) {
  const stuck: { transactionalId: string; state: string; producerId: number; producerEpoch: number; coordinator: number }[] = [];
  for (const transactionalId of transactionalIds) {
    const host = coordinatorFor<TransactionCoordinator>(sim, cluster, TRANSACTION_STATE_TOPIC, partitionFor(transactionalId, cluster.transactionStateLogNumPartitions));
    const state = host?.coordinator.transactionState(transactionalId);
    if (host !== undefined && state !== undefined && (state.state === "PrepareCommit" || state.state === "PrepareAbort")) {
      stuck.push({ transactionalId, state: state.state, producerId: state.producerId, producerEpoch: state.producerEpoch, coordinator: host.brokerId });
    }
  }
  return stuck;
}

/** Input partitions whose committed group offset is below their last stable offset (a copier group that did not drain). */
function undrainedInput(sim: Simulation, cluster: KafkaCluster, groupId: string, inputTopic: string): string[] {
  const partitions = cluster.topics.find((t) => t.name === inputTopic)?.partitions ?? 0;
  const committed = committedOffsetsOf(sim, cluster, groupId);
  const pending: string[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const end = leaderReplica(sim, cluster, inputTopic, partition)?.lastStableOffset;
    const offset = committed?.get(partitionKey(inputTopic, partition)) ?? 0;
    if (end !== undefined && offset < end) pending.push(`group ${groupId} committed ${inputTopic}-${partition} up to ${offset}, below its end ${end}`);
  }
  return pending;
}

/** The committed offsets of a group, from the coordinator that leads its `__consumer_offsets` partition. */
function committedOffsetsOf(sim: Simulation, cluster: KafkaCluster, groupId: string): Map<string, number> | undefined {
  const host = coordinatorFor<GroupCoordinator>(sim, cluster, GROUP_METADATA_TOPIC, partitionFor(groupId, cluster.offsetsTopicNumPartitions));
  if (host === undefined) return undefined;
  return new Map(host.coordinator.committedOffsets(groupId).map((o) => [partitionKey(o.topic, o.partition), o.offset]));
}

/** The coordinator hosted by the broker that leads `partition` of an internal topic (the newest leader epoch), with that broker's id. */
function coordinatorFor<T>(sim: Simulation, cluster: KafkaCluster, topic: string, partition: number): { coordinator: T; brokerId: number } | undefined {
  const leader = leaderReplica(sim, cluster, topic, partition);
  if (leader === undefined) return undefined;
  for (const id of brokerIds(cluster)) {
    const broker = sim.node(brokerNode(id)).current as Broker | undefined;
    if (broker?.replica(topic, partition) !== leader) continue;
    const coordinator = broker.hostedCoordinator(topic) as T | undefined;
    return coordinator === undefined ? undefined : { coordinator, brokerId: id };
  }
  return undefined;
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
