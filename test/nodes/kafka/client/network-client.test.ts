import { describe, expect, it } from "vitest";
import type { Actor, Message, NodeContext } from "../../../../sim/actor.js";
import { Metadata } from "../../../../src/nodes/kafka/client/metadata.js";
import { NetworkClient, type ClientResponse } from "../../../../src/nodes/kafka/client/network-client.js";
import { buildFakeSystem, type FakeSystem } from "../../../helpers/kafka-fake-broker.js";

class Host implements Actor {
  network: NetworkClient;
  metadata: Metadata;
  readonly ignored: Message[] = [];
  constructor(
    readonly ctx: NodeContext,
    config: { requestTimeoutMs?: number; maxInFlightRequestsPerConnection?: number; metadataMaxAgeMs?: number; bootstrapBrokers?: number[] },
  ) {
    this.network = new NetworkClient(ctx, { requestTimeoutMs: config.requestTimeoutMs ?? 1000, maxInFlightRequestsPerConnection: config.maxInFlightRequestsPerConnection ?? 5, reconnectBackoffMs: 50 });
    this.metadata = new Metadata(ctx, this.network, { bootstrapBrokers: config.bootstrapBrokers ?? [1], metadataMaxAgeMs: config.metadataMaxAgeMs ?? 300_000, retryBackoffMs: 100 });
  }
  onMessage(from: string, message: Message): void {
    if (!this.network.handle(from, message)) this.ignored.push(message);
  }
  onDisconnect(peer: string): void {
    this.network.onDisconnect(peer);
  }
}

function addHost(sys: FakeSystem, config: ConstructorParameters<typeof Host>[1] = {}): Host {
  let host: Host | undefined;
  sys.sim.addNode("app", (ctx) => (host = new Host(ctx, config)));
  sys.sim.node("app").start();
  return host as Host;
}

const metadataRequest = { type: "Metadata" as const, topics: [] };

describe("network client", () => {
  it("matches each response to its request by correlation id and ignores anything else", () => {
    const sys = buildFakeSystem();
    const host = addHost(sys);
    const results: ClientResponse[] = [];
    const a = host.network.send(1, metadataRequest, (r) => results.push(r));
    const b = host.network.send(1, { type: "InitProducerId", transactionalId: null, transactionTimeoutMs: 1, producerId: -1, producerEpoch: -1 }, (r) => results.push(r));
    expect(b).toBe(a + 1);
    sys.runMs(10);
    expect(results.map((r) => r.kind === "response" && r.response.type)).toEqual(["MetadataResponse", "InitProducerIdResponse"]);
    host.ctx.send("app", { type: "MetadataResponse", correlationId: a } as Message);
    sys.runMs(10);
    expect(host.ignored).toHaveLength(1);
  });

  it("a lost connection fails every request in flight on it", () => {
    const sys = buildFakeSystem({ brokers: [1, 2] });
    const host = addHost(sys);
    sys.cluster.inject({ api: "Metadata", broker: 1, action: { kind: "drop-response" }, count: 3 });
    const results: ClientResponse[] = [];
    for (let i = 0; i < 3; i++) host.network.send(1, metadataRequest, (r) => results.push(r));
    host.network.send(2, metadataRequest, (r) => results.push(r));
    sys.runMs(2);
    sys.net.reset("app", "b1");
    expect(results.filter((r) => r.kind === "disconnected")).toEqual([
      { kind: "disconnected", timedOut: false },
      { kind: "disconnected", timedOut: false },
      { kind: "disconnected", timedOut: false },
    ]);
    expect(host.network.inFlightCount(1)).toBe(0);
    sys.runMs(10);
    // The request to b2 was on another connection.
    expect(results.filter((r) => r.kind === "response")).toHaveLength(1);
  });

  it("a request timeout drops the connection: every request on it fails, and a late response is ignored", () => {
    const sys = buildFakeSystem();
    const host = addHost(sys, { requestTimeoutMs: 1000 });
    sys.cluster.inject({ api: "Metadata", action: { kind: "delay-response", ms: 3000 } });
    const results: [number, ClientResponse][] = [];
    host.network.send(1, metadataRequest, (r) => results.push([sys.sim.nowUs, r]));
    sys.sim.at(500_000, () => host.network.send(1, { type: "InitProducerId", transactionalId: null, transactionTimeoutMs: 1, producerId: -1, producerEpoch: -1 }, (r) => results.push([sys.sim.nowUs, r])));
    sys.runMs(5000);
    // The InitProducerId response came back at once; the Metadata request timed out at 1 s.
    expect(results.map(([at, r]) => [at, r.kind === "response" ? r.response.type : r])).toEqual([
      [502_000, "InitProducerIdResponse"],
      [1_000_000, { kind: "disconnected", timedOut: true }],
    ]);
    expect(host.ignored.map((m) => m.type)).toEqual(["MetadataResponse"]);
  });

  it("is not ready at max in-flight requests, nor during the reconnect backoff", () => {
    const sys = buildFakeSystem();
    const host = addHost(sys, { maxInFlightRequestsPerConnection: 2 });
    host.network.send(1, metadataRequest, () => undefined);
    expect(host.network.isReady(1)).toBe(true);
    host.network.send(1, metadataRequest, () => undefined);
    expect(host.network.isReady(1)).toBe(false);
    expect(host.network.leastLoadedNode([1])).toBeUndefined();
    host.network.disconnect(1, false);
    expect(host.network.isReady(1)).toBe(false);
    sys.runMs(50);
    expect(host.network.isReady(1)).toBe(true);
  });
});

describe("metadata", () => {
  it("refreshes from the next bootstrap broker after one times out", () => {
    const sys = buildFakeSystem({ brokers: [1, 2] });
    sys.cluster.inject({ api: "Metadata", broker: 1, action: { kind: "drop-request" }, count: Number.POSITIVE_INFINITY });
    const host = addHost(sys, { bootstrapBrokers: [1, 2] });
    host.metadata.add("t");
    expect(sys.runUntil(() => host.metadata.version > 0, 10_000)).toBe(true);
    expect(host.metadata.leaderFor("t", 0)).toEqual({ leader: 1, leaderEpoch: 0 });
    expect(sys.cluster.received.filter((r) => r.request.type === "Metadata").map((r) => r.broker)).toEqual([1, 2]);
  });

  it("never replaces a partition's leader with one from an older leader epoch", () => {
    const sys = buildFakeSystem({ brokers: [1, 2] });
    const host = addHost(sys, { bootstrapBrokers: [1, 2] });
    sys.cluster.moveLeader("t-0", 2);
    host.metadata.add("t");
    expect(sys.runUntil(() => host.metadata.version === 1)).toBe(true);
    expect(host.metadata.leaderFor("t", 0)).toEqual({ leader: 2, leaderEpoch: 1 });
    sys.cluster.leaders.set("t-0", { leader: 1, leaderEpoch: 0 }); // a broker with a stale view
    host.metadata.requestUpdate();
    expect(sys.runUntil(() => host.metadata.version === 2)).toBe(true);
    expect(host.metadata.leaderFor("t", 0)).toEqual({ leader: 2, leaderEpoch: 1 });
  });

  it("refreshes every metadata.max.age.ms without being asked", () => {
    const sys = buildFakeSystem();
    const host = addHost(sys, { metadataMaxAgeMs: 1000 });
    host.metadata.add("t");
    sys.runMs(5500);
    expect(sys.cluster.requests("Metadata")).toHaveLength(6);
  });
});
