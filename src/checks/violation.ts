import type { SimTimeUs } from "../../sim/time.js";

export type InvariantKind = "safety" | "liveness";

/** What proves a violation: the operations, the trace positions and the data involved. */
export interface Evidence {
  /** History indices of the operations involved. */
  readonly ops: readonly number[];
  /** Trace record indices to look at. */
  readonly traceIndices: readonly number[];
  readonly timeUs: SimTimeUs;
  /** The records or values involved, as plain data. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface Violation {
  readonly invariant: string;
  readonly kind: InvariantKind;
  /** One sentence a person can read. */
  readonly message: string;
  readonly evidence: Evidence;
}

/** An invariant as users see it in `eosim list` and in scenario files. */
export interface InvariantInfo {
  readonly name: string;
  readonly kind: InvariantKind;
  /** `online`: checked after every event or at the moment it could break; `history`: at the end. */
  readonly when: "online" | "history" | "end";
  readonly description: string;
}
