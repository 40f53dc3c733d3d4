/**
 * The compiled build (dist/, what bin/eosim.js runs) for benches that measure what users run:
 * rebuilt first when a source file is newer than its output. Bench code, not simulation code.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** Rebuilds dist/ when some source file is newer than its compiled output (or has none); says which. */
export function ensureBuilt(): string {
  const stale = [...sourceFiles("sim"), ...sourceFiles("src")].find((file) => {
    const out = join(ROOT, "dist", file.replace(/\.ts$/, ".js"));
    try {
      return statSync(out).mtimeMs < statSync(join(ROOT, file)).mtimeMs;
    } catch {
      return true;
    }
  });
  if (stale === undefined) return "dist/ up to date";
  const t0 = performance.now();
  const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  return `dist/ rebuilt first (${relative(ROOT, join(ROOT, stale))} was newer), ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/** The URL of a compiled module: `distUrl("src/sweep/sweep")` for dist/src/sweep/sweep.js. */
export function distUrl(modulePath: string): string {
  return pathToFileURL(join(ROOT, "dist", `${modulePath}.js`)).href;
}
