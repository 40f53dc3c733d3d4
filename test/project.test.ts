import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { scenarioJsonSchemaText } from "../src/scenario/json-schema.js";
import { main } from "../src/cli/main.js";
import { EOSIM_VERSION } from "../src/version.js";

describe("project", () => {
  it("EOSIM_VERSION equals package.json's version (results name the eosim that made them)", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(EOSIM_VERSION).toBe(pkg.version);
  });

  it("schema/scenario.schema.json is generated from the current zod schema (run `npm run schema`)", () => {
    expect(readFileSync("schema/scenario.schema.json", "utf8")).toBe(scenarioJsonSchemaText());
  });

  it("the JSON Schema rejects unknown keys, as the loader does", () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as { additionalProperties?: boolean; required?: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(["name", "durationMs", "cluster"]));
  });

  it("the README's quick start: `npm start` runs every bundled scenario with the CLI, and they all pass", async () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };
    const [node, bin, ...args] = (pkg.scripts["start"] ?? "").split(" ");
    expect([node, bin]).toEqual(["node", "bin/eosim.js"]);
    const out: string[] = [];
    const code = await main([...args, "--no-report"], { out: (t) => out.push(t), err: (t) => out.push(t), color: false });
    expect(code, out.join("")).toBe(0);
    expect(out.join("").match(/^PASS /gm)?.length).toBeGreaterThanOrEqual(3);
  });
});
