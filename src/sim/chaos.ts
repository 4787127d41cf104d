import { InvariantError } from "../actors/assert.js";
import { checkHistory, formatCheckResult } from "../check/index.js";
import type { SimFaultModel } from "../protocols/simSupport.js";
import type { AnyProtocol, ProtocolConfigBase } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import type { Address } from "../schemas/address.js";
import { Random } from "./random.js";
import { Simulator } from "./simulator.js";
import { startWorkload } from "./workload.js";
import { serverCount } from "../protocols/configOptions.js";

// The chaos scenario: a cluster under random loss, duplication, delay,
// partitions, crashes and restarts, healed at the end. It passes when every
// client history is linearizable, no invariant broke, and every client
// finishes once the network is healed.

export interface ChaosOptions {
  seed: number;
  clients?: number;
  /** Servers at the start: the count the configuration fixes when it fixes one (a differing one is refused), else this, else 3. */
  servers?: number;
  /** Servers that may join during the run (server-4, …). */
  joinsMax?: number;
  keys?: number;
  /** Virtual milliseconds of faults, then healing. */
  chaosMs?: number;
  /** Virtual milliseconds allowed, after healing, for every client to finish. */
  settleMs?: number;
  /** Default: the registry's default protocol (pb). */
  protocol?: AnyProtocol;
  /** Made by `protocol.config.make` (default: its defaults). */
  config?: ProtocolConfigBase;
  /** Keep this many trace lines for the report (0: none). */
  traceLinesMax?: number;
  /** Called with the simulator once the run ends (tests read final states and message counts). */
  inspect?: (sim: Simulator) => void;
}

export type FaultKind = "net" | "partition" | "cut" | "heal" | "crash" | "restart" | "join";

export interface ChaosResult {
  seed: number;
  ok: boolean;
  /** Why the run failed: an invariant, a non-linearizable history, or clients that never finished. */
  violation: string | null;
  /**
   * Clients left unfinished for the one reason the protocol accepts (pb: the
   * view's primary lost before it acknowledged its view), as its SimObserver
   * saw the run. Not a violation; never set together with an unfinished-
   * clients violation.
   */
  stuckByDesign: string | null;
  ops: number;
  simulatedMs: number;
  faults: Record<FaultKind, number>;
  unfinishedClients: number;
  /** Longest a client operation waited, in virtual ms. */
  waitMaxMs: number;
  events: number;
  trace: string[];
}

export function runChaos(options: ChaosOptions): ChaosResult {
  const seed = options.seed;
  const clientCount = options.clients ?? 5;
  const chaosMs = options.chaosMs ?? 10_000;
  const settleMs = options.settleMs ?? 10_000;
  const protocol = options.protocol ?? protocolNamed(defaultProtocolName);
  const sim = new Simulator({
    seed,
    protocol,
    config: options.config,
    traceLinesMax: options.traceLinesMax ?? 0,
    keepCompleted: false,
  });
  const random = sim.random.fork();
  const faults: Record<FaultKind, number> = {
    net: 0,
    partition: 0,
    cut: 0,
    heal: 0,
    crash: 0,
    restart: 0,
    join: 0,
  };
  // The nodes the nemesis may crash (pb: the servers), and the others (pb: the view server).
  const servers: Address[] = [];
  const others: Address[] = [];
  const clients: Address[] = [];
  let violation: string | null = null;
  let stuckByDesign: string | null = null;
  let unfinishedClients = 0;

  try {
    const serversAtStart = serverCount(
      protocol,
      options.config ?? protocol.config.defaults,
      options.servers,
      3,
    );
    for (const node of protocol.layout(serversAtStart, sim.config)) addNode(node.address, node.role);
    for (let i = 1; i <= clientCount; i++) {
      clients.push(`client-${i}`);
      sim.addClient(`client-${i}`);
    }
    const keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i}`);
    startWorkload(sim, random.fork(), { clients, keys, untilMs: chaosMs, thinkMsMax: 2 });
    const nemesis = new Nemesis(
      sim,
      random.fork(),
      { servers, others, clients },
      faults,
      protocol.sim.joins ? (options.joinsMax ?? 2) : 0,
      join,
    );
    nemesis.start(chaosMs);
    sim.runFor(chaosMs);

    nemesis.healAll();
    const finished = sim.runUntil(() => clients.every((client) => !sim.isBusy(client)), settleMs);
    unfinishedClients = clients.filter((client) => sim.isBusy(client)).length;
    if (!finished) {
      stuckByDesign = sim.stuckByDesign();
      if (stuckByDesign === null)
        violation = `${unfinishedClients} client(s) did not finish within ${settleMs} ms after healing`;
    }
  } catch (error) {
    if (!(error instanceof InvariantError)) throw error;
    violation = `invariant: ${error.message}`;
  }

  if (violation === null) {
    const verdict = checkHistory(sim.history.events(), { budgetMs: 20_000 });
    if (verdict.result !== "ok") violation = `history ${formatCheckResult(verdict)}`;
  }
  options.inspect?.(sim);
  const waitMaxMs = Math.max(sim.outstandingWaitMaxMs(), sim.stats.opWaitMaxMs);
  return {
    seed,
    ok: violation === null,
    violation,
    stuckByDesign,
    ops: sim.stats.opsCompleted,
    simulatedMs: sim.nowMs,
    faults,
    unfinishedClients,
    waitMaxMs,
    events: sim.stats.events,
    trace: violation === null ? [] : sim.trace(),
  };

  function addNode(address: Address, role: string): void {
    const crashable = protocol.roles.find((spec) => spec.name === role)?.crashable ?? false;
    (crashable ? servers : others).push(address);
    sim.addNode(address, role);
  }

  /** Starts the node a cluster one server larger has (pb: server-N+1). */
  function join(): void {
    const present = new Set(sim.addresses());
    for (const node of protocol.layout(servers.length + 1))
      if (!present.has(node.address)) addNode(node.address, node.role);
  }
}

interface ChaosNodes {
  /** Up or down at the nemesis's will (roles with `crashable`). */
  readonly servers: Address[];
  /** Never crashed (pb: the view server); partitions take them too. */
  readonly others: Address[];
  readonly clients: Address[];
}

/**
 * Picks faults at random intervals. Crashes respect the protocol's fault
 * model (SimFaultModel; pb: at most one of primary and backup lost per view,
 * and only once its view is acknowledged). Partitions wait while the model
 * says the cluster recovers from a crash, and loss is capped then so the
 * survivor's messages are not all lost at once (pb: at 30% loss, 4 pings
 * vanish together about once a second).
 */
const recoveryDropMax = 0.05;

class Nemesis {
  private readonly model: SimFaultModel;
  private readonly servers: Address[];
  private partitioned = false;
  private joins = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly random: Random,
    private readonly nodes: ChaosNodes,
    private readonly faults: Record<FaultKind, number>,
    private readonly joinsMax: number,
    private readonly addJoiner: () => void,
  ) {
    this.servers = nodes.servers;
    this.model = sim.protocol.sim.faults(sim, sim.config);
  }

  start(untilMs: number): void {
    const tick = (): void => {
      if (this.sim.nowMs >= untilMs) return;
      this.act();
      this.sim.schedule(this.random.between(50, 600), tick);
    };
    this.sim.schedule(this.random.between(100, 400), tick);
  }

  healAll(): void {
    this.sim.network.reset();
    for (const server of this.servers) this.sim.restart(server);
  }

  private act(): void {
    const roll = this.random.next();
    if (roll < 0.2) this.setNet();
    else if (roll < 0.3) this.partition();
    else if (roll < 0.37) this.cut();
    else if (roll < 0.55) this.heal();
    else if (roll < 0.75) this.crash();
    else if (roll < 0.95) this.restart();
    else this.join();
  }

  private setNet(): void {
    const calm = this.random.chance(0.3);
    const dropMax = this.recovering() ? recoveryDropMax : 0.3;
    this.sim.network.link = {
      drop: calm ? 0 : this.random.between(0, dropMax),
      duplicate: calm ? 0 : this.random.between(0, 0.1),
      delayMs: [0.2, this.random.between(1, calm ? 5 : 40)],
    };
    this.faults.net += 1;
  }

  private recovering(): boolean {
    return this.model.recovering();
  }

  private partition(): void {
    if (this.recovering()) return;
    this.partitioned = true;
    const clients = this.random.chance(0.5) ? this.nodes.clients : [];
    const nodes = [...this.nodes.others, ...this.servers, ...clients];
    const groups: Address[][] = [[], []];
    for (const node of nodes) {
      const side = this.random.int(3); // 2: in no group, reaches everyone
      if (side < 2) groups[side]!.push(node);
    }
    this.sim.network.partition(groups);
    this.faults.partition += 1;
  }

  private cut(): void {
    if (this.recovering()) return;
    this.partitioned = true;
    const [from, to] = this.model.cut(() => this.random.pick(this.servers));
    this.sim.network.cut(from, to);
    this.faults.cut += 1;
  }

  private heal(): void {
    this.sim.network.heal();
    this.partitioned = false;
    this.faults.heal += 1;
  }

  private crash(): void {
    const up = this.servers.filter((server) => this.sim.isUp(server));
    if (up.length === 0) return;
    const victim = this.random.pick(up);
    const verdict = this.model.crash(victim, this.partitioned);
    if (verdict === "refuse") return;
    if (verdict === "recovery") {
      const link = this.sim.network.link;
      link.drop = Math.min(link.drop, recoveryDropMax);
    }
    this.sim.crash(victim);
    this.faults.crash += 1;
  }

  private restart(): void {
    const down = this.servers.filter((server) => !this.sim.isUp(server));
    if (down.length === 0) return;
    this.sim.restart(this.random.pick(down));
    this.faults.restart += 1;
  }

  private join(): void {
    if (this.joins >= this.joinsMax) return;
    this.joins += 1;
    this.addJoiner();
    this.faults.join += 1;
  }
}
