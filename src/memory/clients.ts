// Operations from the console, each through the protocol's client actor on
// the in-memory network, so retries and failover behave as on the broker.
// One client serves op after op; a client whose op timed out is retired (its
// op may still happen) and the next op gets a fresh one, as `npm run load`
// does. `view` asks through a one-off probe actor, as `npm run kv -- view`.
import { nanoid } from "nanoid";
import { type ClientDefinition, silentLogger } from "../actors/context.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { createViewProbe, type ViewProbeState } from "../broker/viewProbe.js";
import { outcomeOf } from "../broker/clients.js";
import type { ActorEvent } from "../schemas/actorEvents.js";
import type { Op } from "../schemas/op.js";
import type { View } from "../schemas/view.js";
import { MemoryHost } from "./host.js";
import type { MemoryNetwork } from "./network.js";
import { TimerSet } from "./timers.js";

/**
 * ok: it happened; failed: refused, nothing changed; expired: unknown, the
 * servers had forgotten the session (it may have happened once); timeout:
 * unknown (it may still happen); stopped: the cluster stopped first.
 */
export type OpOutcome =
  | { kind: "ok"; value: string }
  | { kind: "failed"; error: "ValueTooLarge" }
  | { kind: "expired" }
  | { kind: "timeout" }
  | { kind: "stopped" };
export type ViewOutcome = { kind: "ok"; view: View } | { kind: "timeout" } | { kind: "stopped" };

/** The op in flight: a client actor answers its one outstanding op with exactly one `result` event. */
interface PendingOp {
  client: MemoryHost<unknown>;
  settle: (outcome: OpOutcome) => void;
}

export class MemoryClients {
  private readonly definition: ClientDefinition<unknown>;
  private client: MemoryHost<unknown> | null = null;
  private pendingOp: PendingOp | null = null;
  private readonly probes = new Map<MemoryHost<ViewProbeState>, (outcome: ViewOutcome) => void>();
  /** Op and view timeouts: cancelled by `stop`, counted by `pendingTimers`. */
  private readonly timeouts = new TimerSet();
  private stopped = false;

  constructor(
    private readonly network: MemoryNetwork,
    private readonly protocol: AnyProtocol,
    private readonly config: ProtocolConfigBase,
    private readonly checkInvariants: boolean,
  ) {
    this.definition = protocol.client(config);
  }

  /** One op at a time: the console runs its commands in order. */
  invoke(op: Op, timeoutMs: number): Promise<OpOutcome> {
    if (this.stopped) return Promise.resolve({ kind: "stopped" });
    if (this.pendingOp !== null) throw new Error("one operation at a time");
    return new Promise<OpOutcome>((resolve) => {
      const client = this.client ?? this.newClient();
      let cancelTimeout = (): void => {};
      const pending: PendingOp = {
        client,
        settle: (outcome) => {
          if (this.pendingOp !== pending) return;
          this.pendingOp = null;
          cancelTimeout();
          resolve(outcome);
        },
      };
      this.pendingOp = pending;
      cancelTimeout = this.timeouts.after(timeoutMs, () => {
        // Retired: a late answer to this op must not be taken for the next one's.
        client.stop();
        if (this.client === client) this.client = null;
        pending.settle({ kind: "timeout" });
      });
      const invoked = client.act((state, ctx) => this.definition.invoke(state, op, ctx));
      if (!invoked) pending.settle({ kind: "stopped" });
    });
  }

  getView(timeoutMs: number): Promise<ViewOutcome> {
    if (this.stopped) return Promise.resolve({ kind: "stopped" });
    return new Promise<ViewOutcome>((resolve) => {
      let cancelTimeout = (): void => {};
      const probe: MemoryHost<ViewProbeState> = new MemoryHost({
        address: `client-${nanoid(12)}`,
        definition: createViewProbe(this.protocol.broker.viewQuery, this.config),
        envelope: this.protocol.envelope,
        network: this.network,
        log: silentLogger,
        checkInvariants: this.checkInvariants,
        onClusterEvent: () => {},
        onActorEvent: (event) => {
          if (event.type === "viewChanged") settle({ kind: "ok", view: event.view });
        },
      });
      const settle = (outcome: ViewOutcome): void => {
        if (!this.probes.delete(probe)) return;
        cancelTimeout();
        probe.stop();
        resolve(outcome);
      };
      this.probes.set(probe, settle);
      cancelTimeout = this.timeouts.after(timeoutMs, () => settle({ kind: "timeout" }));
      probe.start();
    });
  }

  /** Stops every client actor and answers whoever still waits with `stopped`. */
  stop(): void {
    this.stopped = true;
    this.pendingOp?.settle({ kind: "stopped" });
    for (const settle of [...this.probes.values()]) settle({ kind: "stopped" });
    this.timeouts.clear({ close: true });
    this.client?.stop();
    this.client = null;
  }

  /** The current client actor's address; undefined before the first op and after a timeout retired it. */
  get address(): string | undefined {
    return this.client?.address;
  }

  get pendingTimers(): number {
    let pending = this.timeouts.pending + (this.client?.pendingTimers ?? 0);
    for (const probe of this.probes.keys()) pending += probe.pendingTimers;
    return pending;
  }

  private newClient(): MemoryHost<unknown> {
    const client: MemoryHost<unknown> = new MemoryHost({
      address: `client-${nanoid(12)}`,
      definition: this.definition,
      envelope: this.protocol.envelope,
      network: this.network,
      log: silentLogger,
      checkInvariants: this.checkInvariants,
      onClusterEvent: () => {},
      onActorEvent: (event) => this.onClientEvent(client, event),
    });
    client.start();
    this.client = client;
    return client;
  }

  private onClientEvent(client: MemoryHost<unknown>, event: ActorEvent): void {
    const pending = this.pendingOp;
    if (event.type !== "result" || pending === null || pending.client !== client) return;
    pending.settle(outcomeOf(event));
  }
}
