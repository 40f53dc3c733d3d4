import type { z } from "zod";
import type { Simulation } from "../../sim/simulation.js";
import type { InvariantInfo, Violation } from "../checks/violation.js";
import type { Network } from "../network/network.js";

/** A guard that can be switched off by name, and what should catch the bug it lets through. */
export interface BugSwitch {
  readonly name: string;
  readonly description: string;
  /** Invariants expected to report the bug when a seed sweep hits it. */
  readonly caughtBy: readonly string[];
}

/** What a built system offers to the runner. */
export interface BuiltSystem {
  /** Nodes a nemesis may crash, pause and skew. */
  readonly servers: readonly string[];
  /** Every node, servers and clients. */
  readonly nodes: readonly string[];
  /** The fault window is over: clients stop starting new operations. */
  stopWorkload(): void;
  /** History checkers, at the end of the run. */
  checkHistory(): Violation[];
  /** What has not converged by the end of the liveness phase. */
  checkLiveness(): Violation[];
}

export interface BuildContext<Cluster, Client> {
  readonly sim: Simulation;
  readonly network: Network;
  readonly cluster: Cluster;
  readonly clients: readonly Client[];
}

/** A zod schema for a `cluster:` or client entry of a registered system: an object whose `kind` is a literal. */
export type SystemEntrySchema = z.ZodObject<{ kind: z.ZodLiteral<string> } & z.ZodRawShape>;

/**
 * A number in a scenario that a shrinker may lower while a failure keeps reproducing (a size or
 * a rate): where it sits in the scenario object, and the smallest value allowed.
 */
export interface ShrinkKnob {
  /** Path in the scenario object, e.g. `["cluster", "replicas"]`. */
  readonly path: readonly (string | number)[];
  /** The smallest value to try. */
  readonly min: number;
  /** Whether only whole numbers are allowed. */
  readonly integer: boolean;
}

/**
 * A system eosim can simulate: its actors, workload, guards and checkers, selected by the
 * scenario's `cluster.kind`. Kafka is one; the primary-backup log proves the kernel.
 */
export interface SystemModel<Cluster = unknown, Client = unknown> {
  readonly kind: string;
  readonly description: string;
  readonly clientKinds: readonly string[];
  readonly bugs: readonly BugSwitch[];
  readonly invariants: readonly InvariantInfo[];
  /** Node ids the scenario will have, for validating fault targets before anything runs. */
  nodeIds(cluster: Cluster, clients: readonly Client[]): string[];
  build(context: BuildContext<Cluster, Client>): BuiltSystem;
  /**
   * For systems registered at run time (`registerSystem`, e.g. test-only systems): the zod schemas
   * of their `cluster:` and client entries. Built-in systems are in the scenario schema's unions.
   */
  readonly schemas?: { readonly cluster: SystemEntrySchema; readonly clients: readonly SystemEntrySchema[] };
  /**
   * Numbers the shrinker may lower beyond the generic ones (every client's `count` and `*PerSec`
   * rate, from the schema's minimums): cluster sizes, for instance.
   */
  shrinkCandidates?(cluster: Cluster, clients: readonly Client[]): readonly ShrinkKnob[];
}
