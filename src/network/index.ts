export { HoldTable, matches, type MessageMatch, type TargetedHold } from "./holds.js";
export { DEFAULT_LATENCY, sampleLatencyUs, type LatencyModel } from "./latency.js";
export { Network, type LinkOptions, type NetworkOptions } from "./network.js";
export { applyPartition, PartitionTable, type PartitionShape } from "./partitions.js";
