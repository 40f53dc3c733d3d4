import type { LogHistory } from "./log-history.js";
import type { InvariantInfo, Violation } from "./violation.js";

export const LOST_WRITE: InvariantInfo = {
  name: "lost-write",
  kind: "safety",
  when: "history",
  description: "Every acknowledged append is in every read that started after the acknowledgement.",
};

/** Reports each lost value once, with its acknowledgement and the first read that misses it. */
export function checkLostWrites(history: LogHistory): Violation[] {
  const acks = [...history.acks].sort((a, b) => a.ok.index - b.ok.index);
  const reads = [...history.reads].sort((a, b) => a.invoke.index - b.invoke.index);
  const reported = new Set<string>();
  const violations: Violation[] = [];
  let acked = 0;
  for (const read of reads) {
    while (acked < acks.length && (acks[acked] as (typeof acks)[number]).ok.index < read.invoke.index) acked++;
    if (acked === 0) continue;
    const present = new Set(read.values);
    for (let i = 0; i < acked; i++) {
      const ack = acks[i] as (typeof acks)[number];
      if (present.has(ack.value) || reported.has(ack.value)) continue;
      reported.add(ack.value);
      violations.push({
        invariant: LOST_WRITE.name,
        kind: "safety",
        message: `append of ${ack.value} was acknowledged at offset ${ack.offset}, but a later read of ${read.values.length} values does not contain it`,
        evidence: {
          ops: [ack.ok.index, read.invoke.index, read.ok.index],
          traceIndices: [ack.ok.traceIndex, read.ok.traceIndex],
          timeUs: read.ok.timeUs,
          data: { value: ack.value, ackedOffset: ack.offset, readLength: read.values.length, reader: read.ok.process },
        },
      });
    }
  }
  return violations;
}
