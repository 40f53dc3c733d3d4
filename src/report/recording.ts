/**
 * What the HTML report needs from a run's trace, kept with bounded memory whatever the run's
 * length: a few windows of message-level events for the space-time diagram (a ring of the most
 * recent ones, frozen copies around interesting moments), fault and node-status intervals, and
 * time series whose buckets coarsen as the run grows (series.ts). Attach `listener` to a run
 * (RunOptions.onTrace) before it starts.
 */
import type { SimTimeUs } from "../../sim/time.js";
import type { TraceListener, TraceRecord } from "../../sim/trace.js";
import { isReportKind, parseReportRecord, partitionName } from "./record-kinds.js";
import { BucketSeries, CappedList } from "./series.js";
import { MetricSeries, PartitionTrack, TxnTrack } from "./tracks.js";

export { MetricSeries, PartitionTrack, TxnTrack, type LeaderChange, type MarkerMark, type ReplicaSeries } from "./tracks.js";

/** One event on a lane of the space-time diagram. */
export interface DiagramEvent {
  readonly index: number;
  readonly timeUs: SimTimeUs;
  readonly kind: string;
  /** The lane: the node the event happened on ("" for events of the whole network). */
  readonly node: string;
  /** The other end of a message, or the peer of a reset. */
  readonly peer?: string;
  /** Message type, op function, assertion name or fault kind. */
  readonly label?: string;
  readonly msgId?: number;
  readonly detail?: string;
}

/** A contiguous run of diagram events, and why it was kept. */
export interface DiagramWindow {
  readonly reason: "focus" | "first-assertion" | "first-fault" | "head" | "tail";
  /** The trace index the window was centred on, if any. */
  readonly anchor: number | undefined;
  readonly events: readonly DiagramEvent[];
  /** Events of the run before the first one kept (0 for a window from the start). */
  readonly skippedBefore: number;
}

export type IntervalKind = "crashed" | "paused" | "partition" | "clog";

/** A fault or node state over time. `toUs` undefined: still in effect when the run ended. */
export interface Interval {
  readonly kind: IntervalKind;
  /** The node (crashed, paused), sender of a clog, or "" for a partition. */
  readonly node: string;
  readonly fromUs: SimTimeUs;
  toUs: SimTimeUs | undefined;
  readonly index: number;
  readonly detail: string;
}

/** A fault as traced (`fault` records): the kind, the node it names and the fault as JSON. */
export interface FaultMark {
  readonly index: number;
  readonly timeUs: SimTimeUs;
  readonly kind: string;
  readonly node: string | undefined;
  /** A few words for the diagram: `clock +250 ms`, `hold Replicate`. */
  readonly label: string;
  /** The fault as JSON, as traced. */
  readonly detail: string;
}

/** Report records past these limits are counted, not kept. */
export const RECORDING_LIMITS = {
  intervals: 5000,
  faults: 5000,
  partitions: 200,
  txnIds: 200,
  customMetrics: 24,
  kinds: 500,
} as const;

export interface RecordingOptions {
  /** Trace index to keep a diagram window around (the first violation, found by an earlier run of the same seed). */
  readonly focus?: number;
  /** Diagram events kept before the anchor of a window. Default 360. */
  readonly before?: number;
  /** Diagram events kept after the anchor of a window. Default 120. */
  readonly after?: number;
}

/** Producer epoch age above which the alert fires: 5 minutes. */
export const EPOCH_AGE_ALERT_MS = 5 * 60 * 1000;
const GAUGE_SAMPLE_US = 1_000_000;
const PSEUDO_NODES = new Set(["network", "nemesis", "eosim", "sim"]);

class WindowCapture {
  events: DiagramEvent[] | undefined;
  skippedBefore = 0;
  remaining: number;
  constructor(
    readonly reason: DiagramWindow["reason"],
    public anchor: number | undefined,
    after: number,
  ) {
    this.remaining = after;
  }
  get open(): boolean {
    return this.events !== undefined && this.remaining > 0;
  }
  toWindow(): DiagramWindow | undefined {
    return this.events === undefined ? undefined : { reason: this.reason, anchor: this.anchor, events: this.events, skippedBefore: this.skippedBefore };
  }
}

export class RunRecording {
  readonly before: number;
  readonly after: number;
  /** Lanes of the space-time diagram: nodes in the order they first started. */
  readonly nodes: string[] = [];
  readonly intervals = new CappedList<Interval>(RECORDING_LIMITS.intervals);
  readonly faults = new CappedList<FaultMark>(RECORDING_LIMITS.faults);
  readonly partitions = new Map<string, PartitionTrack>();
  readonly txns = new Map<string, TxnTrack>();
  readonly metrics = new MetricSeries();
  /** Records per kind. */
  readonly kindCounts = new Map<string, number>();
  /** Messages per type (net.send). */
  readonly messageTypes = new Map<string, number>();
  /** Drops per reason. */
  readonly dropReasons = new Map<string, number>();
  /** `__transaction_state` partitions without a leader: since when. */
  readonly coordinatorGaps = new CappedList<{ partition: string; fromUs: SimTimeUs; toUs: SimTimeUs | undefined }>(1000);
  malformed = 0;
  omittedPartitions = 0;
  omittedTxnIds = 0;
  records = 0;
  endUs: SimTimeUs = 0;
  traceHash = "";
  /** Notes for the report (e.g. how the window was obtained). */
  readonly notes: string[] = [];

  private readonly ring: DiagramEvent[];
  private ringStart = 0;
  private ringSize = 0;
  private diagramEvents = 0;
  private readonly captures: WindowCapture[] = [];
  private readonly head: WindowCapture;
  private readonly firstAssertion: WindowCapture;
  private readonly firstFault: WindowCapture;
  private readonly focus: WindowCapture | undefined;
  private readonly open = new Map<string, Interval>();
  private lastLaneNode = "";
  private lastLaneTimeUs = -1;
  private nextGaugeSampleUs = GAUGE_SAMPLE_US;
  private finished = false;
  private readonly consumerPositions = new Map<string, { partition: string; position: number }>();
  private readonly openCoordinatorGaps = new Map<string, { partition: string; fromUs: SimTimeUs; toUs: SimTimeUs | undefined }>();

  constructor(options: RecordingOptions = {}) {
    this.before = options.before ?? 360;
    this.after = options.after ?? 120;
    this.ring = new Array<DiagramEvent>(this.before);
    this.head = new WindowCapture("head", undefined, this.before + this.after);
    this.head.events = [];
    this.firstAssertion = new WindowCapture("first-assertion", undefined, this.after);
    this.firstFault = new WindowCapture("first-fault", undefined, this.after);
    this.focus = options.focus === undefined ? undefined : new WindowCapture("focus", options.focus, this.after);
    this.captures.push(this.head, this.firstAssertion, this.firstFault);
    if (this.focus) this.captures.push(this.focus);
  }

  readonly listener: TraceListener = (record, hash) => {
    this.records++;
    this.endUs = record.timeUs;
    this.traceHash = hash;
    const kind = record.kind;
    const kindCount = this.kindCounts.get(kind);
    if (kindCount !== undefined) this.kindCounts.set(kind, kindCount + 1);
    else if (this.kindCounts.size < RECORDING_LIMITS.kinds) this.kindCounts.set(kind, 1);
    if (record.timeUs >= this.nextGaugeSampleUs) this.sampleGauges(record.timeUs);
    if (this.focus !== undefined && this.focus.events === undefined && record.index >= (this.focus.anchor as number)) this.freeze(this.focus);
    const event = this.observe(record);
    if (event !== undefined) this.addDiagramEvent(event);
    if (!PSEUDO_NODES.has(record.node)) {
      // An assertion is traced by the kernel ("sim"): it belongs to the node whose event ran just before it.
      this.lastLaneNode = record.node;
      this.lastLaneTimeUs = record.timeUs;
    }
  };

  /** The diagram windows kept, the most specific first: focus, first assertion, first fault, head, then the tail ring. */
  windows(): DiagramWindow[] {
    const kept: DiagramWindow[] = [];
    for (const capture of [this.focus, this.firstAssertion, this.firstFault, this.head]) {
      const window = capture?.toWindow();
      if (window !== undefined && window.events.length > 0) kept.push(window);
    }
    const tail = this.ringEvents();
    if (tail.length > 0) kept.push({ reason: "tail", anchor: undefined, events: tail, skippedBefore: this.diagramEvents - tail.length });
    return kept;
  }

  /** A kept window that shows trace index `index` (with events on both sides when possible). */
  windowShowing(index: number): DiagramWindow | undefined {
    return this.windows().find((w) => {
      const first = w.events[0];
      const last = w.events[w.events.length - 1];
      return first !== undefined && last !== undefined && first.index <= index && (index <= last.index || w.reason === "tail");
    });
  }

  private observe(record: TraceRecord): DiagramEvent | undefined {
    const { index, timeUs: t, kind, node } = record;
    const f = record.fields ?? {};
    switch (kind) {
      case "net.send": {
        const type = String(f["type"]);
        this.messageTypes.set(type, (this.messageTypes.get(type) ?? 0) + 1);
        this.metrics.messages.add(t, 1);
        return { index, timeUs: t, kind, node, peer: String(f["to"]), label: type, msgId: Number(f["id"]) };
      }
      case "net.deliver":
      case "net.lost":
        return { index, timeUs: t, kind, node, peer: String(f["from"]), label: String(f["type"]), msgId: Number(f["id"]), detail: optionalString(f["reason"]) };
      case "net.drop": {
        const reason = String(f["reason"]);
        this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + 1);
        this.metrics.drops.add(t, 1);
        return { index, timeUs: t, kind, node, peer: String(f["to"]), label: String(f["type"]), msgId: Number(f["id"]), detail: reason };
      }
      case "net.hold":
        return { index, timeUs: t, kind, node, peer: String(f["to"]), label: String(f["type"]), msgId: Number(f["id"]), detail: String(f["holdUs"]) };
      case "net.duplicate":
        return { index, timeUs: t, kind, node, peer: String(f["to"]), label: String(f["type"]), msgId: Number(f["id"]) };
      case "net.reset":
        return { index, timeUs: t, kind, node, peer: String(f["peer"]), label: String(f["reason"]) };
      case "net.partition": {
        this.closeInterval("partition", "", t);
        const blocked = String(f["blocked"] ?? "");
        this.openInterval({ kind: "partition", node: "", fromUs: t, toUs: undefined, index, detail: `${String(f["shape"])}: ${blocked}` });
        return { index, timeUs: t, kind, node: "", label: String(f["shape"]), detail: blocked };
      }
      case "net.heal":
        this.closeInterval("partition", "", t);
        for (const [key, interval] of this.open) {
          if (interval.kind === "clog" && (interval.toUs === undefined || interval.toUs > t)) interval.toUs = t;
          if (interval.kind === "clog") this.open.delete(key);
        }
        return { index, timeUs: t, kind, node: "", label: "heal" };
      case "net.clog": {
        const to = String(f["to"]);
        const until = Number(f["untilUs"]);
        const interval: Interval = { kind: "clog", node, fromUs: t, toUs: until, index, detail: `${node}->${to}` };
        this.intervals.push(interval);
        this.open.set(`clog\u0000${node}\u0000${to}`, interval);
        return { index, timeUs: t, kind, node, peer: to, label: "clog", detail: String(until - t) };
      }
      case "node.start":
        if (!this.nodes.includes(node) && !PSEUDO_NODES.has(node)) this.nodes.push(node);
        this.closeInterval("crashed", node, t);
        return { index, timeUs: t, kind, node, label: `incarnation ${String(f["incarnation"])}` };
      case "node.crash":
        this.closeInterval("paused", node, t);
        this.openInterval({ kind: "crashed", node, fromUs: t, toUs: undefined, index, detail: f["loseUnflushed"] ? "loses unflushed data" : "keeps unflushed data" });
        return { index, timeUs: t, kind, node, label: f["loseUnflushed"] ? "crash (lose unflushed)" : "crash" };
      case "node.pause":
        this.openInterval({ kind: "paused", node, fromUs: t, toUs: undefined, index, detail: "paused" });
        return { index, timeUs: t, kind, node, label: "pause" };
      case "node.resume":
        this.closeInterval("paused", node, t);
        return { index, timeUs: t, kind, node, label: "resume" };
      case "op.invoke":
      case "op.ok":
      case "op.fail":
      case "op.info":
        if (kind === "op.ok") this.metrics.opsOk.add(t, 1);
        else if (kind === "op.fail") this.metrics.opsFailed.add(t, 1);
        else if (kind === "op.info") this.metrics.opsUnknown.add(t, 1);
        return { index, timeUs: t, kind, node, label: String(f["f"]) };
      case "assert.fail": {
        const lane = this.lastLaneTimeUs === t ? this.lastLaneNode : "";
        const event = { index, timeUs: t, kind, node: lane, label: String(f["name"]) };
        if (this.firstAssertion.anchor === undefined) {
          this.firstAssertion.anchor = index;
          this.freeze(this.firstAssertion);
        }
        return event;
      }
      case "fault": {
        const mark = faultMark(record);
        this.faults.push(mark);
        if (this.firstFault.anchor === undefined && mark.kind !== "heal-all") {
          this.firstFault.anchor = index;
          this.freeze(this.firstFault);
        }
        return { index, timeUs: t, kind, node: mark.node ?? "", label: mark.kind, detail: mark.label };
      }
      case "timer":
      case "run.start":
      case "net.hold-armed":
        return undefined;
      default:
        return this.observeReportRecord(record);
    }
  }

  private observeReportRecord(record: TraceRecord): DiagramEvent | undefined {
    const rec = parseReportRecord(record);
    if (rec === undefined) {
      if (isReportKind(record.kind)) this.malformed++;
      return undefined;
    }
    const t = record.timeUs;
    const base = { index: record.index, timeUs: t, kind: record.kind, node: record.node };
    switch (rec.kind) {
      case "txn.state": {
        const track = this.txnTrack(rec.txnId);
        track?.add(record, rec);
        if (rec.state === "CompleteCommit") this.metrics.commits.add(t, 1);
        if (rec.state === "CompleteAbort") this.metrics.aborts.add(t, 1);
        if (rec.state === "CompleteCommit" || rec.state === "CompleteAbort") {
          const minute = Math.floor(t / 60_000_000);
          const counts = this.metrics.perMinute.get(minute) ?? { commits: 0, aborts: 0 };
          if (rec.state === "CompleteCommit") counts.commits++;
          else counts.aborts++;
          this.metrics.perMinute.set(minute, counts);
        }
        return { ...base, label: `${rec.txnId} ${rec.state}`, detail: `pid ${rec.producerId} epoch ${rec.epoch}` };
      }
      case "txn.marker": {
        const track = this.partitionTrack(rec.topic, rec.partition);
        track?.markers.push({
          timeUs: t,
          index: record.index,
          result: rec.result,
          offset: rec.offset,
          firstOffset: rec.firstOffset,
          producerId: rec.producerId,
          epoch: rec.epoch,
          txnId: rec.txnId,
        });
        return { ...base, label: `${rec.result} ${partitionName(rec.topic, rec.partition)}@${rec.offset}` };
      }
      case "partition.leader": {
        const track = this.partitionTrack(rec.topic, rec.partition);
        track?.setLeader({ timeUs: t, index: record.index, leader: rec.leader, leaderEpoch: rec.leaderEpoch });
        if (rec.topic === "__transaction_state") this.coordinatorLeader(partitionName(rec.topic, rec.partition), rec.leader, t);
        return { ...base, label: `leader ${partitionName(rec.topic, rec.partition)} = ${rec.leader || "none"}` };
      }
      case "partition.offsets": {
        const track = this.partitionTrack(rec.topic, rec.partition);
        if (track === undefined) return undefined;
        track.records++;
        if (rec.leader !== undefined) track.reportLeader({ timeUs: t, index: record.index, leader: rec.leader, leaderEpoch: undefined });
        const series = track.replica(record.node);
        series.leo.add(t, rec.leo);
        if (rec.hw !== undefined) series.hw.add(t, rec.hw);
        if (rec.lso !== undefined) series.lso.add(t, rec.lso);
        const leader = track.leader;
        if (leader === undefined || leader === record.node) track.stableOffset = rec.lso ?? rec.hw ?? track.stableOffset;
        return undefined;
      }
      case "consumer.records": {
        this.metrics.consumerRecords++;
        this.metrics.consumed.add(t, rec.count);
        this.consumerPositions.set(`${rec.group}\u0000${rec.topic}\u0000${rec.partition}`, {
          partition: partitionName(rec.topic, rec.partition),
          position: rec.position,
        });
        return undefined;
      }
      case "offset.commit":
        this.metrics.offsetCommits++;
        this.metrics.offsetCommitLatencyMs.add(t, rec.latencyUs / 1000);
        return undefined;
      case "metric": {
        let entry = this.metrics.custom.get(rec.name);
        if (entry === undefined) {
          if (this.metrics.custom.size >= RECORDING_LIMITS.customMetrics) return undefined;
          entry = { series: new BucketSeries(1000, 300), unit: rec.unit };
          this.metrics.custom.set(rec.name, entry);
        }
        entry.series.add(t, rec.value);
        return undefined;
      }
    }
  }

  private txnTrack(txnId: string): TxnTrack | undefined {
    let track = this.txns.get(txnId);
    if (track === undefined) {
      if (this.txns.size >= RECORDING_LIMITS.txnIds) {
        this.omittedTxnIds++;
        return undefined;
      }
      track = new TxnTrack(txnId);
      this.txns.set(txnId, track);
    }
    return track;
  }

  private partitionTrack(topic: string, partition: number): PartitionTrack | undefined {
    const name = partitionName(topic, partition);
    let track = this.partitions.get(name);
    if (track === undefined) {
      if (this.partitions.size >= RECORDING_LIMITS.partitions) {
        this.omittedPartitions++;
        return undefined;
      }
      track = new PartitionTrack(topic, partition);
      this.partitions.set(name, track);
    }
    return track;
  }

  private coordinatorLeader(partition: string, leader: string, t: SimTimeUs): void {
    const gap = this.openCoordinatorGaps.get(partition);
    if (leader === "" && gap === undefined) {
      const opened = { partition, fromUs: t, toUs: undefined };
      this.openCoordinatorGaps.set(partition, opened);
      this.coordinatorGaps.push(opened);
    } else if (leader !== "" && gap !== undefined) {
      gap.toUs = t;
      this.openCoordinatorGaps.delete(partition);
    }
  }

  /** Gauges are sampled once per simulated second (at the first record after each second). */
  private sampleGauges(t: SimTimeUs): void {
    this.nextGaugeSampleUs = (Math.floor(t / GAUGE_SAMPLE_US) + 1) * GAUGE_SAMPLE_US;
    if (this.txns.size > 0) {
      let maxAge = 0;
      let oldest = "";
      for (const track of this.txns.values()) {
        if (!track.isOpen) continue;
        const age = t - track.epochSinceUs;
        if (age > maxAge) {
          maxAge = age;
          oldest = track.txnId;
        }
      }
      this.metrics.producerEpochAgeSec.add(t, maxAge / 1_000_000);
      if (this.metrics.epochAgeAlert === undefined && maxAge / 1000 > EPOCH_AGE_ALERT_MS) {
        this.metrics.epochAgeAlert = { timeUs: t, txnId: oldest, ageMs: maxAge / 1000 };
      }
    }
    if (this.consumerPositions.size > 0) {
      let maxLag = 0;
      for (const { partition, position } of this.consumerPositions.values()) {
        const stable = this.partitions.get(partition)?.stableOffset;
        if (stable !== undefined) maxLag = Math.max(maxLag, stable - position);
      }
      this.metrics.consumerLag.add(t, maxLag);
    }
  }

  /** Call after the run (writeRunArtifacts does): samples the gauges at the end time. Only the first call counts. */
  finish(endUs: SimTimeUs = this.endUs): void {
    if (this.finished) return;
    this.finished = true;
    this.endUs = Math.max(this.endUs, endUs);
    this.sampleGauges(this.endUs);
  }

  private openInterval(interval: Interval): void {
    this.closeInterval(interval.kind, interval.node, interval.fromUs);
    this.intervals.push(interval);
    this.open.set(`${interval.kind}\u0000${interval.node}`, interval);
  }

  private closeInterval(kind: IntervalKind, node: string, t: SimTimeUs): void {
    const key = `${kind}\u0000${node}`;
    const interval = this.open.get(key);
    if (interval === undefined) return;
    interval.toUs = t;
    this.open.delete(key);
  }

  private addDiagramEvent(event: DiagramEvent): void {
    this.diagramEvents++;
    for (const capture of this.captures) {
      if (capture.events === undefined || capture.remaining <= 0) continue;
      capture.events.push(event);
      capture.remaining--;
    }
    if (this.before === 0) return;
    const at = (this.ringStart + this.ringSize) % this.before;
    this.ring[at] = event;
    if (this.ringSize < this.before) this.ringSize++;
    else this.ringStart = (this.ringStart + 1) % this.before;
  }

  /** Starts a window: the ring (what came before) is copied; the next `after` events are added as they come. */
  private freeze(capture: WindowCapture): void {
    capture.events = this.ringEvents();
    capture.skippedBefore = this.diagramEvents - capture.events.length;
  }

  private ringEvents(): DiagramEvent[] {
    const events: DiagramEvent[] = [];
    for (let i = 0; i < this.ringSize; i++) events.push(this.ring[(this.ringStart + i) % this.before] as DiagramEvent);
    return events;
  }
}

function faultMark(record: TraceRecord): FaultMark {
  const f = record.fields ?? {};
  const detail = typeof f["detail"] === "string" ? f["detail"] : "";
  const kind = String(f["fault"]);
  let fault: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(detail);
    if (typeof parsed === "object" && parsed !== null) fault = parsed as Record<string, unknown>;
  } catch {
    fault = {};
  }
  const node = typeof fault["node"] === "string" ? fault["node"] : undefined;
  return { index: record.index, timeUs: record.timeUs, kind, node, label: faultLabel(kind, fault), detail };
}

function faultLabel(kind: string, fault: Record<string, unknown>): string {
  const signed = (n: unknown): string => (typeof n === "number" && n > 0 ? `+${n}` : String(n));
  switch (kind) {
    case "clock-step":
      return `clock ${signed(fault["deltaMs"])} ms`;
    case "clock-offset":
      return `clock offset ${signed(fault["offsetMs"])} ms`;
    case "clock-drift":
      return `clock drift ${signed(fault["driftPpm"])} ppm`;
    case "clock-reset":
      return "clock reset";
    case "hold":
      return `hold ${typeof fault["type"] === "string" ? fault["type"] : "any"} ${String(fault["durationMs"])} ms`;
    default:
      return kind;
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** One trace listener from several (undefined ones are skipped); undefined when there are none. */
export function composeListeners(...listeners: (TraceListener | undefined)[]): TraceListener | undefined {
  const present = listeners.filter((l): l is TraceListener => l !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return (record, hash) => {
    for (const listener of present) listener(record, hash);
  };
}
