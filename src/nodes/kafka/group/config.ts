/** Group coordinator settings, named after Kafka's configs (camelCase, units last). */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: `__consumer_offsets` partitions (partitionFor(groupId) uses it). */
  readonly offsetsTopicNumPartitions: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an Empty group waits for more members. */
  readonly groupInitialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: JoinGroup outside gets INVALID_SESSION_TIMEOUT. */
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  /** offsets.commit.timeout.ms: the timeout of every append to `__consumer_offsets`. */
  readonly offsetsCommitTimeoutMs: number;
  /** GroupCoordinator.NewMemberJoinTimeoutMs (not configurable in Kafka): a new member's JoinGroup expires after this. */
  readonly newMemberJoinTimeoutMs: number;
  /**
   * How long loading a `__consumer_offsets` partition takes after leadership moves here (Kafka
   * loads on a scheduler thread; requests meanwhile get COORDINATOR_LOAD_IN_PROGRESS). The log is
   * read when the load finishes, so markers appended meanwhile are replayed.
   */
  readonly offsetsLoadDelayMs: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupInitialRebalanceDelayMs: 3_000,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  offsetsCommitTimeoutMs: 5_000,
  newMemberJoinTimeoutMs: 300_000,
  offsetsLoadDelayMs: 10,
};

export function groupCoordinatorConfig(overrides: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  const config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...overrides };
  if (!Number.isInteger(config.offsetsTopicNumPartitions) || config.offsetsTopicNumPartitions < 1) {
    throw new Error(`offsetsTopicNumPartitions must be a positive integer, got ${config.offsetsTopicNumPartitions}`);
  }
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    throw new Error(`groupMinSessionTimeoutMs (${config.groupMinSessionTimeoutMs}) exceeds groupMaxSessionTimeoutMs (${config.groupMaxSessionTimeoutMs})`);
  }
  for (const [name, value] of Object.entries(config)) {
    if (typeof value === "number" && (!Number.isFinite(value) || value < 0)) throw new Error(`${name} must be a non-negative number, got ${value}`);
  }
  return config;
}
