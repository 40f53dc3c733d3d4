/**
 * eosim's library API: load a scenario, run it with a seed, read the verdict. The CLI is a
 * thin layer over exactly this.
 *
 *   import { loadScenario, run } from "eosim";
 *   const result = run(loadScenario("scenarios/primary-backup.yaml"), { seed: 7 });
 *   expect(result.verdict).toBe("pass");
 */
export { loadScenario, parseScenario, scenarioFromObject, type Scenario } from "./scenario/load.js";
export { ScenarioError } from "./scenario/errors.js";
export { scenarioSchema, type ScenarioConfig, type ScenarioInput } from "./scenario/schema.js";
export { run, prepareRun, type PreparedRun, type RunOptions } from "./run/run.js";
export { EXIT, exitCodeOf, verdictOf, type RunResult, type Verdict } from "./run/result.js";
export type { Violation, Evidence, InvariantInfo, InvariantKind } from "./checks/violation.js";
export type { Fault, FaultKind, TimedFault } from "./faults/fault.js";
export { SYSTEMS, allBugSwitches, type BugSwitch, type SystemModel } from "./systems/index.js";
export { EOSIM_VERSION } from "./version.js";
export * from "../sim/index.js";
export { Network, type NetworkOptions, type LatencyModel, type PartitionShape, type MessageMatch } from "./network/index.js";
export { KafkaHarness, batchOf, type HarnessOptions, type ReplicaSnapshot, type ScriptedRequest, type TransactionStateView } from "./systems/kafka/harness.js";
export type { KafkaRequest, KafkaResponse, RecordBatch, PartitionState } from "./nodes/kafka/protocol.js";
export { KAFKA_ERRORS, type KafkaError } from "./nodes/kafka/errors.js";
