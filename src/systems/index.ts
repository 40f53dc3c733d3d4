import { primaryBackup } from "./primary-backup/system.js";
import type { BugSwitch, SystemModel } from "./system-model.js";

/** Every system a scenario's `cluster.kind` can name. */
export const SYSTEMS: readonly SystemModel[] = [primaryBackup];

export function systemFor(kind: string): SystemModel {
  const system = SYSTEMS.find((s) => s.kind === kind);
  if (system === undefined) throw new Error(`no system of kind ${kind}`);
  return system;
}

export function allBugSwitches(): { system: string; bug: BugSwitch }[] {
  return SYSTEMS.flatMap((system) => system.bugs.map((bug) => ({ system: system.kind, bug })));
}

export type { BugSwitch, BuiltSystem, SystemModel } from "./system-model.js";
