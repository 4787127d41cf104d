// Chain replication: the simulator seeds that found each bug of the core while
// it was written (docs/CHAIN.md). Each failed before its fix, as written:
// - 20: the head answered a retried update as if it served it (two servers
//   answered in one view);
// - 68: a tail linked in behind updates the old tail answered, then read
//   without them (stale read; the handover now waits for the joiner);
// - 66: a process restarted under a member's name confirmed a read
//   (stale read) and, before that, a tail waiting on a dead predecessor
//   stalled the master (no progress);
// - 121: a tail handing over answered a retried update the joiner lacked;
// - 5930: a joining server kept an earlier snapshot across a view it did
//   not see, and was linked in without the positions between (stale read);
// - 75, 20363, 20533, 20594: a tail handing over answered reads that saw
//   updates it had not answered, which the new tail then did not have yet
//   (a read saw a write a later read missed).
import { describe, expect, it } from "vitest";
import { protocolNamed } from "../../src/protocols/registry.js";
import { runChaos } from "../../src/sim/chaos.js";

const chain = protocolNamed("chain");

describe("chain replication: the simulator seeds that found its bugs", () => {
  for (const seed of [20, 66, 68, 75, 121, 5930, 20363, 20533, 20594]) {
    it(`seed ${seed} (a chain of three and a spare) is clean`, () => {
      const result = runChaos({ seed, protocol: chain, servers: 4, traceLinesMax: 40 });
      const failure = result.ok ? "" : `seed ${seed}: ${result.violation}\n${result.trace.join("\n")}`;
      expect(failure).toBe("");
    });
  }
});
