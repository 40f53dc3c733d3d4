/**
 * Starts the sweep worker thread (`worker.ts`, compiled to `worker.js`), from the build and from
 * source alike. This is the only place that knows how:
 *
 * - From the build (`node bin/eosim.js`, `import … from "eosim"`), this module is
 *   `dist/src/sweep/spawn-worker.js` and the worker is the plain `worker.js` beside it.
 * - From source (vitest, `node --import tsx src/cli/bin.ts`, `tsx bench/…`), this module is a
 *   `.ts` file and so is the worker; Node cannot load TypeScript by itself. On Node 20 a worker
 *   ignores `--import tsx` in its `execArgv` for its entry module (tested: "Unknown file
 *   extension .ts"), so the worker starts from a tiny bootstrap script that registers tsx's ESM
 *   loader in the worker thread (tsx/esm/api `register()`), then imports `worker.ts`. tsx is a
 *   dev dependency: only source checkouts take this path.
 */
import { Worker } from "node:worker_threads";

const FROM_SOURCE = import.meta.url.endsWith(".ts");

export function spawnSweepWorker(workerData: unknown): Worker {
  if (!FROM_SOURCE) return new Worker(new URL("./worker.js", import.meta.url), { workerData });
  const workerUrl = new URL("./worker.ts", import.meta.url).href;
  const tsxApiUrl = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApiUrl)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
