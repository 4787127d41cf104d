// Who may speak as whom (src/security/principal.ts) and what each may touch
// (src/security/permissions.ts), checked on names, as the broker and the
// hosts apply them. RabbitMQ's regexes are PCRE; these are plain enough that
// JavaScript's RegExp reads them the same.
import { describe, expect, it } from "vitest";
import { clusterNames } from "../../src/broker/topology.js";
import { isOperatorAddress } from "../../src/schemas/address.js";
import { defaultExchange, permissionsOf } from "../../src/security/permissions.js";
import {
  brokerUserOf,
  clientAddressPrefix,
  isPrincipalOf,
  newClientAddress,
  newOperatorAddress,
  principalOf,
  senderRefusal,
} from "../../src/security/principal.js";

const cluster = "c1";
const names = clusterNames(cluster);
const node = (address: string) => ({ kind: "node" as const, address });
const alice = { kind: "client" as const, name: "alice" };
const refusal = (user: string | undefined, from: string) =>
  senderRefusal(cluster, principalOf(cluster, user), user, from);

describe("principals", () => {
  it("round-trip through their broker user names, and nothing else is one", () => {
    for (const principal of [node("viewserver"), node("server-3"), { kind: "operator" as const }, alice])
      expect(principalOf(cluster, brokerUserOf(cluster, principal))).toEqual(principal);
    for (const user of [
      "guest",
      "c2.operator",
      "c1.client.Alice",
      "c1.client.a-b",
      "c1.client.operator",
      "c1.other",
      undefined,
    ])
      expect(principalOf(cluster, user)).toBeNull();
  });

  it("tell a secure cluster's users (who stamp user_id on what they publish) from anyone else", () => {
    for (const principal of [node("server-1"), { kind: "operator" as const }, alice])
      expect(isPrincipalOf(cluster, brokerUserOf(cluster, principal))).toBe(true);
    for (const user of ["guest", "c2.operator", "c1.other"]) expect(isPrincipalOf(cluster, user)).toBe(false);
  });

  it("speak only as themselves: a node as its address, a client user as its own client addresses", () => {
    expect(refusal("c1.node.viewserver", "viewserver")).toBeNull();
    expect(refusal("c1.node.server-3", "viewserver")).toMatch(/only as server-3/);
    expect(refusal("c1.client.alice", "client-alice-x1")).toBeNull();
    expect(refusal("c1.client.alice", "client-alicia-x1")).toMatch(/only as client-alice-\*/);
    expect(refusal("c1.client.alice", "client-alice-")).not.toBeNull();
    expect(refusal("c1.client.alice", "server-1")).not.toBeNull();
    expect(refusal("c1.operator", "client-operator-q")).toBeNull();
    expect(refusal("c1.operator", "viewserver")).not.toBeNull();
    expect(refusal(undefined, "server-1")).toMatch(/no user_id/);
    expect(refusal("guest", "server-1")).toMatch(/not a user of cluster c1/);
  });

  it("give clients fresh addresses they may speak as", () => {
    const address = newClientAddress(cluster, "c1.client.alice");
    expect(address.startsWith(clientAddressPrefix(alice))).toBe(true);
    expect(refusal("c1.client.alice", address)).toBeNull();
    expect(newClientAddress(cluster, "guest")).toMatch(/^client-[^-]/);
  });

  // An open cluster's operator (guest) reconfigures VR too: its operator actor used to take a plain
  // client address, whose Reconfigure every replica ignored (found by the bench's reconfiguration
  // rounds and by chaos --reconfigure).
  it("give the operator's actor an operator address, on an open cluster too; a client user its own", () => {
    for (const user of ["c1.operator", "guest"]) {
      const address = newOperatorAddress(cluster, user);
      expect(isOperatorAddress(address)).toBe(true);
      expect(newOperatorAddress(cluster, user)).not.toBe(address);
    }
    expect(refusal("c1.operator", newOperatorAddress(cluster, "c1.operator"))).toBeNull();
    // A client user gets its own prefix: replicas refuse its Reconfigure, the broker its other addresses.
    const alices = newOperatorAddress(cluster, "c1.client.alice");
    expect(isOperatorAddress(alices)).toBe(false);
    expect(refusal("c1.client.alice", alices)).toBeNull();
  });
});

describe("permissions", () => {
  const matches = (pattern: string, name: string) => new RegExp(pattern).test(name);

  it("let a client user publish only requests and read only its own queues and replies", () => {
    const own = names.actorQueue("client-alice-x1");
    const permissions = permissionsOf(names, alice);
    expect(matches(permissions.write, names.requests)).toBe(true);
    expect(matches(permissions.write, own)).toBe(true);
    for (const exchange of [
      names.net,
      names.peer,
      defaultExchange,
      names.control,
      names.events,
      names.delay,
      names.lost,
      names.rejected,
    ])
      expect(matches(permissions.write, exchange)).toBe(false);
    for (const name of [
      names.peer,
      names.events,
      names.lost,
      names.rejected,
      names.control,
      names.actorQueue("server-1"),
    ])
      expect(matches(permissions.read, name)).toBe(false);
    expect(matches(permissions.configure, own)).toBe(true);
    expect(matches(permissions.configure, names.net)).toBe(false);
    expect(matches(permissions.configure, names.actorQueue("client-bob-x1"))).toBe(false);
    const net = permissions.topics.find((topic) => topic.exchange === names.net);
    expect(matches(net?.read ?? "", "client-alice-x1")).toBe(true);
    for (const key of ["#", "server-1", "client-bob-x1", "client-alice-x1.y"])
      expect(matches(net?.read ?? "", key)).toBe(false);
  });

  it("let a node bind only its own address and never command faults", () => {
    const permissions = permissionsOf(names, node("server-2"));
    const net = permissions.topics.find((topic) => topic.exchange === names.net);
    expect(matches(net?.read ?? "", "server-2")).toBe(true);
    expect(matches(net?.read ?? "", "server-1")).toBe(false);
    expect(matches(net?.read ?? "", "#")).toBe(false);
    expect(matches(permissions.write, names.control)).toBe(false);
    expect(matches(permissions.configure, names.net)).toBe(false);
    expect(matches(permissions.configure, names.actorQueue("server-1"))).toBe(false);
    const events = permissions.topics.find((topic) => topic.exchange === names.events);
    expect(matches(events?.write ?? "", "view.server-2")).toBe(true);
    expect(matches(events?.write ?? "", "view.viewserver")).toBe(false);
  });

  it("let servers, and only servers, publish and bind on the servers' direct exchange", () => {
    for (const server of ["server-1", "server-9"]) {
      const permissions = permissionsOf(names, node(server));
      expect(matches(permissions.write, names.peer)).toBe(true);
      expect(matches(permissions.read, names.peer)).toBe(true);
      expect(matches(permissions.configure, names.peer)).toBe(false);
    }
    for (const other of ["viewserver", "master"]) {
      const permissions = permissionsOf(names, node(other));
      expect(matches(permissions.write, names.peer)).toBe(false);
      expect(matches(permissions.read, names.peer)).toBe(false);
    }
  });

  it("let every node, and no client or operator, publish straight into queues (the untapped path)", () => {
    for (const address of ["server-1", "viewserver", "master"]) {
      const permissions = permissionsOf(names, node(address));
      expect(matches(permissions.write, defaultExchange)).toBe(true);
      expect(matches(permissions.configure, defaultExchange)).toBe(false);
    }
    expect(matches(permissionsOf(names, { kind: "operator" }).write, defaultExchange)).toBe(false);
  });
});
