// `npm run reconfigure`'s arithmetic (src/cli/reconfigureTarget.ts): the
// next group from the one that runs, the slots that answer and the request;
// every bad request is refused with a reason before anything is started.
import { describe, expect, it } from "vitest";
import { reconfigureTarget } from "../../src/cli/reconfigureTarget.js";

const three = ["server-1", "server-2", "server-3"];

describe("reconfigureTarget", () => {
  it("adds the lowest free slots: not members, not running", () => {
    const running = [...three, "server-4"]; // server-4 runs (a spare, or a removed replica not yet retired)
    expect(reconfigureTarget({ members: three, running, add: 2, remove: [] })).toEqual({
      ok: true,
      members: ["server-1", "server-2", "server-3", "server-5", "server-6"],
      added: ["server-5", "server-6"],
      removed: [],
    });
  });

  it("replaces and removes members, the group kept in slot order", () => {
    const members = ["server-2", "server-3", "server-4", "server-9"];
    expect(
      reconfigureTarget({ members, running: members, add: 1, remove: ["server-9", "server-2"] }),
    ).toMatchObject({
      ok: true,
      members: ["server-1", "server-3", "server-4"],
      removed: ["server-2", "server-9"],
    });
  });

  it.each([
    [{ add: 0, remove: [] }, /nothing asked/],
    [{ add: 0, remove: ["server-3"] }, /would have 2 replica\(s\); at least 3/],
    [{ add: 0, remove: ["server-12"] }, /server-12: not a replica/],
    [{ add: 0, remove: ["nobody"] }, /nobody: not a replica/],
    [{ add: 0, remove: ["server-5"] }, /server-5: not a member of the group/],
    [{ add: 0, remove: ["server-1", "server-1"] }, /named twice/],
    [{ add: 7, remove: [] }, /7 new replica\(s\) asked for, 6 slot\(s\) free/],
  ])("refuses %o", (request, reason) => {
    const target = reconfigureTarget({ members: three, running: three, ...request });
    expect(target.ok).toBe(false);
    expect(target.ok ? "" : target.reason).toMatch(reason);
  });
});
