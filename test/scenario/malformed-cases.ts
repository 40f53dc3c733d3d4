/**
 * Malformed scenarios, each with the error it must give: the field path, a piece of what was
 * expected and a piece of what was found. Shared by the loader tests and the CLI tests.
 */

/** A valid scenario the cases below break in one place each. */
export const VALID = `name: bad
durationMs: 5000
cluster:
  kind: primary-backup
  replicas: 3
clients:
  - kind: pb-writer
`;

/** A valid Kafka scenario, for the cases that break a Kafka field. */
const KAFKA_VALID = `name: bad-kafka
durationMs: 5000
cluster:
  kind: kafka
  brokers: 3
  topics:
    - { name: events, partitions: 2, replicationFactor: 3 }
clients:
  - kind: kafka-writer
`;

export interface MalformedCase {
  readonly name: string;
  readonly source: string;
  /** Exactly the `path` of the ScenarioError ("" for the whole file). */
  readonly path: string | RegExp;
  /** A piece of `expected`. */
  readonly expected: string;
  /** A piece of `found`. */
  readonly found: string;
}

const withFault = (fault: string) => `${VALID}faults:\n  - ${fault}\n`;

export const MALFORMED: readonly MalformedCase[] = [
  // The file as a whole.
  {
    name: "bad YAML syntax",
    source: "name: bad\ndurationMs: [1, 2\ncluster: {kind: primary-backup}\n",
    path: /^line \d+, column \d+$/,
    expected: "valid YAML",
    found: "Flow sequence",
  },
  { name: "tabs as indentation", source: "name: bad\ncluster:\n\tkind: primary-backup\n", path: "line 3, column 1", expected: "valid YAML", found: "Tabs" },
  { name: "an alias to a missing anchor", source: `${VALID}description: *nowhere\n`, path: "", expected: "valid YAML", found: "Unresolved alias" },
  { name: "an empty file", source: "", path: "", expected: "a mapping of scenario keys", found: "an empty file" },
  { name: "only a comment", source: "# nothing here\n", path: "", expected: "a mapping of scenario keys", found: "an empty file" },
  { name: "a list at the top level", source: "- name: bad\n- durationMs: 5\n", path: "", expected: "a mapping of scenario keys", found: "a list of 2" },
  { name: "a plain string at the top level", source: "hello\n", path: "", expected: "a mapping of scenario keys", found: '"hello"' },
  {
    name: "a duplicate top-level key",
    source: `${VALID}durationMs: 6000\n`,
    path: "durationMs (line 8, column 1)",
    expected: "each key once",
    found: 'a second "durationMs"',
  },
  {
    name: "a duplicate nested key",
    source: VALID.replace("  replicas: 3\n", "  replicas: 3\n  replicas: 5\n"),
    path: "cluster.replicas (line 6, column 3)",
    expected: "each key once",
    found: 'a second "replicas"',
  },
  {
    name: "a duplicate key in a fault",
    source: withFault("{ atMs: 10, kind: crash, node: r1, node: r2 }"),
    path: /^faults\[0\]\.node \(line 9, column \d+\)$/,
    expected: "each key once",
    found: 'a second "node"',
  },

  // Types and keys.
  { name: "durationMs of the wrong type", source: VALID.replace("5000", '"ten"'), path: "durationMs", expected: "a number", found: '"ten"' },
  { name: "durationMs missing", source: VALID.replace("durationMs: 5000\n", ""), path: "durationMs", expected: "a number", found: "nothing (the field is missing)" },
  { name: "an unknown top-level key", source: `${VALID}colour: blue\n`, path: "", expected: "only known keys", found: 'unknown key "colour"' },
  {
    name: "an unknown key in network",
    source: `${VALID}network:\n  mode: connection\n  speed: 3\n`,
    path: "network",
    expected: "only known keys",
    found: 'unknown key "speed"',
  },
  {
    name: "an unknown key in a fault",
    source: withFault("{ atMs: 10, kind: crash, node: r1, colour: red }"),
    path: "faults[0]",
    expected: "only known keys",
    found: 'unknown key "colour"',
  },
  {
    name: "a name with capitals and spaces",
    source: VALID.replace("name: bad", "name: Bad Name"),
    path: "name",
    expected: "lowercase name",
    found: '"Bad Name"',
  },

  // Numbers out of range.
  { name: "a negative durationMs", source: VALID.replace("5000", "-5"), path: "durationMs", expected: "a number at least 1", found: "-5" },
  {
    name: "an absurd durationMs (over one day)",
    source: VALID.replace("5000", "86400001"),
    path: "durationMs",
    expected: "a number at most 86400000",
    found: "86400001",
  },
  { name: "a fractional durationMs", source: VALID.replace("5000", "1.5"), path: "durationMs", expected: "an integer", found: "1.5" },
  { name: "a negative seed", source: `${VALID}seed: -1\n`, path: "seed", expected: "a number at least 0", found: "-1" },
  { name: "a fractional seed", source: `${VALID}seed: 2.5\n`, path: "seed", expected: "an integer", found: "2.5" },
  {
    name: "a seed above Number.MAX_SAFE_INTEGER",
    source: `${VALID}seed: 9007199254740992\n`,
    path: "seed",
    expected: "at most 9007199254740991",
    found: "9007199254740992",
  },
  { name: "a seed that is a string", source: `${VALID}seed: abc\n`, path: "seed", expected: "a number", found: '"abc"' },
  { name: "a loss ratio above 1", source: `${VALID}network:\n  lossRatio: 2\n`, path: "network.lossRatio", expected: "at most 1", found: "2" },

  // Kinds, shapes and names.
  {
    name: "an unknown fault kind",
    source: withFault("{ atMs: 10, kind: explode }"),
    path: "faults[0].kind",
    expected: "one of partition, heal, heal-all, crash",
    found: '"explode"',
  },
  { name: "a fault without a kind", source: withFault("{ atMs: 10 }"), path: "faults[0].kind", expected: "one of partition", found: "nothing" },
  {
    name: "an unknown partition shape",
    source: withFault("{ atMs: 10, kind: partition, shape: triangle }"),
    path: "faults[0].shape",
    expected: "one of groups, isolate, one-way, halves, majorities-ring",
    found: '"triangle"',
  },
  {
    name: "an unknown latency model",
    source: `${VALID}network:\n  latency: { model: gaussian }\n`,
    path: "network.latency.model",
    expected: "one of constant, uniform",
    found: '"gaussian"',
  },
  {
    name: "an unknown bug switch",
    source: `${VALID}bugs: [no-such-bug]\n`,
    path: "bugs[0]",
    expected: "a bug switch of primary-backup: no-dedup, no-fsync-before-ack",
    found: '"no-such-bug"',
  },
  {
    name: "an unknown invariant",
    source: `${VALID}invariants: [duplicate, no-such-invariant]\n`,
    path: "invariants[1]",
    expected: "an invariant of primary-backup: duplicate, lost-write, replicas-agree, converged",
    found: '"no-such-invariant"',
  },
  {
    name: "an unknown client kind",
    source: `${VALID}  - kind: kafka-producer\n`,
    path: "clients[1].kind",
    expected: "one of kafka-writer, kafka-reader, kafka-txn-writer, kafka-copier, pb-writer, pb-reader",
    found: '"kafka-producer"',
  },
  { name: "an unknown cluster kind", source: VALID.replace("kind: primary-backup", "kind: raft"), path: "cluster.kind", expected: "one of kafka, primary-backup", found: '"raft"' },
  {
    name: "an unknown nemesis kind",
    source: `${VALID}nemesis:\n  kinds: [meteor]\n`,
    path: "nemesis.kinds[0]",
    expected: '"partition"',
    found: '"meteor"',
  },

  // References between fields.
  {
    name: "a Kafka reader with a group.instance.id but no group",
    source: `${KAFKA_VALID}  - kind: kafka-reader\n    groupInstanceId: r-1\n`,
    path: "clients[1].groupInstanceId",
    expected: "no groupInstanceId without a groupId",
    found: '"r-1"',
  },
  {
    name: "a Kafka topic with more replicas than brokers",
    source: KAFKA_VALID.replace("replicationFactor: 3", "replicationFactor: 4"),
    path: "cluster.topics[0].replicationFactor",
    expected: "a replication factor of at most the 3 brokers",
    found: "4",
  },
  {
    name: "a Kafka replica assignment with a partition too few",
    source: KAFKA_VALID.replace("replicationFactor: 3", "replicationFactor: 3, replicaAssignment: [[1, 2, 3]]"),
    path: "cluster.topics[0].replicaAssignment",
    expected: "one replica list per partition (2)",
    found: "a list of 1",
  },
  {
    name: "a Kafka replica assignment naming a broker twice",
    source: KAFKA_VALID.replace("replicationFactor: 3", "replicationFactor: 3, replicaAssignment: [[1, 2, 3], [2, 2, 3]]"),
    path: "cluster.topics[0].replicaAssignment[1][1]",
    expected: "a broker not already in partition 1's replicas",
    found: "2",
  },
  {
    name: "a Kafka replica assignment naming a broker the cluster does not have",
    source: KAFKA_VALID.replace("replicationFactor: 3", "replicationFactor: 3, replicaAssignment: [[1, 2, 3], [4, 2, 3]]"),
    path: "cluster.topics[0].replicaAssignment[1][0]",
    expected: "a broker id from 1 to 3",
    found: "4",
  },
  {
    name: "a Kafka replica assignment shorter than the replication factor",
    source: KAFKA_VALID.replace("replicationFactor: 3", "replicationFactor: 3, replicaAssignment: [[1, 2, 3], [2, 3]]"),
    path: "cluster.topics[0].replicaAssignment[1]",
    expected: "3 broker ids (the replication factor)",
    found: "a list of 2",
  },
  {
    name: "a fault naming a node that does not exist",
    source: withFault("{ atMs: 10, kind: crash, node: r9 }"),
    path: "faults[0].node",
    expected: "a node of this scenario (r1, r2, r3, w1)",
    found: '"r9"',
  },
  {
    name: "a partition group naming a node that does not exist",
    source: withFault("{ atMs: 10, kind: partition, shape: groups, groups: [[r1], [r2, zz]] }"),
    path: "faults[0].groups[1][1]",
    expected: "a node of this scenario",
    found: '"zz"',
  },
  {
    name: "a network link to a node that does not exist",
    source: `${VALID}network:\n  links:\n    - { from: r1, to: nope, latency: { model: constant, ms: 1 } }\n`,
    path: "network.links[0].to",
    expected: "a node of this scenario",
    found: '"nope"',
  },
  {
    name: "a nemesis target that does not exist",
    source: `${VALID}nemesis:\n  targets: [r1, r7]\n`,
    path: "nemesis.targets[1]",
    expected: "a node of this scenario",
    found: '"r7"',
  },
  {
    name: "a fault after durationMs",
    source: withFault("{ atMs: 6000, kind: crash, node: r1 }"),
    path: "faults[0].atMs",
    expected: "a time within durationMs (5000)",
    found: "6000",
  },
  {
    name: "nemesis intervalMsMax below intervalMsMin",
    source: `${VALID}nemesis:\n  intervalMsMin: 5000\n  intervalMsMax: 1000\n`,
    path: "nemesis.intervalMsMax",
    expected: "a number at least intervalMsMin",
    found: "1000",
  },
  {
    name: "nemesis faultMsMax below faultMsMin",
    source: `${VALID}nemesis:\n  faultMsMin: 900\n  faultMsMax: 100\n`,
    path: "nemesis.faultMsMax",
    expected: "a number at least faultMsMin",
    found: "100",
  },
];
