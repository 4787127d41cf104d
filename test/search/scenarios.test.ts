// The search tests (issue 5 §3), after DSLabs lab 2's PrimaryBackupTest
// search tests, run against the correct protocol. Each scenario has a
// liveness part (reach phases: the goal state is reachable — the client
// finishes, the view settles, forwards really do arrive out of order — and,
// in every scenario with faults (lost pings included), recover phases: after
// the faults stop, with synchronous timing, no interleaving keeps a client
// from finishing) and a
// safety part (explore phases: no invariant of DESIGN §1 breaks within the
// bounds: linearizable results, one primary answering per view, the backup
// never ahead of or different from its primary, view rules).
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds.
import { describeScenarios, faultFreeScenarioNames } from "../support/searchScenarios.js";

// The fault-free scenarios; faultScenarios.test.ts has those with crashes and restarts (two files run in parallel).
describeScenarios("search scenarios, correct protocol", faultFreeScenarioNames);
