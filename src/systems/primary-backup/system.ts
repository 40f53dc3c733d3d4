import { checkDuplicates, DUPLICATE } from "../../checks/duplicate.js";
import { logHistoryOf } from "../../checks/log-history.js";
import { checkLostWrites, LOST_WRITE } from "../../checks/lost-write.js";
import type { InvariantInfo, Violation } from "../../checks/violation.js";
import { PB_COVERAGE_KINDS } from "../../nodes/primary-backup/coverage.js";
import { PB_BUGS } from "../../nodes/primary-backup/messages.js";
import { Reader } from "../../nodes/primary-backup/reader.js";
import { Replica } from "../../nodes/primary-backup/replica.js";
import { Writer } from "../../nodes/primary-backup/writer.js";
import type { BuildContext, BuiltSystem, SystemModel } from "../system-model.js";
import type { PbClient, PbCluster } from "./config.js";

const REPLICAS_AGREE: InvariantInfo = {
  name: "replicas-agree",
  kind: "safety",
  when: "online",
  description: "A backup never holds a different value than the primary at the same offset.",
};

const CONVERGED: InvariantInfo = {
  name: "converged",
  kind: "liveness",
  when: "end",
  description: "After the faults heal, every append has an outcome and every replica holds the whole committed log.",
};

function replicaIds(cluster: PbCluster): string[] {
  return Array.from({ length: cluster.replicas }, (_, i) => `r${i + 1}`);
}

function clientIds(clients: readonly PbClient[]): { writers: [string, PbClient][]; readers: [string, PbClient][] } {
  const writers: [string, PbClient][] = [];
  const readers: [string, PbClient][] = [];
  for (const client of clients) {
    const list = client.kind === "pb-writer" ? writers : readers;
    const prefix = client.kind === "pb-writer" ? "w" : "reader";
    for (let i = 0; i < client.count; i++) list.push([`${prefix}${list.length + 1}`, client]);
  }
  return { writers, readers };
}

/**
 * The primary-backup log: a deliberately small replicated protocol with client retries, used to
 * prove the kernel, network and faults end to end. Its two guards (dedup of retried appends,
 * fsync before acknowledging) each have a bug switch and a checker that catches the bug.
 */
export const primaryBackup: SystemModel<PbCluster, PbClient> = {
  kind: "primary-backup",
  description: "Primary-backup replicated log with retrying clients (kernel demonstration system).",
  clientKinds: ["pb-writer", "pb-reader"],
  bugs: [
    {
      name: PB_BUGS.noDedup,
      description: "The primary appends a retried Append again instead of answering from its index.",
      caughtBy: [DUPLICATE.name],
    },
    {
      name: PB_BUGS.noFsyncBeforeAck,
      description: "The primary acknowledges appends it has not fsynced; a crash that loses the page cache loses them.",
      caughtBy: [LOST_WRITE.name, REPLICAS_AGREE.name],
    },
  ],
  invariants: [DUPLICATE, LOST_WRITE, REPLICAS_AGREE, CONVERGED],

  nodeIds(cluster, clients) {
    const { writers, readers } = clientIds(clients);
    return [...replicaIds(cluster), ...writers.map(([id]) => id), ...readers.map(([id]) => id)];
  },

  /** Beyond client counts and rates (generic): fewer replicas. Faults naming a removed replica make a candidate invalid. */
  shrinkCandidates: () => [{ path: ["cluster", "replicas"], min: 1, integer: true }],

  build({ sim, cluster, clients }: BuildContext<PbCluster, PbClient>): BuiltSystem {
    const replicas = replicaIds(cluster);
    const [primary, ...backups] = replicas as [string, ...string[]];
    const workload = { active: true };
    // Coverage properties are declared up front: one a run never reaches still reports a zero.
    for (const [name, kind] of Object.entries(PB_COVERAGE_KINDS)) sim.assert.declare(name, kind);
    for (const id of replicas) {
      sim.addNode(id, (ctx) => new Replica(ctx, { primary, backups, replicateRetryMs: cluster.replicateRetryMs }));
    }
    const { writers, readers } = clientIds(clients);
    for (const [id, config] of writers) {
      if (config.kind !== "pb-writer") continue;
      sim.addNode(id, (ctx) => new Writer(ctx, { ...config, primary, workload }));
    }
    for (const [id, config] of readers) {
      if (config.kind !== "pb-reader") continue;
      sim.addNode(id, (ctx) => new Reader(ctx, { ...config, primary }));
    }
    const nodes = [...replicas, ...writers.map(([id]) => id), ...readers.map(([id]) => id)];
    for (const id of nodes) sim.node(id).start();

    return {
      servers: replicas,
      nodes,
      stopWorkload: () => {
        workload.active = false;
      },
      checkHistory: () => {
        const history = logHistoryOf(sim.history);
        return [...checkDuplicates(history), ...checkLostWrites(history)];
      },
      checkLiveness: () => checkConverged(sim, replicas, writers.map(([id]) => id)),
    };
  },
};

function checkConverged(sim: BuildContext<PbCluster, PbClient>["sim"], replicas: readonly string[], writers: readonly string[]): Violation[] {
  const pending: string[] = [];
  for (const writer of writers) if (sim.history.isOpen(writer)) pending.push(`${writer} still has an append without outcome`);
  const primary = sim.node(replicas[0] as string).current as Replica | undefined;
  if (primary === undefined) pending.push(`primary ${replicas[0]} is not running`);
  for (const id of replicas) {
    const replica = sim.node(id).current as Replica | undefined;
    if (replica === undefined || primary === undefined) continue;
    if (replica.logLength < primary.commitIndex) pending.push(`${id} holds ${replica.logLength} of ${primary.commitIndex} committed entries`);
  }
  if (primary !== undefined && primary.commitIndex < primary.logLength) {
    pending.push(`primary has ${primary.logLength - primary.commitIndex} uncommitted entries`);
  }
  if (pending.length === 0) return [];
  return [
    {
      invariant: CONVERGED.name,
      kind: "liveness",
      message: `not converged after the liveness phase: ${pending.join("; ")}`,
      evidence: { ops: [], traceIndices: [sim.trace.count - 1], timeUs: sim.nowUs, data: { pending } },
    },
  ];
}
