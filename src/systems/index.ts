import { kafka } from "./kafka/system.js";
import { primaryBackup } from "./primary-backup/system.js";
import type { BugSwitch, SystemEntrySchema, SystemModel } from "./system-model.js";

const registry: SystemModel[] = [kafka, primaryBackup];
let registryVersion = 0;

/** Every system a scenario's `cluster.kind` can name: the built-in ones, then any registered. */
export const SYSTEMS: readonly SystemModel[] = registry;

export function systemFor(kind: string): SystemModel {
  const system = SYSTEMS.find((s) => s.kind === kind);
  if (system === undefined) throw new Error(`no system of kind ${kind}`);
  return system;
}

export function allBugSwitches(): { system: string; bug: BugSwitch }[] {
  return SYSTEMS.flatMap((system) => system.bugs.map((bug) => ({ system: system.kind, bug })));
}

/**
 * Adds a system at run time, for tests (a test-only system that misbehaves on purpose) and
 * plugins. It must bring its own zod schemas (`schemas`) so that scenarios can name it.
 * Registering the same object again does nothing; another system of a taken kind is an error.
 * Sweep workers (child processes, or worker threads) do not share the registry: a sweep
 * imports the registering module in each worker (`workerImports`).
 */
export function registerSystem(system: SystemModel): void {
  const existing = SYSTEMS.find((s) => s.kind === system.kind);
  if (existing === system) return;
  if (existing !== undefined) throw new Error(`registerSystem: a system of kind ${system.kind} already exists`);
  if (system.schemas === undefined) throw new Error(`registerSystem: ${system.kind} brings no zod schemas (SystemModel.schemas)`);
  registry.push(system);
  registryVersion++;
}

/** The schemas registered systems brought, and a version that changes with every registration. */
export function registeredSchemas(): { readonly version: number; readonly clusters: SystemEntrySchema[]; readonly clients: SystemEntrySchema[] } {
  const withSchemas = registry.filter((s) => s.schemas !== undefined);
  return {
    version: registryVersion,
    clusters: withSchemas.map((s) => s.schemas?.cluster as SystemEntrySchema),
    clients: withSchemas.flatMap((s) => s.schemas?.clients ?? []),
  };
}

export type { BugSwitch, BuiltSystem, ShrinkKnob, SystemEntrySchema, SystemModel } from "./system-model.js";
