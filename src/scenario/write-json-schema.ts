import { writeFileSync } from "node:fs";
import { scenarioJsonSchemaText } from "./json-schema.js";

/** `npm run schema`: regenerates schema/scenario.schema.json (a test fails when it is stale). */
const path = "schema/scenario.schema.json";
writeFileSync(path, scenarioJsonSchemaText());
process.stdout.write(`wrote ${path}\n`);
