/**
 * A sweep worker, as a child process (forked, talking over its IPC channel) or as a worker
 * thread (talking over its parent port): the same code either way. Its first message is the
 * setup (imports, scenario text); then it runs seeds on request, one at a time, in the order
 * they were sent. Started by spawn-worker.ts.
 */
import { parentPort } from "node:worker_threads";
import { parseScenario, type Scenario } from "../scenario/load.js";
import type { FromWorker, SeedTask, ToWorker, WorkerSetup } from "./protocol.js";
import { runSeed } from "./run-seed.js";

interface ParentChannel {
  post(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
}

function parentChannel(): ParentChannel {
  const port = parentPort;
  if (port !== null) return { post: (message) => port.postMessage(message), onMessage: (listener) => port.on("message", listener) };
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("src/sweep/worker: started neither as a worker thread nor as a forked process");
  // The sweep went away (it closed the channel, or died): nothing is left to do, nobody to tell.
  const orphaned = (): never => process.exit(0);
  process.on("disconnect", orphaned);
  return {
    post: (message) => {
      if (!process.connected) orphaned();
      send(message, undefined, {}, (error: Error | null) => {
        if (error !== null) orphaned();
      });
    },
    onMessage: (listener) => process.on("message", listener),
  };
}

const channel = parentChannel();
let scenario: Scenario | undefined;
/** Tasks run strictly in order: a run that writes a report awaits its modules before the next starts. */
let previous: Promise<void> = Promise.resolve();

channel.onMessage((message) => {
  previous = previous.then(() => handle(message));
});

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "setup":
      return setUp(message.setup);
    case "run":
      return runTask(message.id, message.task);
  }
}

async function setUp(setup: WorkerSetup): Promise<void> {
  try {
    for (const url of setup.imports) await import(url);
    scenario = parseScenario(setup.scenarioSource, setup.scenarioFile);
    channel.post({ type: "ready" });
  } catch (error) {
    channel.post({ type: "fatal", message: error instanceof Error ? error.message : String(error) });
  }
}

async function runTask(id: number, task: SeedTask): Promise<void> {
  if (scenario === undefined) return;
  try {
    channel.post({ type: "done", id, output: await runSeed(scenario, task) });
  } catch (error) {
    channel.post({ type: "failed", id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}
