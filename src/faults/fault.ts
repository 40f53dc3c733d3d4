import type { PartitionShape } from "../network/partitions.js";

/**
 * A fault as data: what happens at `atMs` of simulated time. Scenario files list these,
 * the nemesis draws them, and a shrinker removes them: the same shape everywhere.
 */
export type Fault =
  | ({ readonly kind: "partition" } & PartitionShape)
  | { readonly kind: "heal" }
  | { readonly kind: "crash"; readonly node: string; readonly loseUnflushed: boolean }
  | { readonly kind: "restart"; readonly node: string }
  | { readonly kind: "pause"; readonly node: string }
  | { readonly kind: "resume"; readonly node: string }
  | { readonly kind: "clock-offset"; readonly node: string; readonly offsetMs: number }
  | { readonly kind: "clock-step"; readonly node: string; readonly deltaMs: number }
  | { readonly kind: "clock-drift"; readonly node: string; readonly driftPpm: number }
  | { readonly kind: "clock-reset"; readonly node: string }
  | { readonly kind: "clog"; readonly from: string; readonly to: string; readonly durationMs: number }
  | { readonly kind: "reset"; readonly nodes: readonly [string, string] }
  | {
      readonly kind: "hold";
      readonly type?: string;
      readonly from?: string;
      readonly to?: string;
      readonly durationMs: number;
      readonly count: number;
    }
  | { readonly kind: "heal-all" };

export type FaultKind = Fault["kind"];

export type TimedFault = Fault & { readonly atMs: number };

/** The node names a fault refers to, for validation against the scenario's nodes. */
export function nodesNamedBy(fault: Fault): string[] {
  switch (fault.kind) {
    case "crash":
    case "restart":
    case "pause":
    case "resume":
    case "clock-offset":
    case "clock-step":
    case "clock-drift":
    case "clock-reset":
      return [fault.node];
    case "clog":
      return [fault.from, fault.to];
    case "reset":
      return [...fault.nodes];
    case "hold":
      return [fault.from, fault.to].filter((n): n is string => n !== undefined);
    case "partition":
      switch (fault.shape) {
        case "groups":
          return fault.groups.flat();
        case "isolate":
          return [fault.node];
        case "one-way":
          return [...fault.from, ...fault.to];
        default:
          return [];
      }
    case "heal":
    case "heal-all":
      return [];
  }
}

/** A one-line description for logs and reports. */
export function describeFault(fault: TimedFault): string {
  const { atMs, kind, ...rest } = fault;
  const args = Object.entries(rest)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? JSON.stringify(value) : String(value)}`)
    .join(" ");
  return `@${atMs}ms ${kind}${args ? " " + args : ""}`;
}
