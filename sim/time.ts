/**
 * Simulated time is an integer count of microseconds. Floats never carry time:
 * every conversion rounds to a whole microsecond so that arithmetic stays exact.
 */
export type SimTimeUs = number;

export const US_PER_MS = 1_000;
export const US_PER_SEC = 1_000_000;

export function msToUs(ms: number): SimTimeUs {
  return Math.round(ms * US_PER_MS);
}

export function usToMs(us: SimTimeUs): number {
  return us / US_PER_MS;
}

/** Formats a time for people: `12.345678s`. Integer arithmetic only, so output is engine-independent. */
export function formatUs(us: SimTimeUs): string {
  const sign = us < 0 ? "-" : "";
  const abs = Math.abs(us);
  const seconds = Math.floor(abs / US_PER_SEC);
  const fraction = String(abs % US_PER_SEC).padStart(6, "0");
  return `${sign}${seconds}.${fraction}s`;
}

export function assertTime(us: number, what: string): void {
  if (!Number.isSafeInteger(us)) {
    throw new RangeError(`${what} must be an integer number of microseconds, got ${us}`);
  }
}
