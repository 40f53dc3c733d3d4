import type { Simulation } from "../../../sim/simulation.js";
import { Broker } from "../../nodes/kafka/broker.js";
import { Controller } from "../../nodes/kafka/controller.js";
import { brokerNode, CONTROLLER_NODE } from "../../nodes/kafka/names.js";
import type { ReplicationObserver } from "../../nodes/kafka/observer.js";
import { brokerConfigOf, controllerConfigOf, type KafkaCluster } from "./config.js";

/** Node names of a cluster: the controller first, then brokers b1..bN. */
export function clusterNodeIds(cluster: KafkaCluster): string[] {
  return [CONTROLLER_NODE, ...brokerIds(cluster).map(brokerNode)];
}

export function brokerIds(cluster: KafkaCluster): number[] {
  return Array.from({ length: cluster.brokers }, (_, i) => i + 1);
}

/** Adds and starts the controller and the brokers. */
export function addKafkaCluster(sim: Simulation, cluster: KafkaCluster, observer: ReplicationObserver): void {
  const ids = brokerIds(cluster);
  sim.addNode(CONTROLLER_NODE, (ctx) => new Controller(ctx, { config: controllerConfigOf(cluster), brokerIds: ids, topics: cluster.topics }));
  const config = brokerConfigOf(cluster);
  for (const brokerId of ids) sim.addNode(brokerNode(brokerId), (ctx) => new Broker(ctx, { brokerId, config, observer }));
  for (const id of clusterNodeIds(cluster)) sim.node(id).start();
}
