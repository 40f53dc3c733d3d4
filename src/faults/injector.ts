import type { Simulation } from "../../sim/simulation.js";
import { msToUs } from "../../sim/time.js";
import type { Network } from "../network/network.js";
import type { Fault, TimedFault } from "./fault.js";

/**
 * Applies faults to a running simulation. Every applied fault is traced as `fault` with its
 * kind, so reports can draw fault bands and the trace hash covers them.
 */
export class FaultInjector {
  private readonly applied: TimedFault[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly network: Network,
    /** Nodes that partitions without explicit groups (halves, rings) are drawn over. */
    private readonly partitionNodes: readonly string[],
  ) {}

  /** Faults applied so far, in order, as data. */
  get log(): readonly TimedFault[] {
    return this.applied;
  }

  schedule(faults: readonly TimedFault[]): void {
    for (const fault of faults) this.sim.at(msToUs(fault.atMs), () => this.apply(fault));
  }

  apply(fault: TimedFault): void {
    this.applied.push(fault);
    this.sim.record("fault", "nemesis", { fault: fault.kind, detail: JSON.stringify(fault) });
    this.applyEffect(fault);
  }

  private applyEffect(fault: Fault): void {
    const sim = this.sim;
    switch (fault.kind) {
      case "partition":
        this.network.applyPartition(fault, this.partitionNodes);
        return;
      case "heal":
        this.network.heal();
        return;
      case "crash":
        sim.node(fault.node).crash(fault.loseUnflushed);
        return;
      case "restart":
        if (sim.node(fault.node).status === "crashed") sim.node(fault.node).start();
        return;
      case "pause":
        sim.node(fault.node).pause();
        return;
      case "resume":
        sim.node(fault.node).resume();
        return;
      case "clock-offset":
        sim.node(fault.node).clock.setOffset(sim.nowUs, msToUs(fault.offsetMs));
        return;
      case "clock-step":
        sim.node(fault.node).clock.step(msToUs(fault.deltaMs));
        return;
      case "clock-drift":
        sim.node(fault.node).clock.setDrift(sim.nowUs, fault.driftPpm);
        return;
      case "clock-reset":
        sim.node(fault.node).clock.reset(sim.nowUs);
        return;
      case "clog":
        this.network.clog(fault.from, fault.to, sim.nowUs + msToUs(fault.durationMs));
        return;
      case "reset":
        this.network.reset(fault.nodes[0], fault.nodes[1]);
        return;
      case "hold": {
        const match = { type: fault.type, from: fault.from, to: fault.to };
        this.network.hold(match, msToUs(fault.durationMs), fault.count);
        return;
      }
      case "heal-all":
        this.healAll();
        return;
      default: {
        const unknown: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The start of the liveness phase: the network heals, every node runs, every clock is true. */
  private healAll(): void {
    this.network.heal();
    for (const id of this.sim.nodeIds) {
      const node = this.sim.node(id);
      node.clock.reset(this.sim.nowUs);
      if (node.status === "paused") node.resume();
      else if (node.status === "crashed") node.start();
    }
  }
}
