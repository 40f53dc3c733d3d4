/** Sim node names of Kafka processes. Broker ids are Kafka's integers; nodes are named `b<id>`. */
export const CONTROLLER_NODE = "ctl";
export const CONTROLLER_ID = 0;

export function brokerNode(id: number): string {
  return `b${id}`;
}

/** The broker id of a node name, or undefined when it is not a broker. */
export function brokerIdOf(node: string): number | undefined {
  const match = /^b(\d+)$/.exec(node);
  return match ? Number(match[1]) : undefined;
}
