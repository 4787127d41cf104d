// Child process of the dashboard's LoadWatcher: `verdict.ts FILE BUDGET_MS`
// prints one JSON line, the history's figures and the linearizability
// verdict (a LoadRun without file and time). Apart from the dashboard so a
// long check never stalls it.
import { checkHistory, formatCheckResult, readHistoryFile } from "../check/index.js";
import { summarizeHistory, verdictBudgetMsDefault, verdictTextMax } from "./loads.js";
import type { LoadRun } from "./protocol.js";

function main(file: string | undefined, budgetText: string | undefined): Partial<LoadRun> {
  if (file === undefined) return { status: "error", text: "usage: verdict.ts FILE [BUDGET_MS]" };
  const budgetMs = budgetText === undefined ? verdictBudgetMsDefault : Number(budgetText);
  let parsed;
  try {
    parsed = readHistoryFile(file);
  } catch (error) {
    return { status: "error", text: (error as Error).message.slice(0, verdictTextMax) };
  }
  const figures = summarizeHistory(parsed.events);
  const result = checkHistory(parsed.events, { lines: parsed.lines, budgetMs });
  return {
    status: "done",
    ...figures,
    result: result.result,
    text: formatCheckResult(result).slice(0, verdictTextMax),
  };
}

process.stdout.write(`${JSON.stringify(main(process.argv[2], process.argv[3]))}\n`);
