// The labelled histories of ../shared/histories (DESIGN §7): `*-ok` must be
// judged linearizable and `*-bad` not. Tests read the copies kept in the repository.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkHistory, readHistoryFile } from "../../src/check/index.js";
import { historiesDirectory, sharedHistoriesDirectory } from "./helpers.js";

const files = readdirSync(historiesDirectory).filter((name) => name.endsWith(".jsonl"));

describe("labelled histories", () => {
  it("are all here", () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)("%s gets the verdict in its name", (name) => {
    const parsed = readHistoryFile(path.join(historiesDirectory, name));
    const result = checkHistory(parsed.events, { lines: parsed.lines });
    expect(result.result).toBe(name.endsWith("-ok.jsonl") ? "ok" : "violation");
  });

  if (!existsSync(sharedHistoriesDirectory)) {
    console.warn(
      `copies of ../shared/histories not compared: ${sharedHistoriesDirectory} is absent (a clone outside the workspace); to enable, put the shared folder beside the project`,
    );
  }
  it.runIf(existsSync(sharedHistoriesDirectory))("copies match ../shared/histories", () => {
    const shared = readdirSync(sharedHistoriesDirectory).filter((name) => name.endsWith(".jsonl"));
    expect(files.sort()).toEqual(expect.arrayContaining(shared.sort()));
    for (const name of shared) {
      const original = readFileSync(path.join(sharedHistoriesDirectory, name), "utf8");
      expect(readFileSync(path.join(historiesDirectory, name), "utf8"), name).toBe(original);
    }
  });
});
