import type { GroupMemberAssignment, GroupMemberSubscription, TopicPartition } from "../protocol.js";
import type { AssignorName } from "./consumer-config.js";

/**
 * Kafka's eager client-side partition assignors (RangeAssignor, RoundRobinAssignor). The group
 * leader runs the one the coordinator chose over every member's subscription and the partition
 * counts it knows from metadata; topics whose partition count it does not know get no
 * assignment (Java skips them too, and rejoins once metadata knows them).
 *
 * Members are ordered by member id (Java sorts MemberInfo by group.instance.id, then member id;
 * the model has no static members). Every member appears in the result, possibly with nothing.
 */
export function assignPartitions(
  assignor: AssignorName,
  members: readonly GroupMemberSubscription[],
  partitionCounts: ReadonlyMap<string, number>,
): GroupMemberAssignment[] {
  const sorted = [...members].sort((a, b) => compareIds(a.memberId, b.memberId));
  const byMember = new Map<string, TopicPartition[]>(sorted.map((m) => [m.memberId, []]));
  switch (assignor) {
    case "range":
      assignRange(sorted, partitionCounts, byMember);
      break;
    case "roundrobin":
      assignRoundRobin(sorted, partitionCounts, byMember);
      break;
    default: {
      const unknown: never = assignor;
      throw new Error(`unknown assignor ${String(unknown)}`);
    }
  }
  return sorted.map((m) => ({ memberId: m.memberId, partitions: byMember.get(m.memberId) ?? [] }));
}

/** Per topic: each subscribed member gets a contiguous range; the first `count % members` get one more. */
function assignRange(members: readonly GroupMemberSubscription[], counts: ReadonlyMap<string, number>, out: Map<string, TopicPartition[]>): void {
  for (const topic of subscribedTopics(members)) {
    const count = counts.get(topic);
    if (count === undefined) continue;
    const consumers = members.filter((m) => m.topics.includes(topic));
    const perConsumer = Math.floor(count / consumers.length);
    const withExtra = count % consumers.length;
    consumers.forEach((member, i) => {
      const start = perConsumer * i + Math.min(i, withExtra);
      const length = perConsumer + (i < withExtra ? 1 : 0);
      const list = out.get(member.memberId) as TopicPartition[];
      for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
    });
  }
}

/** Every partition of every subscribed topic in (topic, partition) order, dealt round the members that subscribe to its topic. */
function assignRoundRobin(members: readonly GroupMemberSubscription[], counts: ReadonlyMap<string, number>, out: Map<string, TopicPartition[]>): void {
  let next = 0;
  for (const topic of subscribedTopics(members)) {
    const count = counts.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) {
      while (!(members[next % members.length] as GroupMemberSubscription).topics.includes(topic)) next++;
      (out.get((members[next % members.length] as GroupMemberSubscription).memberId) as TopicPartition[]).push({ topic, partition });
      next++;
    }
  }
}

function subscribedTopics(members: readonly GroupMemberSubscription[]): string[] {
  return [...new Set(members.flatMap((m) => m.topics))].sort(compareIds);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
