/** Kafka guards that can be switched off by name (`bugs:` in a scenario, `--bug` on the CLI). */
export const KAFKA_BUGS = {
  noDedup: "no-dedup",
  dedupWindow1: "dedup-window-1",
  noSequenceCheck: "no-sequence-check",
  noEpochCheck: "no-epoch-check",
  truncateToHw: "truncate-to-hw",
  noIsrJoinRule: "no-isr-join-rule",
  noMinIsrHwGate: "no-min-isr-hw-gate",
} as const;

export type KafkaBug = (typeof KAFKA_BUGS)[keyof typeof KAFKA_BUGS];
