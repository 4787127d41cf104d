// The space-time diagram: one lane per actor (all clients share one), time
// flowing left to right, one arrow per sampled message from (sentAt, sender)
// to (arrival, receiver). Lost messages stop halfway with a cross; refused
// ones (the receiver was crashed) end in a barred circle; delayed ones are
// dashed; second copies (duplicates) are marked. View changes and faults are
// drawn as vertical marks. Drawn as one SVG string every frame.
import type { DashboardSummary, Fate, MessageSample } from "../../src/dashboard/protocol.js";
import { escapeXml } from "./dom.js";

const laneHeight = 34;
const marginLeft = 104;
const marginRight = 14;
const marginTop = 26;
/** Room under the lanes for the labels of view changes and faults (three rows). */
const marginBottom = 40;
const markRowHeight = 12;
/** Samples older than this are forgotten (the widest window plus a margin to pause in). */
const keepMs = 60_000;
const clientsLane = "clients";
const heartbeatTypes = new Set(["Ping", "ViewReply", "GetView"]);
export const fates: Fate[] = [
  "delivered",
  "delayed",
  "dropped",
  "partitioned",
  "refused",
  "expired",
  "unroutable",
];

const legendGlyphs: Record<Fate | "duplicate", string> = {
  delivered: "→",
  delayed: "⇢",
  dropped: "✕",
  partitioned: "✕",
  refused: "⊘",
  expired: "✕",
  unroutable: "✕",
  duplicate: "•",
};

interface Mark {
  at: number;
  text: string;
  kind: "view" | "fault";
}

export class Diagram {
  private readonly samples = new Map<string, MessageSample>();
  private summary: DashboardSummary | null = null;
  windowMs = 4_000;
  hideHeartbeats = false;
  private frozenAt: number | null = null;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly legend: HTMLElement,
  ) {}

  get paused(): boolean {
    return this.frozenAt !== null;
  }

  pause(now: number): void {
    this.frozenAt = now;
  }

  resume(): void {
    this.frozenAt = null;
  }

  add(samples: readonly MessageSample[]): void {
    for (const sample of samples) this.samples.set(sample.key, sample);
  }

  setSummary(summary: DashboardSummary): void {
    this.summary = summary;
  }

  render(serverNow: number): void {
    for (const [key, sample] of this.samples) {
      if (sample.at >= serverNow - keepMs) break;
      this.samples.delete(key);
    }
    const now = this.frozenAt ?? serverNow;
    const start = now - this.windowMs;
    const width = Math.max(400, this.svg.clientWidth || this.svg.parentElement?.clientWidth || 900);
    const visible = [...this.samples.values()].filter(
      (sample) =>
        sample.at >= start &&
        sample.sentAt <= now &&
        !(this.hideHeartbeats && heartbeatTypes.has(sample.type)),
    );
    const lanes = this.lanes(visible);
    const height = marginTop + lanes.length * laneHeight + marginBottom;
    const plotWidth = width - marginLeft - marginRight;
    const x = (at: number): number => marginLeft + ((at - start) / this.windowMs) * plotWidth;
    const laneIndex = new Map(lanes.map((lane, index) => [lane, index]));
    const y = (address: string): number => {
      const index = laneIndex.get(address.startsWith("client-") ? clientsLane : address) ?? lanes.length - 1;
      return marginTop + index * laneHeight + laneHeight / 2;
    };
    const parts: string[] = [];
    parts.push(...this.axis(start, now, x, height));
    parts.push(...this.laneLines(lanes, y, width));
    parts.push(...this.marks(start, now, x, height));
    const counts = new Map<Fate | "duplicate", number>();
    for (const sample of visible) {
      counts.set(sample.fate, (counts.get(sample.fate) ?? 0) + 1);
      if (sample.duplicate) counts.set("duplicate", (counts.get("duplicate") ?? 0) + 1);
      parts.push(this.arrow(sample, x, y));
    }
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.setAttribute("height", String(height));
    this.svg.innerHTML = parts.join("");
    this.renderLegend(counts, visible.length);
  }

  /** The nodes in the summary's order (pb: the view server, then servers by number), then one lane for every client. */
  private lanes(visible: readonly MessageSample[]): string[] {
    const nodes = this.summary?.nodes ?? [];
    const names = new Set<string>(nodes.map((node) => node.address));
    for (const sample of visible) {
      for (const address of [sample.from, sample.to]) if (!address.startsWith("client-")) names.add(address);
    }
    // Nodes the summary does not list yet go after those it does, servers by number.
    const listed = new Map(nodes.map((node, index) => [node.address, index - nodes.length]));
    const order = (name: string): number =>
      listed.get(name) ?? (/^server-\d+$/.test(name) ? Number(name.slice(7)) : 1e6);
    return [...[...names].sort((a, b) => order(a) - order(b) || a.localeCompare(b)), clientsLane];
  }

  private axis(start: number, now: number, x: (at: number) => number, height: number): string[] {
    const stepMs = this.windowMs <= 4_000 ? 500 : this.windowMs <= 10_000 ? 1_000 : 5_000;
    const parts: string[] = [];
    for (let at = Math.ceil(start / stepMs) * stepMs; at <= now; at += stepMs) {
      const position = x(at).toFixed(1);
      const label = `${((at - now) / 1000).toFixed(stepMs < 1_000 ? 1 : 0)} s`;
      parts.push(
        `<line class="tick" x1="${position}" y1="${marginTop - 6}" x2="${position}" y2="${height - marginBottom + 4}"/>`,
        `<text class="tick-label" x="${position}" y="${marginTop - 10}">${label}</text>`,
      );
    }
    return parts;
  }

  private laneLines(lanes: readonly string[], y: (address: string) => number, width: number): string[] {
    const view = this.summary?.view ?? null;
    return lanes.flatMap((lane) => {
      const laneY = y(lane === clientsLane ? "client-" : lane).toFixed(1);
      const node = this.summary?.nodes.find((candidate) => candidate.address === lane);
      // The role the protocol gives the node in the view (NodeSummary.role), by its initial; a spare has none.
      const role =
        view === null || node?.role === null || node?.role === undefined || node.role === "idle"
          ? ""
          : node.role;
      const state = node !== undefined && node.liveness !== "up" ? ` ${node.liveness}` : "";
      const roleText =
        role === ""
          ? ""
          : ` <tspan class="role-${escapeXml(role)}">${escapeXml(role.charAt(0).toUpperCase())}</tspan>`;
      return [
        `<line class="lane${state}" x1="${marginLeft}" y1="${laneY}" x2="${width - marginRight}" y2="${laneY}"/>`,
        `<text class="lane-label${state}" x="6" y="${Number(laneY) + 4}">${escapeXml(lane)}${roleText}</text>`,
      ];
    });
  }

  private marks(start: number, now: number, x: (at: number) => number, height: number): string[] {
    const marks: Mark[] = [];
    for (const view of this.summary?.views ?? [])
      marks.push({ at: view.at, text: `view ${view.viewNum}`, kind: "view" });
    for (const entry of this.summary?.log ?? []) {
      if (entry.kind === "control" && entry.bad !== true) {
        marks.push({ at: entry.at, text: shortControl(entry.text), kind: "fault" });
      }
    }
    const shown = marks.filter((mark) => mark.at >= start && mark.at <= now).sort((a, b) => a.at - b.at);
    const lanesBottom = height - marginBottom;
    // Labels that would overlap go one row lower (three rows, then round again).
    const rowEnds = [-Infinity, -Infinity, -Infinity];
    return shown.flatMap((mark) => {
      const position = x(mark.at);
      const labelWidth = mark.text.length * 6.5 + 6;
      let row = rowEnds.findIndex((end) => end < position);
      if (row === -1) row = rowEnds.indexOf(Math.min(...rowEnds));
      rowEnds[row] = position + labelWidth;
      const labelY = lanesBottom + markRowHeight * (row + 1);
      return [
        `<line class="mark mark-${mark.kind}" x1="${position.toFixed(1)}" y1="${marginTop - 4}" x2="${position.toFixed(1)}" y2="${labelY - 9}"/>`,
        `<text class="mark-label mark-${mark.kind}" x="${(position + 3).toFixed(1)}" y="${labelY}">${escapeXml(mark.text)}</text>`,
      ];
    });
  }

  private arrow(sample: MessageSample, x: (at: number) => number, y: (address: string) => number): string {
    const x1 = x(sample.sentAt);
    const y1 = y(sample.from);
    const yTo = y(sample.to);
    const lostOnTheWay =
      sample.fate === "dropped" || sample.fate === "partitioned" || sample.fate === "unroutable";
    // A loss is decided at the sender: draw it halfway, visibly long even when instant.
    const endAt = lostOnTheWay ? Math.max(sample.at, sample.sentAt + this.windowMs * 0.04) : sample.at;
    const x2 = Math.max(x1 + 1, x(endAt));
    const y2 = lostOnTheWay ? (y1 + yTo) / 2 : yTo;
    const classes = [`msg`, `t-${sample.type}`, `f-${sample.fate}`];
    if (sample.duplicate) classes.push("dup");
    const delay = sample.delayMs === null ? "" : `, held ${sample.delayMs} ms`;
    const title = `${sample.label}\n${sample.fate}${delay}${sample.duplicate ? ", duplicate copy" : ""}`;
    const line = `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"/>`;
    return (
      `<g class="${classes.join(" ")}" data-fate="${sample.fate}" data-type="${escapeXml(sample.type)}"${sample.duplicate ? ' data-duplicate="1"' : ""}>` +
      `<title>${escapeXml(title)}</title>${line}${this.ending(sample.fate, x1, y1, x2, y2, sample.duplicate)}</g>`
    );
  }

  private ending(fate: Fate, x1: number, y1: number, x2: number, y2: number, duplicate: boolean): string {
    const at = `${x2.toFixed(1)},${y2.toFixed(1)}`;
    switch (fate) {
      case "dropped":
      case "partitioned":
      case "unroutable":
      case "expired":
        return `<path class="cross" d="M${x2 - 4},${y2 - 4}L${x2 + 4},${y2 + 4}M${x2 - 4},${y2 + 4}L${x2 + 4},${y2 - 4}"/>`;
      case "refused":
        return `<circle class="refused" cx="${x2.toFixed(1)}" cy="${y2.toFixed(1)}" r="4.5"/><path class="cross" d="M${x2 - 3},${y2 + 3}L${x2 + 3},${y2 - 3}"/>`;
      case "delivered":
      case "delayed": {
        const angle = Math.atan2(y2 - y1, x2 - x1);
        const size = 6;
        const left = `${(x2 - size * Math.cos(angle - 0.45)).toFixed(1)},${(y2 - size * Math.sin(angle - 0.45)).toFixed(1)}`;
        const right = `${(x2 - size * Math.cos(angle + 0.45)).toFixed(1)},${(y2 - size * Math.sin(angle + 0.45)).toFixed(1)}`;
        const head = `<polygon class="head" points="${at} ${left} ${right}"/>`;
        return duplicate
          ? `${head}<circle class="dup-mark" cx="${x2.toFixed(1)}" cy="${y2.toFixed(1)}" r="3"/>`
          : head;
      }
    }
  }

  private renderLegend(counts: Map<Fate | "duplicate", number>, total: number): void {
    const items = [...fates, "duplicate" as const].map(
      (fate) =>
        `<span class="legend-item f-${fate}"><i>${legendGlyphs[fate]}</i>${fate} <b id="count-${fate}">${counts.get(fate) ?? 0}</b></span>`,
    );
    this.legend.innerHTML = `${items.join("")}<span class="legend-item">shown <b id="count-shown">${total}</b></span>`;
  }
}

/** `sent {"type":"crash","node":"server-1"}` → `crash server-1`. */
function shortControl(text: string): string {
  const json = text.replace(/^sent /, "");
  try {
    const command = JSON.parse(json) as Record<string, unknown>;
    const type = String(command["type"]);
    if (type === "crash" || type === "restart") return `${type} ${String(command["node"])}`;
    if (type === "net") return `net drop ${String(command["drop"])}`;
    return type;
  } catch {
    return json.slice(0, 20);
  }
}
