import { readFileSync } from "node:fs";
import type { AnyProtocol } from "../protocols/protocol.js";
import { defaultProtocolName, protocolNamed } from "../protocols/registry.js";
import { parseJsonWith } from "../schemas/parse.js";
import { isStuck, recoverPhaseOf } from "../search/counterexample.js";
import { World } from "../search/engine.js";
import type { Violation } from "../search/invariants.js";
import { findScenario, worldSpecOf } from "../search/search.js";
import { replayEvents, type SavedTrace, savedTraceOf } from "../search/trace.js";

// Replays a counterexample saved by the model checker (`npm run search --
// --save FILE`) against fresh actors: the scenario's nodes with the saved
// mutations, each event applied in order (deliver this message, fire that
// node's next timer, invoke, crash, restart), every invariant checked after
// each event. A trace that still breaks the same invariant reproduces the
// bug; one that runs clean, or stops applying because the protocol now sends
// different messages, shows the code changed.

export class TraceFileError extends Error {
  override name = "TraceFileError";
}

export interface ReplayResult {
  scenario: string;
  mutations: string[];
  /** What the saved trace says it shows. */
  expected: Violation;
  /** What the replay shows (null: no violation). */
  violation: Violation | null;
  /** The replay broke the same invariant as the saved trace. */
  reproduced: boolean;
  /** Why an event could not happen any more (the protocol changed), else null. */
  diverged: string | null;
  /** Events applied, of `events`. */
  applied: number;
  events: number;
  /** Step by step: each event and the state of the node it moved. */
  lines: string[];
}

const defaultProtocol = (): AnyProtocol => protocolNamed(defaultProtocolName);

/** A saved trace of `protocol` (its messages, timers, mutants and invariants only). */
export function parseTrace(text: string, protocol: AnyProtocol = defaultProtocol()): SavedTrace {
  const parsed = parseJsonWith(savedTraceOf(protocol), text);
  if (!parsed.ok) throw new TraceFileError(`not a saved search trace: ${parsed.error}`);
  return parsed.value as SavedTrace;
}

export function readTraceFile(path: string, protocol: AnyProtocol = defaultProtocol()): SavedTrace {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new TraceFileError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseTrace(text, protocol);
}

export function replayTrace(saved: SavedTrace, protocol: AnyProtocol = defaultProtocol()): ReplayResult {
  const scenario = findScenario(protocol, saved.scenario);
  if (scenario === undefined) throw new TraceFileError(`unknown scenario ${saved.scenario}`);
  const world = new World(worldSpecOf(scenario, saved.mutations, protocol));
  const result: ReplayResult = {
    scenario: saved.scenario,
    mutations: [...saved.mutations],
    expected: saved.violation,
    violation: null,
    reproduced: false,
    diverged: null,
    applied: 0,
    events: saved.events.length,
    lines: [],
  };
  const replayed = replayEvents(world, saved.events);
  result.lines = replayed.lines;
  result.applied = replayed.applied;
  result.violation = replayed.violation;
  result.diverged = replayed.diverged;
  if (replayed.violation === null && replayed.diverged === null && saved.violation.invariant === "liveness") {
    const phase = recoverPhaseOf(scenario, saved.phase);
    if (isStuck(world, phase, replayed.state)) {
      result.violation = {
        invariant: "liveness",
        message: `from the end of the trace no sequence of events reaches "${phase.goal?.name}" (phase ${phase.name})`,
      };
      result.lines.push(`STUCK (liveness): ${result.violation.message}`);
    }
  }
  result.reproduced = result.violation?.invariant === saved.violation.invariant;
  return result;
}
