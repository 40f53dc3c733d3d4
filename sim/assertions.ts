import type { SimTimeUs } from "./time.js";

export type AssertionKind = "always" | "sometimes" | "reachable";

export interface AssertionStat {
  readonly name: string;
  readonly kind: AssertionKind;
  evaluations: number;
  hits: number;
}

export interface AssertionFailure {
  readonly name: string;
  readonly timeUs: SimTimeUs;
  readonly traceIndex: number;
  readonly details: unknown;
}

export interface AssertionClock {
  nowUs(): SimTimeUs;
  /** Records the failure in the trace; returns the record's index. */
  traceFailure(name: string): number;
}

/** Failures kept per assertion; later ones are only counted (a broken invariant tends to break again and again). */
export const FAILURES_KEPT_PER_ASSERTION = 20;

/**
 * Antithesis-style assertions. `always` must hold at every evaluation (a failure fails the
 * run); `sometimes` must be true at least once across a sweep and `reachable` must be reached
 * at least once: both only count, and a coverage gate reads the counts.
 */
export class Assertions {
  private readonly stats = new Map<string, AssertionStat>();
  private readonly failed: AssertionFailure[] = [];
  private readonly failureCounts = new Map<string, number>();

  constructor(private readonly clock: AssertionClock) {}

  /** The first failures of each `always` assertion, in the order they happened. */
  get failures(): readonly AssertionFailure[] {
    return this.failed;
  }

  /** How many times each `always` assertion failed in all. */
  failureCount(name: string): number {
    return this.failureCounts.get(name) ?? 0;
  }

  always(condition: boolean, name: string, details?: () => unknown): boolean {
    const stat = this.stat(name, "always");
    stat.evaluations++;
    if (condition) {
      stat.hits++;
      return true;
    }
    const traceIndex = this.clock.traceFailure(name);
    const count = (this.failureCounts.get(name) ?? 0) + 1;
    this.failureCounts.set(name, count);
    if (count <= FAILURES_KEPT_PER_ASSERTION) this.failed.push({ name, timeUs: this.clock.nowUs(), traceIndex, details: details?.() });
    return false;
  }

  sometimes(condition: boolean, name: string): boolean {
    const stat = this.stat(name, "sometimes");
    stat.evaluations++;
    if (condition) stat.hits++;
    return condition;
  }

  reachable(name: string): void {
    const stat = this.stat(name, "reachable");
    stat.evaluations++;
    stat.hits++;
  }

  /** Declares a property up front so that a run that never reaches it still reports a zero. */
  declare(name: string, kind: AssertionKind): void {
    this.stat(name, kind);
  }

  snapshot(): AssertionStat[] {
    return [...this.stats.values()].map((s) => ({ ...s })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private stat(name: string, kind: AssertionKind): AssertionStat {
    let stat = this.stats.get(name);
    if (stat === undefined) {
      stat = { name, kind, evaluations: 0, hits: 0 };
      this.stats.set(name, stat);
    } else if (stat.kind !== kind) {
      throw new Error(`assertion ${name} used as ${kind} but declared as ${stat.kind}`);
    }
    return stat;
  }
}
