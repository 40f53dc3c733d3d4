// @ts-check
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

const WHY = "breaks determinism";
// ESLint prefixes these with the name of what was used: "'Date.now' is restricted from being used. It breaks ..."
const USE_RNG = `It ${WHY}: use the seeded Rng (sim.rng / ctx.rng).`;
const USE_SIM_CLOCK = `It ${WHY}: use the simulated clock (sim.nowUs / ctx.wallClockUs()); real time only in src/run/wall-clock.ts.`;
const USE_SIM_TIMERS = `It ${WHY}: use simulated timers (sim.at / sim.after / ctx.after), never the host event loop.`;

/**
 * Simulation code (the kernel and everything it runs) must not read real time, real
 * randomness or the host event loop: a run is a pure function of its seed.
 */
const determinismRules = {
  "no-restricted-properties": [
    "error",
    { object: "Math", property: "random", message: USE_RNG },
    { object: "Date", property: "now", message: USE_SIM_CLOCK },
    { object: "performance", property: "now", message: USE_SIM_CLOCK },
  ],
  "no-restricted-globals": [
    "error",
    { name: "setTimeout", message: USE_SIM_TIMERS },
    { name: "setInterval", message: USE_SIM_TIMERS },
    { name: "setImmediate", message: USE_SIM_TIMERS },
    { name: "queueMicrotask", message: USE_SIM_TIMERS },
    { name: "performance", message: USE_SIM_CLOCK },
  ],
  // Importing the same functions from node modules would bypass no-restricted-globals.
  "no-restricted-imports": [
    "error",
    {
      paths: ["timers", "node:timers", "timers/promises", "node:timers/promises", "perf_hooks", "node:perf_hooks"].map((name) => ({
        name,
        message: `It ${WHY}: use simulated time and timers.`,
      })),
    },
  ],
  "no-restricted-syntax": [
    "error",
    { selector: "NewExpression[callee.name='Date']", message: `new Date(...) reads the real clock. ${USE_SIM_CLOCK}` },
    { selector: "CallExpression[callee.name='Date']", message: `Date() reads the real clock. ${USE_SIM_CLOCK}` },
  ],
};

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "reports/", "coverage/", ".exp/"] },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      // Style: the kernel names itself `sim` inside closures it hands to nodes (sim/simulation.ts).
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["sim"] }],
      // Style: a leading underscore marks a deliberately unused binding (interface-shaped callbacks).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["sim/**/*.ts", "src/**/*.ts"],
    ignores: ["src/cli/**", "src/run/wall-clock.ts"],
    rules: determinismRules,
  },
);
