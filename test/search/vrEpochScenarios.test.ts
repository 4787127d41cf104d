// VR's reconfiguration scenarios against the correct protocol
// (src/protocols/vr/search/epochScenarios.ts), checked as every search
// scenario is (test/support/searchScenarios.ts); a file of their own so that
// vitest runs them beside vrScenarios.test.ts.
//
// PBKV_SEARCH_SECONDS=S gives each explore phase S seconds without state bounds (default 1.5).
import { vrProtocol } from "../../src/protocols/vr/protocol.js";
import { describeScenarios, isEpochScenario } from "../support/searchScenarios.js";

describeScenarios(
  "VR reconfiguration search scenarios, correct protocol",
  vrProtocol.search.scenarios.map((scenario) => scenario.name).filter(isEpochScenario),
  { protocol: vrProtocol, scenarios: vrProtocol.search.scenarios, seconds: 1.5 },
);
