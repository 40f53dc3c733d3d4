/** Sim node names of Kafka processes. Broker ids are Kafka's integers; nodes are named `b<id>`. */
export const CONTROLLER_NODE = "ctl";
export const CONTROLLER_ID = 0;

const brokerNodes: string[] = [];

export function brokerNode(id: number): string {
  // One string per broker: every request names its broker, and a string reused is hashed once.
  if (Number.isInteger(id) && id >= 0 && id < 1024) return (brokerNodes[id] ??= `b${id}`);
  return `b${id}`;
}

/** The broker id of a node name (`b` and decimal digits), or undefined when it is not a broker. */
export function brokerIdOf(node: string): number | undefined {
  // /^b(\d+)$/ without the regex: every response a client or follower gets is routed through here.
  if (node.length > 16) {
    const match = /^b(\d+)$/.exec(node);
    return match ? Number(match[1]) : undefined;
  }
  if (node.length < 2 || node.charCodeAt(0) !== 98) return undefined;
  let id = 0;
  for (let i = 1; i < node.length; i++) {
    const digit = node.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    id = id * 10 + digit;
  }
  return id;
}
