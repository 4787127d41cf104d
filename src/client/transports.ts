// Where the pool's client actors live: on the broker (BrokerClients, one
// connection for all of them, which reconnects on its own) or on the network
// of an in-process MemoryCluster (one MemoryClients per actor). Both are the
// protocol's own client actor; this file only adapts their outcomes.
import type { Logger } from "pino";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { BrokerClients, ClientTimeoutError } from "../broker/clients.js";
import type { ClusterNames } from "../broker/topology.js";
import { MemoryClients } from "../memory/clients.js";
import type { MemoryCluster } from "../memory/cluster.js";
import type { View } from "../schemas/view.js";
import type { ActorSlot, SlotFactory } from "./pool.js";

export interface Transport {
  newSlot: SlotFactory;
  /** The view, or null when the view server did not answer in time. */
  getView(timeoutMs: number): Promise<View | null>;
  /** The first broken invariant of a client actor, if any. */
  readonly fatal: Error | null;
  close(): Promise<void>;
}

export async function brokerTransport(options: {
  url: string;
  names: ClusterNames;
  protocol: AnyProtocol;
  config: ProtocolConfigBase;
  log: Logger;
  label: string;
}): Promise<Transport> {
  const clients = await BrokerClients.open({ ...options, checkInvariants: true });
  return {
    newSlot: async (timeoutMs) => {
      try {
        const session = await clients.newClient(timeoutMs);
        const slot: ActorSlot = {
          invoke: async (op, opTimeoutMs) => {
            const outcome = await session.invoke(op, opTimeoutMs);
            return outcome.kind === "refused" ? { kind: "not run" } : outcome;
          },
          get usable() {
            return !session.isRetired;
          },
          address: session.address,
          stop: () => session.stop(),
        };
        return slot;
      } catch (error) {
        if (error instanceof ClientTimeoutError) return null; // not connected in time
        throw error;
      }
    },
    getView: async (timeoutMs) => {
      try {
        return await clients.getView(timeoutMs);
      } catch (error) {
        if (error instanceof ClientTimeoutError) return null;
        throw error;
      }
    },
    get fatal() {
      return clients.fatal;
    },
    close: () => clients.close(),
  };
}

/** Client actors on `cluster`'s network; `ownsCluster`: close() stops the cluster too. */
export function memoryTransport(
  cluster: MemoryCluster,
  protocol: AnyProtocol,
  config: ProtocolConfigBase,
  ownsCluster: boolean,
): Transport {
  const slots = new Set<MemoryClients>();
  return {
    newSlot: async () => {
      if (cluster.isStopped) return null;
      const clients = new MemoryClients(cluster.network, protocol, config, true);
      slots.add(clients);
      return {
        invoke: async (op, timeoutMs) => {
          const outcome = await clients.invoke(op, timeoutMs);
          return outcome.kind === "stopped" ? { kind: "closed" } : outcome;
        },
        usable: true, // MemoryClients replaces its actor after a timeout on its own
        get address() {
          return clients.address;
        },
        stop: async () => {
          clients.stop();
          slots.delete(clients);
        },
      };
    },
    getView: async (timeoutMs) => {
      const outcome = await cluster.getView(timeoutMs);
      return outcome.kind === "ok" ? outcome.view : null;
    },
    fatal: null,
    close: async () => {
      for (const clients of slots) clients.stop();
      slots.clear();
      if (ownsCluster) cluster.stop();
    },
  };
}
