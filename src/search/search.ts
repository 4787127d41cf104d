import type { AnyProtocol } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import { Random } from "../sim/random.js";
import { World } from "./engine.js";
import { fmix } from "./hash.js";
import type { Violation } from "./invariants.js";
import type { Phase, PhaseKind, Scenario, WorldSpec } from "./scenario.js";
import type { SearchState } from "./state.js";

// Breadth-first search with invariants, goals and prunes (DSLabs'
// BFSSearch), random depth-first probes for states too deep for it, and the
// runner that takes a scenario through its phases.

export interface PhaseReport {
  phase: string;
  kind: PhaseKind;
  /** goal: found; exhausted: every reachable state seen; bounded: a limit stopped it; violation. */
  outcome: "goal" | "exhausted" | "bounded" | "violation";
  /** States explored: distinct states found by the BFS plus steps taken by random probes. */
  states: number;
  bfsStates: number;
  /** States pulled off the BFS frontier and expanded. */
  expanded: number;
  probes: number;
  probeSteps: number;
  seconds: number;
  /** Of which the BFS (distinct states per BFS second is the checker's speed). */
  bfsSeconds: number;
  /** Deepest state seen, counted from the scenario's initial state. */
  depthReached: number;
}

export interface FoundViolation extends Violation {
  phase: string;
  /** The state the violating event led to (its trace leads there from the initial state). */
  state: SearchState;
}

export interface SearchOutcome {
  scenario: string;
  mutations: string[];
  /** No violation, and every reach and recover phase found its goal. */
  ok: boolean;
  violation: FoundViolation | null;
  /** A reach or recover phase whose goal was not found within its bounds (no trace: nothing broke). */
  goalMissing: string | null;
  phases: PhaseReport[];
  states: number;
  seconds: number;
  statesPerSecond: number;
  /** Distinct states per second of BFS alone (probes revisit cached transitions and run faster). */
  bfsStatesPerSecond: number;
  depthReached: number;
  world: World;
}

export interface RunOptions {
  /** Default: the registry's default protocol (pb). */
  protocol?: AnyProtocol;
  mutations?: readonly string[];
  /** Replaces the time bound of explore phases (half BFS, half probes) and lifts their state bounds. */
  seconds?: number;
  /** Seed of the random probes. */
  seed?: number;
  /**
   * Multiplies every time bound, state bounds unchanged: a run that must find
   * a bug (a mutant) gets room on a loaded machine, and still stops at the bug.
   */
  timeScale?: number;
  /**
   * Multiplies the time bounds of reach and recover phases only (after
   * timeScale): their states bound is meant to decide whether the goal is
   * reachable, so a test on a loaded machine gives their clock room.
   */
  goalTimeScale?: number;
}

/** Beyond this the BFS stops even without a bound: its frontier would not fit in memory. */
const statesHardMax = 3_000_000;
const clockEvery = 512;

/** The scenario of `protocol` named `name`, if it has one. */
export function findScenario(protocol: AnyProtocol, name: string): Scenario | undefined {
  return protocol.search.scenarios.find((scenario) => scenario.name === name);
}

export function worldSpecOf(
  scenario: Scenario,
  mutations: readonly string[],
  protocol: AnyProtocol = protocolNamed(defaultProtocolName),
): WorldSpec {
  return {
    protocol,
    servers: scenario.world.servers,
    clients: scenario.world.clients,
    results: scenario.world.results,
    restartPurgesMessages: scenario.world.restartPurgesMessages,
    invariantsOff: scenario.world.invariantsOff,
    config: protocol.config.make({ ...scenario.world.config, mutations: [...mutations] }),
  };
}

/** Run every phase of `scenario` in order; stop at the first violation or missing goal. */
export function runScenario(scenario: Scenario, options: RunOptions = {}): SearchOutcome {
  const mutations = [...(options.mutations ?? [])];
  const world = new World(worldSpecOf(scenario, mutations, options.protocol));
  const startedMs = performance.now();
  const outcome: SearchOutcome = {
    scenario: scenario.name,
    mutations,
    ok: false,
    violation: null,
    goalMissing: null,
    phases: [],
    states: 0,
    seconds: 0,
    statesPerSecond: 0,
    bfsStatesPerSecond: 0,
    depthReached: 0,
    world,
  };
  const initial = world.initialState().state;
  const goals = new Map<string, SearchState>([["initial", initial]]);
  let start = initial;
  for (const declared of scenario.phases) {
    const phase = withOverrides(declared, options);
    const from = phase.startFrom === undefined ? start : goals.get(phase.startFrom);
    if (from === undefined)
      throw new Error(`phase ${phase.name} starts from unknown phase ${phase.startFrom}`);
    const result = runPhase(world, from, phase, options.seed ?? 1);
    outcome.phases.push(result.report);
    outcome.states += result.report.states;
    outcome.depthReached = Math.max(outcome.depthReached, result.report.depthReached);
    if (result.violation !== null) {
      outcome.violation = result.violation;
      break;
    }
    if (result.goalMissing !== null) {
      outcome.goalMissing = result.goalMissing;
      break;
    }
    if (result.next !== null) {
      start = result.next;
      goals.set(phase.name, result.next);
    }
  }
  outcome.ok = outcome.violation === null && outcome.goalMissing === null;
  outcome.seconds = (performance.now() - startedMs) / 1000;
  outcome.statesPerSecond = outcome.states / Math.max(outcome.seconds, 1e-9);
  let bfsStates = 0;
  let bfsSeconds = 0;
  for (const phase of outcome.phases) {
    bfsStates += phase.bfsStates;
    bfsSeconds += phase.bfsSeconds;
  }
  outcome.bfsStatesPerSecond = bfsStates / Math.max(bfsSeconds, 1e-9);
  return outcome;
}

function withOverrides(declared: Phase, options: RunOptions): Phase {
  const scale = options.timeScale ?? 1;
  const goalScale = declared.kind === "explore" ? 1 : (options.goalTimeScale ?? 1);
  const phase: Phase = {
    ...declared,
    secondsMax: declared.secondsMax * scale * goalScale,
    probes:
      declared.probes === undefined
        ? undefined
        : { ...declared.probes, secondsMax: declared.probes.secondsMax * scale },
  };
  if (options.seconds === undefined || phase.kind !== "explore") return phase;
  const half = options.seconds / 2;
  return {
    ...phase,
    statesMax: statesHardMax,
    secondsMax: phase.probes === undefined ? options.seconds : half,
    probes: phase.probes === undefined ? undefined : { ...phase.probes, secondsMax: half },
  };
}

export interface PhaseResult {
  report: PhaseReport;
  violation: FoundViolation | null;
  goalMissing: string | null;
  /** The state the next phase starts from (a reach phase's goal). */
  next: SearchState | null;
}

export function runPhase(world: World, start: SearchState, declared: Phase, seed: number): PhaseResult {
  const startedMs = performance.now();
  const phase = withRolesResolved(world, start, declared);
  const bfsResult = bfs(world, start, phase);
  const report: PhaseReport = {
    phase: phase.name,
    kind: phase.kind,
    outcome: bfsResult.outcome,
    states: bfsResult.states,
    bfsStates: bfsResult.states,
    expanded: bfsResult.expanded,
    probes: 0,
    probeSteps: 0,
    seconds: 0,
    bfsSeconds: (performance.now() - startedMs) / 1000,
    depthReached: bfsResult.depthReached,
  };
  const finish = (result: Omit<PhaseResult, "report">): PhaseResult => {
    report.seconds = (performance.now() - startedMs) / 1000;
    return { report, ...result };
  };
  if (bfsResult.violation !== null) {
    return finish({
      violation: { ...bfsResult.violation, phase: phase.name },
      goalMissing: null,
      next: null,
    });
  }
  switch (phase.kind) {
    case "reach":
      if (bfsResult.goal !== null)
        return finish({ violation: null, goalMissing: null, next: bfsResult.goal });
      return finish({ violation: null, goalMissing: goalMissingText(phase, bfsResult.outcome), next: null });
    case "recover":
      if (bfsResult.goal !== null)
        return finish({ violation: null, goalMissing: null, next: bfsResult.goal });
      if (bfsResult.outcome === "exhausted") {
        const message = `after the faults stopped, with synchronous timing, no sequence of events reaches "${phase.goal?.name}" (${bfsResult.states} states explored)`;
        return finish({
          violation: { invariant: "liveness", message, phase: phase.name, state: start },
          goalMissing: null,
          next: null,
        });
      }
      return finish({ violation: null, goalMissing: goalMissingText(phase, bfsResult.outcome), next: null });
    case "explore": {
      // Probes after an exhaustive BFS would only revisit states it checked.
      if (phase.probes !== undefined && bfsResult.outcome !== "exhausted") {
        const probeResult = probe(world, start, phase, seed);
        report.states += probeResult.steps;
        report.probeSteps = probeResult.steps;
        report.probes = probeResult.probes;
        report.depthReached = Math.max(report.depthReached, probeResult.depthReached);
        if (probeResult.violation !== null) {
          report.outcome = "violation";
          return finish({
            violation: { ...probeResult.violation, phase: phase.name },
            goalMissing: null,
            next: null,
          });
        }
      }
      return finish({ violation: null, goalMissing: null, next: null });
    }
  }
}

/** The phase with its stand-ins (pb: "@start-primary") replaced by the nodes of its start state (SearchSupport.standIn). */
function withRolesResolved(world: World, start: SearchState, phase: Phase): Phase {
  const resolve = (node: string): string => world.resolveStandIn(start, node);
  const { crashable, cut } = phase.events;
  const events = {
    ...phase.events,
    crashable: crashable.map(resolve),
    ...(cut === undefined ? {} : { cut: cut.map(([a, b]) => [resolve(a), resolve(b)] as const) }),
  };
  return { ...phase, events };
}

function goalMissingText(phase: Phase, outcome: PhaseReport["outcome"]): string {
  const why = outcome === "exhausted" ? "every reachable state was explored" : "the search bounds ran out";
  return `phase ${phase.name}: goal "${phase.goal?.name ?? "(none)"}" not reached (${why})`;
}

// ------------------------------------------------------------ breadth-first search

interface BfsResult {
  outcome: PhaseReport["outcome"];
  violation: (Violation & { state: SearchState }) | null;
  goal: SearchState | null;
  states: number;
  expanded: number;
  depthReached: number;
}

/** Node's Set holds at most 2^24 entries; shards lift that. */
class VisitedSet {
  private readonly shards = Array.from({ length: 8 }, () => new Set<number>());
  size = 0;

  /** Adds `key`; false when it was there already. */
  add(key: number): boolean {
    const shard = this.shards[key & 7]!;
    if (shard.has(key)) return false;
    shard.add(key);
    this.size += 1;
    return true;
  }
}

export function bfs(world: World, start: SearchState, phase: Phase): BfsResult {
  const deadlineMs = performance.now() + phase.secondsMax * 1000;
  const statesMax = Math.min(phase.statesMax, statesHardMax);
  const goal = phase.kind === "explore" ? undefined : phase.goal;
  const result: BfsResult = {
    outcome: "exhausted",
    violation: null,
    goal: null,
    states: 1,
    expanded: 0,
    depthReached: start.depth,
  };
  if (goal?.test(world, start, start)) {
    result.outcome = "goal";
    result.goal = start;
    return result;
  }
  const visited = new VisitedSet();
  visited.add(start.key);
  const codes: number[] = [];
  let frontier: SearchState[] = [start];
  for (let level = 0; frontier.length > 0; level++) {
    if (level >= phase.depthMax) {
      result.outcome = "bounded";
      return result;
    }
    const next: SearchState[] = [];
    for (let i = 0; i < frontier.length; i++) {
      const state = frontier[i]!;
      result.expanded += 1;
      if (result.expanded % clockEvery === 0 && performance.now() > deadlineMs) {
        result.outcome = "bounded";
        return result;
      }
      world.enabled(state, phase.events, codes);
      for (const code of codes) {
        const step = world.step(state, code);
        if (step.violation !== null) {
          result.outcome = "violation";
          result.violation = { ...step.violation, state: step.state };
          return result;
        }
        const child = step.state;
        if (child === state || !visited.add(child.key)) continue;
        result.states += 1;
        if (child.depth > result.depthReached) result.depthReached = child.depth;
        if (goal?.test(world, child, start)) {
          result.outcome = "goal";
          result.goal = child;
          return result;
        }
        if (phase.prunes.some((prune) => prune.test(world, child, start))) continue;
        next.push(child);
      }
      if (result.states >= statesMax) {
        result.outcome = "bounded";
        return result;
      }
    }
    frontier = next;
  }
  return result;
}

// ------------------------------------------------------------ random probes

interface ProbeResult {
  violation: (Violation & { state: SearchState }) | null;
  probes: number;
  steps: number;
  depthReached: number;
}

/**
 * Random walks from `start`, each up to the probe depth: at every step an
 * enabled event chosen at random among those that change the state (a
 * delivery the node ignores is skipped, not counted). They reach depths the
 * BFS cannot, without any completeness claim.
 *
 * The choice depends only on the seed and on what the events are, not on
 * message ids (which follow the order the BFS happened to intern messages in,
 * and so on how far it got before its time bound): each step draws a salt and
 * takes the event whose content hash mixed with the salt is smallest. So a
 * seed finds the same walks however loaded the machine is.
 */
export function probe(world: World, start: SearchState, phase: Phase, seed: number): ProbeResult {
  const settings = phase.probes ?? { depthMax: 0, secondsMax: 0 };
  const deadlineMs = performance.now() + settings.secondsMax * 1000;
  const random = new Random(seed);
  const codes: number[] = [];
  const scores: number[] = [];
  const result: ProbeResult = { violation: null, probes: 0, steps: 0, depthReached: start.depth };
  while (performance.now() < deadlineMs) {
    result.probes += 1;
    let state = start;
    for (let depth = 0; depth < settings.depthMax; depth++) {
      world.enabled(state, phase.events, codes);
      const salt = random.int(0x1_0000_0000) | 0;
      scores.length = codes.length;
      for (let i = 0; i < codes.length; i++) scores[i] = fmix(world.eventHash(codes[i]!) ^ salt) >>> 0;
      let candidates = codes.length;
      let child: SearchState | null = null;
      while (candidates > 0) {
        let pick = 0;
        for (let i = 1; i < candidates; i++) if (scores[i]! < scores[pick]!) pick = i;
        const step = world.step(state, codes[pick]!);
        if (step.violation !== null) {
          result.violation = { ...step.violation, state: step.state };
          return result;
        }
        if (step.state !== state && step.state.key !== state.key) {
          child = step.state;
          break;
        }
        candidates -= 1;
        codes[pick] = codes[candidates]!;
        scores[pick] = scores[candidates]!;
      }
      if (child === null) break;
      state = child;
      result.steps += 1;
      if (state.depth > result.depthReached) result.depthReached = state.depth;
      if (phase.prunes.some((prune) => prune.test(world, state, start))) break;
    }
  }
  return result;
}
