import type { LogHistory } from "./log-history.js";
import type { InvariantInfo, Violation } from "./violation.js";

export const DUPLICATE: InvariantInfo = {
  name: "duplicate",
  kind: "safety",
  when: "history",
  description: "No value appears twice in the log: every append is applied at most once, retries included.",
};

/** Reports each duplicated value once, with the first read that shows it twice. */
export function checkDuplicates(history: LogHistory): Violation[] {
  const reported = new Set<string>();
  const violations: Violation[] = [];
  for (const read of history.reads) {
    const firstOffset = new Map<string, number>();
    read.values.forEach((value, offset) => {
      const first = firstOffset.get(value);
      if (first === undefined) {
        firstOffset.set(value, offset);
        return;
      }
      if (reported.has(value)) return;
      reported.add(value);
      violations.push({
        invariant: DUPLICATE.name,
        kind: "safety",
        message: `value ${value} appears twice in one read, at offsets ${first} and ${offset}`,
        evidence: {
          ops: [read.invoke.index, read.ok.index],
          traceIndices: [read.ok.traceIndex],
          timeUs: read.ok.timeUs,
          data: { value, offsets: [first, offset], process: read.ok.process },
        },
      });
    });
  }
  return violations;
}
