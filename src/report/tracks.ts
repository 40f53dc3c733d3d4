/**
 * What a RunRecording keeps per partition, per transactional.id and per metric: bounded
 * (capped lists, coarsening series) whatever the run's length.
 */
import type { SimTimeUs } from "../../sim/time.js";
import type { TraceRecord } from "../../sim/trace.js";
import { OPEN_TXN_STATES, partitionName, type ReportRecord } from "./record-kinds.js";
import { BucketSeries, CappedList } from "./series.js";

export interface ReplicaSeries {
  readonly leo: BucketSeries;
  readonly hw: BucketSeries;
  readonly lso: BucketSeries;
}

export interface LeaderChange {
  readonly timeUs: SimTimeUs;
  readonly index: number;
  readonly leader: string;
  readonly leaderEpoch: number | undefined;
}

export interface MarkerMark {
  readonly timeUs: SimTimeUs;
  readonly index: number;
  readonly result: "COMMIT" | "ABORT";
  readonly offset: number;
  readonly firstOffset: number | undefined;
  readonly producerId: number;
  readonly epoch: number;
  readonly txnId: string | undefined;
}

export class PartitionTrack {
  readonly replicas = new Map<string, ReplicaSeries>();
  /** From `partition.leader` records. */
  readonly leaders = new CappedList<LeaderChange>(2000);
  /** From the `leader` field of `partition.offsets`, for systems without `partition.leader`. */
  readonly reportedLeaders = new CappedList<LeaderChange>(2000);
  readonly markers = new CappedList<MarkerMark>(1000);
  currentLeader: string | undefined;
  private lastReportedLeader: string | undefined;
  /** The leader's last stable offset (its high watermark when it reports no LSO): consumer lag is measured against it. */
  stableOffset: number | undefined;
  records = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get name(): string {
    return partitionName(this.topic, this.partition);
  }

  replica(node: string): ReplicaSeries {
    let series = this.replicas.get(node);
    if (series === undefined) {
      series = { leo: new BucketSeries(1000, 300), hw: new BucketSeries(1000, 300), lso: new BucketSeries(1000, 300) };
      this.replicas.set(node, series);
    }
    return series;
  }

  setLeader(change: LeaderChange): void {
    this.leaders.push(change);
    this.currentLeader = change.leader;
  }

  reportLeader(change: LeaderChange): void {
    if (change.leader === this.lastReportedLeader) return;
    this.lastReportedLeader = change.leader;
    this.reportedLeaders.push(change);
  }

  /** The leader the partition view draws: explicit leader records win over reported ones. */
  leaderChanges(): readonly LeaderChange[] {
    return this.leaders.total > 0 ? this.leaders.items : this.reportedLeaders.items;
  }

  get leader(): string | undefined {
    return this.leaders.total > 0 ? this.currentLeader : this.lastReportedLeader;
  }
}

/** One transactional.id's coordinator states over time, at a resolution that coarsens like BucketSeries. */
export class TxnTrack {
  private width: SimTimeUs = 1000;
  readonly starts: number[] = [];
  /** The state at the end of each bucket. */
  readonly states: string[] = [];
  /** Every state seen in each bucket, comma-separated, in first-seen order. */
  readonly seen: string[] = [];
  readonly transitions: number[] = [];
  readonly epochs = new CappedList<{ timeUs: SimTimeUs; index: number; producerId: number; epoch: number; node: string }>(500);
  readonly fences = new CappedList<{ timeUs: SimTimeUs; index: number; epoch: number; reason: string }>(500);
  producerId: number | undefined;
  epoch: number | undefined;
  state: string | undefined;
  coordinator = "";
  /** When the current (producerId, epoch) was first seen. */
  epochSinceUs: SimTimeUs = 0;
  commits = 0;
  aborts = 0;

  constructor(
    readonly txnId: string,
    private readonly maxBuckets = 500,
  ) {}

  get bucketWidthUs(): SimTimeUs {
    return this.width;
  }

  get isOpen(): boolean {
    return this.state !== undefined && OPEN_TXN_STATES.includes(this.state);
  }

  add(record: TraceRecord, rec: Extract<ReportRecord, { kind: "txn.state" }>): void {
    const t = record.timeUs;
    const previousState = this.state;
    const epochChanged = rec.producerId !== this.producerId || rec.epoch !== this.epoch;
    if (epochChanged) {
      const fenced = rec.reason === "fence" || (previousState !== undefined && OPEN_TXN_STATES.includes(previousState) && this.epoch !== undefined);
      if (fenced) this.fences.push({ timeUs: t, index: record.index, epoch: rec.epoch, reason: rec.reason ?? `epoch bumped while ${previousState}` });
      this.epochs.push({ timeUs: t, index: record.index, producerId: rec.producerId, epoch: rec.epoch, node: record.node });
      this.producerId = rec.producerId;
      this.epoch = rec.epoch;
      this.epochSinceUs = t;
    } else if (rec.reason === "fence" || rec.state === "PrepareEpochFence") {
      this.fences.push({ timeUs: t, index: record.index, epoch: rec.epoch, reason: rec.reason ?? rec.state });
    }
    this.state = rec.state;
    this.coordinator = record.node;
    if (rec.state === "CompleteCommit") this.commits++;
    if (rec.state === "CompleteAbort") this.aborts++;
    const start = Math.floor(t / this.width) * this.width;
    const last = this.starts.length - 1;
    if (last >= 0 && this.starts[last] === start) {
      this.states[last] = rec.state;
      this.seen[last] = addSeen(this.seen[last] as string, rec.state);
      this.transitions[last] = (this.transitions[last] as number) + 1;
      return;
    }
    this.starts.push(start);
    this.states.push(rec.state);
    this.seen.push(rec.state);
    this.transitions.push(1);
    if (this.starts.length > this.maxBuckets) this.coarsen();
  }

  private coarsen(): void {
    while (this.starts.length > this.maxBuckets) {
      this.width *= 2;
      let out = -1;
      for (let i = 0; i < this.starts.length; i++) {
        const start = Math.floor((this.starts[i] as number) / this.width) * this.width;
        if (out >= 0 && this.starts[out] === start) {
          this.states[out] = this.states[i] as string;
          for (const s of (this.seen[i] as string).split(",")) this.seen[out] = addSeen(this.seen[out] as string, s);
          this.transitions[out] = (this.transitions[out] as number) + (this.transitions[i] as number);
          continue;
        }
        out++;
        this.starts[out] = start;
        this.states[out] = this.states[i] as string;
        this.seen[out] = this.seen[i] as string;
        this.transitions[out] = this.transitions[i] as number;
      }
      for (const array of [this.starts, this.states, this.seen, this.transitions]) array.length = out + 1;
    }
  }
}

function addSeen(seen: string, state: string): string {
  return seen.split(",").includes(state) ? seen : `${seen},${state}`;
}

/** Metrics computed from the report record kinds (record-kinds.ts) and the simulation's own records. */
export class MetricSeries {
  /** Per second of simulated time: counts per bucket. */
  readonly commits = new BucketSeries(1_000_000);
  readonly aborts = new BucketSeries(1_000_000);
  readonly consumed = new BucketSeries(1_000_000);
  readonly messages = new BucketSeries(1_000_000);
  readonly drops = new BucketSeries(1_000_000);
  readonly opsOk = new BucketSeries(1_000_000);
  readonly opsFailed = new BucketSeries(1_000_000);
  readonly opsUnknown = new BucketSeries(1_000_000);
  /** Gauges, sampled once per simulated second. */
  readonly producerEpochAgeSec = new BucketSeries(1_000_000);
  readonly consumerLag = new BucketSeries(1_000_000);
  readonly offsetCommitLatencyMs = new BucketSeries(1_000_000);
  /** `metric.<name>` samples. */
  readonly custom = new Map<string, { series: BucketSeries; unit: string | undefined }>();
  /** Commits and aborts per minute of simulated time, for the abort-rate alert. */
  readonly perMinute = new Map<number, { commits: number; aborts: number }>();
  /** When the producer-epoch age first exceeded the alert threshold, and for which transactional.id. */
  epochAgeAlert: { timeUs: SimTimeUs; txnId: string; ageMs: number } | undefined;
  consumerRecords = 0;
  offsetCommits = 0;
}
