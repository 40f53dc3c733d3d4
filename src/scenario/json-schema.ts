import { z } from "zod";
import { scenarioSchema } from "./schema.js";

/** The scenario JSON Schema for editors, generated from the zod schema (the single source). */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://eosim.dev/schema/scenario.schema.json",
    title: "eosim scenario",
    description: "A scenario file for eosim: the cluster, clients, network, faults, nemesis, invariants and bug switches of a run.",
  };
}

export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + "\n";
}
