import { readdirSync } from "node:fs";
import { join } from "node:path";
import { FAULT_CATALOG } from "../faults/catalog.js";
import { NEMESIS_KINDS } from "../faults/nemesis.js";
import { loadScenario } from "../scenario/load.js";
import { ScenarioError } from "../scenario/errors.js";
import { SYSTEMS } from "../systems/index.js";

export interface CatalogSection {
  readonly name: string;
  readonly rows: readonly { readonly name: string; readonly description: string }[];
}

export const CATALOG_SECTIONS = ["scenarios", "invariants", "faults", "nemesis", "bugs", "systems"] as const;

/** Everything `eosim list` prints, from the same data that defines it. */
export function listCatalog(scenarioDir: string | undefined): CatalogSection[] {
  return [
    { name: "scenarios", rows: scenarioDir ? listScenarios(scenarioDir) : [] },
    {
      name: "invariants",
      rows: SYSTEMS.flatMap((s) => s.invariants.map((inv) => ({ name: inv.name, description: `[${s.kind}, ${inv.kind}, ${inv.when}] ${inv.description}` }))),
    },
    { name: "faults", rows: Object.entries(FAULT_CATALOG).map(([name, description]) => ({ name, description })) },
    { name: "nemesis", rows: NEMESIS_KINDS.map((name) => ({ name, description: "nemesis fault family (with its recovery)" })) },
    {
      name: "bugs",
      rows: SYSTEMS.flatMap((s) => s.bugs.map((b) => ({ name: b.name, description: `[${s.kind}] ${b.description} Caught by: ${b.caughtBy.join(", ")}.` }))),
    },
    { name: "systems", rows: SYSTEMS.map((s) => ({ name: s.kind, description: `${s.description} Clients: ${s.clientKinds.join(", ")}.` })) },
  ];
}

function listScenarios(dir: string): { name: string; description: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      try {
        const scenario = loadScenario(file);
        return { name: file, description: scenario.config.description.trim().split("\n")[0] ?? "" };
      } catch (error) {
        if (error instanceof ScenarioError) return { name: file, description: `(invalid: ${error.message})` };
        throw error;
      }
    });
}
