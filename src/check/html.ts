// A self-contained HTML page of a checked history: per key, one row per
// process, a bar per op from invoke to return coloured by f; for a violation,
// the longest partial linearization numbered on its bars and the ops that
// could not come next outlined. No scripts: tooltips are SVG <title>s.
import type { HistoryEvent } from "../schemas/history.js";
import type { CheckResult } from "./check.js";
import { prepareHistory, type Operation } from "./prepare.js";
import { describeOperation, formatCheckResult } from "./report.js";

export interface HtmlOptions {
  /** Line of each event in its file (as for `checkHistory`). */
  lines?: readonly number[];
  /** Page title, e.g. the history's file name. */
  title?: string;
}

/** Pixels: the time line spaces distinct instants evenly (rank, not duration) so short ops stay visible. */
const rowHeightPx = 22;
const labelWidthPx = 64;
const rankStepPxMax = 28;
const rankStepPxMin = 3;
const keyWidthPxMax = 60_000;

export function renderHtml(
  events: readonly HistoryEvent[],
  result: CheckResult,
  options: HtmlOptions = {},
): string {
  const prepared = prepareHistory(events, options.lines);
  const violation = result.result === "violation" ? result.violation : undefined;
  // The key with the violation comes first and open.
  const keys = [...prepared.keys.keys()].sort(
    (a, b) => Number(b === violation?.key) - Number(a === violation?.key),
  );
  const title = options.title ?? "history";
  const sections = keys.map((key) => {
    const operations = prepared.keys.get(key) ?? [];
    const isViolation = key === violation?.key;
    const order = new Map<number, number>();
    const frontier = new Set<number>();
    if (isViolation) {
      violation.linearized.forEach((operation, index) => order.set(operation.id, index + 1));
      for (const operation of violation.ops) frontier.add(operation.id);
    }
    const heading = `key ${escapeHtml(JSON.stringify(key))} — ${operations.length} ops`;
    return [
      `<details${isViolation || keys.length === 1 ? " open" : ""}><summary>${heading}${isViolation ? " — <b>violation</b>" : ""}</summary>`,
      isViolation ? violationPanel(result) : "",
      `<div class="scroll">${timeline(operations, order, frontier)}</div>`,
      `</details>`,
    ].join("\n");
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}: ${result.result}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; }
.scroll { overflow-x: auto; border: 1px solid #ddd; margin: .5em 0 1.5em; }
summary { cursor: pointer; font-weight: 600; margin: .4em 0; }
.legend span { display: inline-block; padding: 0 .6em; margin-right: .4em; border-radius: 3px; }
.get { fill: #6fa8dc; background: #6fa8dc; } .put { fill: #f6b26b; background: #f6b26b; }
.append { fill: #93c47d; background: #93c47d; }
rect.info { fill-opacity: .35; stroke-dasharray: 4 3; stroke: #555; }
rect.frontier { stroke: #d00; stroke-width: 3; }
text { font: 11px ui-monospace, monospace; pointer-events: none; }
text.order { font-weight: bold; fill: #000; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}: ${result.result === "ok" ? "linearizable" : result.result === "violation" ? "NOT linearizable" : "unknown"}</h1>
<pre>${escapeHtml(formatCheckResult(result))}</pre>
<p class="legend"><span class="get">get</span><span class="put">put</span><span class="append">append</span>
dashed: outcome unknown (info), may take effect any time after its invoke, or never.
Bars span invoke to completion; instants are evenly spaced in time order. Hover a bar for its details.</p>
${sections.join("\n")}
</body>
</html>
`;
}

function violationPanel(result: CheckResult): string {
  if (result.result !== "violation") return "";
  const { violation } = result;
  const linearized = violation.linearized.map(
    (operation, index) => `${index + 1}. ${describeOperation(operation)}`,
  );
  return [
    `<p>Numbered bars: the longest partial linearization found (${violation.linearized.length} ops).`,
    `Red outlines: ops that cannot come next. State after it: <code>${escapeHtml(JSON.stringify(violation.state))}</code></p>`,
    `<pre>${escapeHtml([...linearized, "cannot come next:", ...violation.ops.map(describeOperation)].join("\n"))}</pre>`,
  ].join("\n");
}

function timeline(
  operations: readonly Operation[],
  order: Map<number, number>,
  frontier: Set<number>,
): string {
  const instants = [...new Set(operations.flatMap((operation) => [operation.call, operation.return]))]
    .filter((time) => Number.isFinite(time))
    .sort((a, b) => a - b);
  const rank = new Map(instants.map((time, index) => [time, index]));
  const step = Math.max(rankStepPxMin, Math.min(rankStepPxMax, keyWidthPxMax / Math.max(1, instants.length)));
  const width = labelWidthPx + (instants.length + 3) * step;
  const xOf = (time: number): number =>
    Number.isFinite(time) ? labelWidthPx + ((rank.get(time) ?? 0) + 1) * step : width - 2;
  const processes = [...new Set(operations.map((operation) => operation.process))].sort((a, b) => a - b);
  const row = new Map(processes.map((process, index) => [process, index]));
  const height = processes.length * rowHeightPx + 4;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`];
  processes.forEach((process, index) => {
    const y = index * rowHeightPx + 15;
    parts.push(`<text x="4" y="${y}">p${process}</text>`);
  });
  for (const operation of operations) {
    const x = xOf(operation.call);
    const barWidth = Math.max(2, xOf(operation.return) - x);
    const y = (row.get(operation.process) ?? 0) * rowHeightPx + 3;
    const classes = [
      operation.f,
      operation.status === "info" ? "info" : "",
      frontier.has(operation.id) ? "frontier" : "",
    ]
      .filter((name) => name !== "")
      .join(" ");
    const number = order.get(operation.id);
    // A numbered bar always shows its number, with the op when it fits; others show what fits.
    const short = shortLabel(operation);
    const numbered = `${number}: ${short}`;
    const label =
      number === undefined
        ? barWidth > 24
          ? fit(short, barWidth)
          : ""
        : fit(numbered, barWidth) === numbered
          ? numbered
          : String(number);
    parts.push(
      `<g><title>${escapeHtml((number === undefined ? "" : `linearized ${number}: `) + describeOperation(operation))}</title>` +
        `<rect class="${classes}" x="${x}" y="${y}" width="${barWidth}" height="${rowHeightPx - 6}" rx="3"/>` +
        (label === ""
          ? ""
          : `<text x="${x + 3}" y="${y + 12}"${number === undefined ? "" : ' class="order"'}>${escapeHtml(label)}</text>`) +
        `</g>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function shortLabel(operation: Operation): string {
  const f = operation.f === "get" ? "r" : operation.f === "put" ? "w" : "a";
  return `${f} ${operation.value === "" ? '""' : operation.value}`;
}

/** Cuts a label to what fits in a bar (about 7 px per character). */
function fit(text: string, widthPx: number): string {
  const chars = Math.floor((widthPx - 6) / 7);
  return text.length <= chars ? text : `${text.slice(0, Math.max(0, chars - 1))}…`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
