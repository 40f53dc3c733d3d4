import type { Simulation } from "../../../sim/simulation.js";
import { Broker } from "../../nodes/kafka/broker.js";
import type { TopicConfig } from "../../nodes/kafka/broker-config.js";
import { Controller } from "../../nodes/kafka/controller.js";
import type { CoordinatorFactory } from "../../nodes/kafka/coordinator-host.js";
import { groupCoordinatorFactory } from "../../nodes/kafka/group/coordinator.js";
import { brokerNode, CONTROLLER_NODE } from "../../nodes/kafka/names.js";
import type { ReplicationObserver } from "../../nodes/kafka/observer.js";
import { transactionCoordinatorFactory } from "../../nodes/kafka/txn/coordinator.js";
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from "../../nodes/kafka/txn/protocol.js";
import { brokerConfigOf, controllerConfigOf, type KafkaCluster } from "./config.js";

/** Node names of a cluster: the controller first, then brokers b1..bN. */
export function clusterNodeIds(cluster: KafkaCluster): string[] {
  return [CONTROLLER_NODE, ...brokerIds(cluster).map(brokerNode)];
}

export function brokerIds(cluster: KafkaCluster): number[] {
  return Array.from({ length: cluster.brokers }, (_, i) => i + 1);
}

export interface ClusterOptions {
  /**
   * Host the transaction and group coordinators and create their internal topics. Off for
   * data-plane runs, which then replicate no idle internal partitions.
   */
  readonly coordinators: boolean;
}

/** `__transaction_state` and `__consumer_offsets` (replication factor 3, or every broker when fewer). */
export function internalTopics(cluster: KafkaCluster): TopicConfig[] {
  const replicationFactor = Math.min(3, cluster.brokers);
  return [
    { name: TRANSACTION_STATE_TOPIC, partitions: cluster.transactionStateLogNumPartitions, replicationFactor },
    { name: GROUP_METADATA_TOPIC, partitions: cluster.offsetsTopicNumPartitions, replicationFactor },
  ];
}

function coordinatorFactories(cluster: KafkaCluster): CoordinatorFactory[] {
  return [
    transactionCoordinatorFactory({
      transactionVersion: cluster.transactionVersion,
      transactionStateTopicPartitions: cluster.transactionStateLogNumPartitions,
      offsetsTopicPartitions: cluster.offsetsTopicNumPartitions,
      transactionMaxTimeoutMs: cluster.transactionMaxTimeoutMs,
      abortTimedOutTransactionsIntervalMs: cluster.transactionAbortTimedOutTransactionCleanupIntervalMs,
      transactionalIdExpirationMs: cluster.transactionalIdExpirationMs,
      maxProducerEpoch: cluster.maxProducerEpoch,
    }),
    groupCoordinatorFactory({ offsetsTopicNumPartitions: cluster.offsetsTopicNumPartitions, groupInitialRebalanceDelayMs: cluster.groupInitialRebalanceDelayMs }),
  ];
}

/** Adds and starts the controller and the brokers. */
export function addKafkaCluster(sim: Simulation, cluster: KafkaCluster, observer: ReplicationObserver, options: ClusterOptions = { coordinators: false }): void {
  const ids = brokerIds(cluster);
  const topics = options.coordinators ? [...cluster.topics, ...internalTopics(cluster)] : cluster.topics;
  sim.addNode(CONTROLLER_NODE, (ctx) => new Controller(ctx, { config: controllerConfigOf(cluster), brokerIds: ids, topics }));
  const config = brokerConfigOf(cluster);
  for (const brokerId of ids) {
    // Factories are called per broker incarnation, so every restart gets fresh coordinators.
    const coordinators = options.coordinators ? coordinatorFactories(cluster) : [];
    sim.addNode(brokerNode(brokerId), (ctx) => new Broker(ctx, { brokerId, config, observer, coordinators }));
  }
  for (const id of clusterNodeIds(cluster)) sim.node(id).start();
}
