export { allServers, append, crashes, explore, get, put, reach } from "../../../search/phases.js";
import { reach } from "../../../search/phases.js";
import {
  allClientsDone,
  fullViewSettled,
  outstandingOperationsDone,
  viewNumRoseAbove,
} from "./predicates.js";
import { noFaults, type NamedPredicate, type Phase } from "../../../search/scenario.js";

// The building blocks of the search tests (scenarios.ts, directedScenarios.ts):
// operations, fault policies and the phase kinds with their usual bounds.

/** A reach phase as declared here: a goal is required, the state and time bounds default. */

/** The servers settle into a full, acknowledged view before any client starts an operation. */
export function settle(): Phase {
  return reach({
    name: "settle",
    goal: fullViewSettled,
    prunes: [],
    events: { ...noFaults, invokes: false },
    depthMax: 40,
  });
}

/** With no more faults, every client finishes its operations. */
export function liveness(prunes: NamedPredicate[], depthMax = 40): Phase {
  return reach({ name: "liveness", goal: allClientsDone, prunes, events: noFaults, depthMax });
}

/**
 * After the faults stop (no more crashes or restarts) and the network heals
 * (synchronous timing: the view server's check waits for the ping of every
 * live server, so it declares no running server dead), every client finishes
 * its operations, the outstanding one included. The BFS is exhaustive: if no
 * sequence of events from the start state gets there, that is a liveness
 * violation with a trace, not a missing goal. The prune bounds view churn to
 * what recovering can need; the state bound is generous because the goal
 * stops the search long before it.
 */
export function recover(name = "recover", prunes: NamedPredicate[] = [viewNumRoseAbove(3)]): Phase {
  return {
    name,
    kind: "recover",
    goal: allClientsDone,
    prunes,
    events: { ...noFaults, fairTimers: true },
    depthMax: 200,
    statesMax: 1_000_000,
    secondsMax: 40,
  };
}

/**
 * As recover, where finishing every operation is too deep for a BFS (two
 * clients with four operations each; a client's three operations started in
 * a churned view): no new operation starts, and every one outstanding when
 * the faults stopped is answered.
 */
export function recoverOutstanding(
  prunes: NamedPredicate[] = [viewNumRoseAbove(3)],
  statesMax = 1_000_000,
): Phase {
  return {
    name: "recover",
    kind: "recover",
    goal: outstandingOperationsDone,
    prunes,
    events: { ...noFaults, invokes: false, fairTimers: true },
    depthMax: 200,
    statesMax,
    secondsMax: 40 * (statesMax / 1_000_000),
  };
}
