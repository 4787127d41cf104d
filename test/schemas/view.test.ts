// A View may list every member and the answering node's status (VR's 2f+1
// replicas); pb's views have neither, and every text shows them only when
// present, so pb's lines are what they always were.
import { describe, expect, it } from "vitest";
import { describeView, membersOf, sameView, View, viewFields } from "../../src/schemas/view.js";

const pbView: View = { viewNum: 3, primary: "server-1", backup: "server-2" };
const vrView: View = {
  viewNum: 4,
  primary: "server-2",
  backup: null,
  replicas: ["server-1", "server-2", "server-3"],
  status: "normal",
};

describe("View", () => {
  it("parses with or without replicas and status", () => {
    expect(View.parse(pbView)).toEqual(pbView);
    expect(View.parse(vrView)).toEqual(vrView);
    expect(View.safeParse({ ...pbView, replicas: ["not an address!"] }).success).toBe(false);
    expect(View.safeParse({ ...pbView, status: "" }).success).toBe(false);
  });

  it("describes pb's view as always, and a view with replicas and status with them", () => {
    expect(describeView(pbView)).toBe("view 3 (server-1, server-2)");
    expect(describeView({ viewNum: 0, primary: null, backup: null })).toBe("view 0 (-, -)");
    expect(describeView(vrView)).toBe(
      "view 4 (primary server-2; replicas server-1 server-2 server-3; normal)",
    );
  });

  it("gives every field the view has, in a fixed order (kv view's JSON)", () => {
    expect(JSON.stringify(viewFields(pbView))).toBe('{"viewNum":3,"primary":"server-1","backup":"server-2"}');
    expect(JSON.stringify(viewFields({ ...vrView, status: undefined }))).toBe(
      '{"viewNum":4,"primary":"server-2","backup":null,"replicas":["server-1","server-2","server-3"]}',
    );
    expect(Object.keys(viewFields(vrView))).toEqual(["viewNum", "primary", "backup", "replicas", "status"]);
  });

  it("names the members: the replicas when listed, else primary and backup", () => {
    expect(membersOf(pbView)).toEqual(["server-1", "server-2"]);
    expect(membersOf({ viewNum: 1, primary: "server-1", backup: null })).toEqual(["server-1"]);
    expect(membersOf(vrView)).toEqual(["server-1", "server-2", "server-3"]);
  });

  it("tells views apart by number, members and status", () => {
    expect(sameView(vrView, { ...vrView })).toBe(true);
    expect(sameView(vrView, { ...vrView, status: "view-change" })).toBe(false);
    expect(sameView(pbView, { ...pbView, backup: "server-3" })).toBe(false);
  });
});
