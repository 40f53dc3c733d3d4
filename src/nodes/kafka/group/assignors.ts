import type { GroupMemberAssignment, GroupMemberSubscription, TopicPartition } from "../protocol.js";

/**
 * The consumer's classic partition assignors, as the group leader runs them (Kafka's
 * RangeAssignor and RoundRobinAssignor without racks or static members). Members are ordered by
 * member id (MemberInfo's order when no member has a group.instance.id), Java's String
 * compareTo: UTF-16 code units, which is what `<` on JS strings compares.
 */

export type AssignorName = "range" | "roundrobin";

/** Partition counts by topic, as the leader's metadata knows them; unknown topics are skipped. */
export type PartitionsPerTopic = ReadonlyMap<string, number>;

export type Assignor = (partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly GroupMemberSubscription[]) => GroupMemberAssignment[];

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedMemberIds(subscriptions: readonly GroupMemberSubscription[]): string[] {
  return subscriptions.map((s) => s.memberId).sort(compareStrings);
}

function partitionsOf(topic: string, count: number): TopicPartition[] {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }));
}

/** Every member gets an entry, in sorted member order, possibly empty. */
function emptyAssignment(subscriptions: readonly GroupMemberSubscription[]): Map<string, TopicPartition[]> {
  return new Map(sortedMemberIds(subscriptions).map((memberId) => [memberId, []]));
}

function toAssignments(assignment: ReadonlyMap<string, TopicPartition[]>): GroupMemberAssignment[] {
  return [...assignment].map(([memberId, partitions]) => ({ memberId, partitions }));
}

/**
 * RangeAssignor: per topic, the sorted subscribers split the partitions into contiguous ranges;
 * the first `partitions % subscribers` members get one extra. Topics are visited in name order.
 */
export const rangeAssign: Assignor = (partitionsPerTopic, subscriptions) => {
  const assignment = emptyAssignment(subscriptions);
  const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort(compareStrings);
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic);
    if (count === undefined) continue;
    const consumers = subscriptions.filter((s) => s.topics.includes(topic)).map((s) => s.memberId).sort(compareStrings);
    const perConsumer = Math.floor(count / consumers.length);
    const withExtra = count % consumers.length;
    const partitions = partitionsOf(topic, count);
    consumers.forEach((memberId, i) => {
      const start = perConsumer * i + Math.min(i, withExtra);
      const length = perConsumer + (i + 1 > withExtra ? 0 : 1);
      assignment.get(memberId)?.push(...partitions.slice(start, start + length));
    });
  }
  return toAssignments(assignment);
};

/**
 * RoundRobinAssignor: every subscribed partition, sorted by topic then partition, goes to the next
 * member in a circular order of sorted members, skipping members not subscribed to its topic.
 */
export const roundRobinAssign: Assignor = (partitionsPerTopic, subscriptions) => {
  const assignment = emptyAssignment(subscriptions);
  const members = sortedMemberIds(subscriptions);
  const topicsOf = new Map(subscriptions.map((s) => [s.memberId, new Set(s.topics)]));
  const topics = [...new Set(subscriptions.flatMap((s) => s.topics))].sort(compareStrings);
  let next = 0;
  for (const topic of topics) {
    const count = partitionsPerTopic.get(topic);
    if (count === undefined) continue;
    for (const partition of partitionsOf(topic, count)) {
      // Some member subscribes to `topic` (it came from a subscription), so this ends.
      while (!(topicsOf.get(members[next % members.length] as string)?.has(topic) ?? false)) next++;
      assignment.get(members[next % members.length] as string)?.push(partition);
      next++;
    }
  }
  return toAssignments(assignment);
};

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = {
  range: rangeAssign,
  roundrobin: roundRobinAssign,
};

export function assignorByName(name: string): Assignor | undefined {
  return name === "range" || name === "roundrobin" ? ASSIGNORS[name] : undefined;
}
