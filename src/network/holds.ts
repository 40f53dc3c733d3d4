import type { SimTimeUs } from "../../sim/time.js";

/** Which messages a targeted hold catches. Unset fields match anything. */
export interface MessageMatch {
  readonly type?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface TargetedHold {
  readonly id: number;
  readonly match: MessageMatch;
  readonly holdUs: SimTimeUs;
  /** How many more messages it catches; Infinity for all until removed. */
  remaining: number;
}

export function matches(match: MessageMatch, from: string, to: string, type: string): boolean {
  return (
    (match.type === undefined || match.type === type) &&
    (match.from === undefined || match.from === from) &&
    (match.to === undefined || match.to === to)
  );
}

/**
 * Targeted holds ("hold the next EndTxn from p1 for 30 s"). A held message has already left
 * the sender: it arrives after the hold even if its connection is reset meanwhile, as a request
 * already sitting in a server's socket buffer does.
 */
export class HoldTable {
  private readonly holds: TargetedHold[] = [];
  private nextId = 1;

  get size(): number {
    return this.holds.length;
  }

  add(match: MessageMatch, holdUs: SimTimeUs, count: number): TargetedHold {
    const hold: TargetedHold = { id: this.nextId++, match, holdUs, remaining: count };
    this.holds.push(hold);
    return hold;
  }

  /** The hold that catches this message, consuming one of its uses. */
  take(from: string, to: string, type: string): TargetedHold | undefined {
    for (let i = 0; i < this.holds.length; i++) {
      const hold = this.holds[i] as TargetedHold;
      if (!matches(hold.match, from, to, type)) continue;
      hold.remaining--;
      if (hold.remaining <= 0) this.holds.splice(i, 1);
      return hold;
    }
    return undefined;
  }

  clear(): void {
    this.holds.length = 0;
  }
}
