import { expect } from "vitest";
import { type ProtocolConfig, defaultConfig } from "../../src/protocols/pb/config.js";
import { checkHistory } from "../../src/check/index.js";
import type { Address } from "../../src/schemas/address.js";
import type { Op } from "../../src/schemas/op.js";
import type { View } from "../../src/schemas/view.js";
import type { LinkFaults } from "../../src/sim/network.js";
import { Simulator } from "../../src/sim/simulator.js";
import type { ServerState } from "../../src/protocols/pb/server.js";
import type { ViewServerState } from "../../src/protocols/pb/viewServer.js";

export interface ClusterOptions {
  seed?: number;
  servers?: number;
  clients?: number;
  config?: ProtocolConfig;
}

/** A simulated cluster: view server, server-1…N, client-1…C, settled into its first full view. */
export function startCluster(options: ClusterOptions = {}): Simulator {
  const sim = new Simulator({
    seed: options.seed ?? 1,
    config: options.config ?? defaultConfig,
    traceLinesMax: 2000,
  });
  sim.addCluster(options.servers ?? 3);
  for (let i = 1; i <= (options.clients ?? 1); i++) sim.addClient(`client-${i}`);
  return sim;
}

/** pb's view server state in a simulated cluster (the simulator itself knows states only as `unknown`). */
export function viewServerState(sim: Simulator): ViewServerState | null {
  return sim.stateOf("viewserver") as ViewServerState | null;
}

/** A pb server's state, null while it is down. */
export function serverState(sim: Simulator, address: Address): ServerState | null {
  return sim.stateOf(address) as ServerState | null;
}

export function currentView(sim: Simulator): View {
  const viewServer = viewServerState(sim);
  if (viewServer === null) throw new Error("the view server is down");
  return viewServer.view;
}

/** Run until the view server's view satisfies `predicate` and the primary acknowledged it. */
export function waitForView(sim: Simulator, predicate: (view: View) => boolean, limitMs = 5_000): View {
  const reached = sim.runUntil(() => {
    const viewServer = viewServerState(sim);
    return viewServer !== null && viewServer.primaryAcked && predicate(viewServer.view);
  }, limitMs);
  if (!reached)
    throw new Error(
      `view not reached within ${limitMs} ms; now ${JSON.stringify(currentView(sim))}\n${sim.trace().slice(-40).join("\n")}`,
    );
  return currentView(sim);
}

/** A full view: primary and backup, acknowledged (so the backup holds the state). */
export function waitForFullView(sim: Simulator, limitMs = 5_000): View {
  return waitForView(sim, (view) => view.primary !== null && view.backup !== null, limitMs);
}

/** Invoke `op` on `client` and run until it completes; returns the value. */
export function runOp(sim: Simulator, client: Address, op: Op, limitMs = 10_000): string {
  const before = sim.completed.length;
  sim.invoke(client, op);
  const done = sim.runUntil(() => !sim.isBusy(client), limitMs);
  if (!done)
    throw new Error(
      `${client} ${JSON.stringify(op)} not answered within ${limitMs} ms\n${sim.trace().slice(-40).join("\n")}`,
    );
  const result = sim.completed.slice(before).find((c) => c.client === client);
  if (result === undefined) throw new Error("completed op not recorded");
  return result.value;
}

export const put = (key: string, value: string): Op => ({ f: "put", key, value });
export const append = (key: string, value: string): Op => ({ f: "append", key, value });
export const get = (key: string): Op => ({ f: "get", key });

export function setLink(sim: Simulator, link: Partial<LinkFaults>): void {
  sim.network.link = { ...sim.network.link, ...link };
}

/** The recorded history must be linearizable. */
export function expectLinearizable(sim: Simulator): void {
  const verdict = checkHistory(sim.history.events(), { budgetMs: 30_000 });
  expect(verdict.result, JSON.stringify(verdict)).toBe("ok");
}

/** Run each client closed-loop through its list of operations, all concurrently; returns when all finish. */
export function runConcurrently(sim: Simulator, plans: Map<Address, Op[]>, limitMs = 60_000): void {
  const finished = runClosedLoop(
    sim,
    [...plans.keys()],
    (client, index) => plans.get(client)?.[index] ?? null,
    limitMs,
  );
  if (!finished) throw new Error(`clients did not finish within ${limitMs} ms`);
}

/**
 * Each client invokes `nextOp(client, i)` for i = 0, 1, … as soon as its previous
 * operation completes, until nextOp gives null. Runs at most `limitMs`; true when all finished.
 */
export function runClosedLoop(
  sim: Simulator,
  clients: Address[],
  nextOp: (client: Address, index: number) => Op | null,
  limitMs: number,
): boolean {
  const next = new Map<Address, number>();
  const exhausted = new Set<Address>();
  const invokeNext = (client: Address): void => {
    const index = next.get(client) ?? 0;
    const op = nextOp(client, index);
    if (op === null) {
      exhausted.add(client);
      return;
    }
    next.set(client, index + 1);
    sim.invoke(client, op);
  };
  sim.onResult((done) => {
    if (clients.includes(done.client)) sim.schedule(0, () => invokeNext(done.client));
  });
  for (const client of clients) invokeNext(client);
  return sim.runUntil(() => exhausted.size === clients.length, limitMs);
}
