/**
 * A sweep worker thread: imports the setup's modules, parses the scenario text it was given,
 * then runs seeds on request, one at a time. Started by spawn-worker.ts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { parseScenario, type Scenario } from "../scenario/load.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./protocol.js";
import { runSeed } from "./run-seed.js";

const port = parentPort;
if (port === null) throw new Error("src/sweep/worker: not started as a worker thread");
const setup = workerData as WorkerSetup;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

let scenario: Scenario | undefined;
try {
  for (const url of setup.imports) await import(url);
  scenario = parseScenario(setup.scenarioSource, setup.scenarioFile);
  post({ type: "ready" });
} catch (error) {
  post({ type: "fatal", message: error instanceof Error ? error.message : String(error) });
}

port.on("message", (message: ToWorker) => {
  if (scenario === undefined) return;
  try {
    post({ type: "done", id: message.id, output: runSeed(scenario, message.task) });
  } catch (error) {
    post({ type: "failed", id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
