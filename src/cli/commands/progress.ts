/**
 * Sweep progress on stderr: a bar redrawn in place on a terminal (seeds done, failures, rate,
 * ETA), plain lines otherwise (every 10% of the seeds, at most one per second, and at least one
 * every 10 seconds while results arrive). Driven by results as they come: no timers.
 */
import { wallClockMs } from "../../run/wall-clock.js";
import type { SweepProgress } from "../../sweep/sweep.js";

const BAR_WIDTH = 24;
const REDRAW_MS = 100;
const LINE_MIN_MS = 1_000;
const LINE_MAX_MS = 10_000;

export class ProgressReporter {
  /** When the first seed finished: the rate is measured from there (worker start-up is not a seed's cost). */
  private firstDone: { atMs: number } | undefined;
  private lastDrawMs = -Infinity;
  private lastDecile = 0;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  readonly update = (progress: SweepProgress): void => {
    const now = wallClockMs();
    this.firstDone ??= { atMs: now };
    const finished = progress.done === progress.total;
    const rate = progress.done > 1 && now > this.firstDone.atMs ? ((progress.done - 1) / (now - this.firstDone.atMs)) * 1000 : undefined;
    if (this.tty) {
      if (!finished && now - this.lastDrawMs < REDRAW_MS) return;
      this.lastDrawMs = now;
      this.drawn = true;
      this.write(`\r\u001b[K${bar(progress)} ${describe(progress, rate)}`);
      return;
    }
    const decile = Math.floor((10 * progress.done) / Math.max(1, progress.total));
    const due = (decile > this.lastDecile && now - this.lastDrawMs >= LINE_MIN_MS) || now - this.lastDrawMs >= LINE_MAX_MS || finished;
    if (!due) return;
    this.lastDecile = decile;
    this.lastDrawMs = now;
    this.write(`sweep: ${describe(progress, rate)}\n`);
  };

  /** Clears the bar (on a terminal) before the summary prints. */
  finish(): void {
    if (this.tty && this.drawn) this.write("\r\u001b[K");
  }
}

function bar(p: SweepProgress): string {
  const filled = Math.round((BAR_WIDTH * p.done) / Math.max(1, p.total));
  return `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}]`;
}

/** `rate`: seeds per second since the first seed finished (undefined until there are two). */
function describe(p: SweepProgress, rate: number | undefined): string {
  const etaS = rate !== undefined && rate > 0 ? Math.ceil((p.total - p.done) / rate) : undefined;
  const eta = p.done === p.total ? "done" : etaS === undefined ? "ETA ?" : `ETA ${formatSeconds(etaS)}`;
  return `${p.done}/${p.total} seeds · ${p.failures} failing · ${rate === undefined ? "-" : rate.toFixed(1)} seeds/s · ${eta}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
