// Everything drawn from a summary except the diagram: the header, the nodes
// table, the view timeline and list, the sparklines, the load verdict, the log.
import type {
  DashboardSummary,
  LoadRun,
  NodeSummary,
  RoleSummary,
  SeriesPoint,
  ViewRecord,
} from "../../src/dashboard/protocol.js";
import { byId, clock, el, escapeXml, setText, syncKeyed } from "./dom.js";

export type NodeAction = (action: "crash" | "restart", node: string) => void;

export function renderHeader(summary: DashboardSummary, streamOpen: boolean): void {
  setText(byId("cluster-name"), summary.cluster);
  const view = summary.view;
  // VR's configurations are numbered too (epochs; reconfigurations change the members).
  byId("view-epoch-part").hidden = view?.epoch === undefined;
  setText(byId("view-epoch"), view?.epoch === undefined ? "" : String(view.epoch));
  setText(byId("view-num"), view === null ? "–" : String(view.viewNum));
  setText(byId("view-primary"), view?.primary ?? "–");
  setText(byId("view-backup"), view === null ? "–" : backupsOf(view));
  // Shown only for a protocol whose views list their members and a status (VR); pb's have neither.
  const members = byId("view-replicas-part");
  members.hidden = view?.replicas === undefined;
  setText(byId("view-replicas"), view?.replicas?.join(" ") ?? "");
  // Chain replication's views list their servers head first, and the spare joining as the next tail.
  byId("view-chain-part").hidden = view?.chain === undefined;
  setText(byId("view-chain"), view?.chain === undefined ? "" : chainText(view));
  const status = byId("view-status-part");
  status.hidden = view?.status === undefined;
  setText(byId("view-status"), view?.status ?? "");
  const latest = summary.views.at(-1);
  const reason = byId("view-reason");
  setText(reason, latest?.reason ?? "");
  reason.title = saidBy(summary, latest, "");
  const pill = byId("status");
  const [text, kind] = !streamOpen
    ? ["dashboard server unreachable", "bad"]
    : !summary.connected
      ? ["broker disconnected", "bad"]
      : !summary.clusterRunning
        ? [`cluster "${summary.cluster}" not running`, "warn"]
        : ["live", "good"];
  setText(pill, text);
  pill.className = `pill ${kind}`;
  pill.title = `broker ${summary.broker}`;
}

type ViewMembers = Pick<ViewRecord, "primary" | "backup" | "replicas" | "chain" | "joining">;

/**
 * The backups of a view: pb's one, or, for a view that lists its replicas
 * (VR), every replica but the primary; for a chain, the servers after the head, in order.
 */
function backupsOf(view: ViewMembers): string {
  if (view.chain !== undefined) {
    const rest = view.chain.slice(1).join(" > ");
    const joining = view.joining === undefined ? "" : ` (${view.joining} joining)`;
    return `${rest === "" ? "–" : rest}${joining}`;
  }
  if (view.backup !== null || view.replicas === undefined) return view.backup ?? "–";
  const others = view.replicas.filter((replica) => replica !== view.primary);
  return others.length === 0 ? "–" : others.join(" ");
}

/** A chain head first: "server-2 > server-4 > server-3 (server-1 joining)". */
function chainText(view: ViewMembers): string {
  const chain = view.chain ?? [];
  const joining = view.joining === undefined ? "" : ` (${view.joining} joining)`;
  return `${chain.length === 0 ? "–" : chain.join(" > ")}${joining}`;
}

export function renderNodes(summary: DashboardSummary, act: NodeAction): void {
  const table = byId("nodes");
  const body = table.querySelector("tbody");
  if (body === null) return;
  const figures = figureNames(summary.nodes);
  syncFigureHeads(table, figures);
  // With a protocol's figures (VR) the table needs the whole width, the crash buttons included.
  byId("nodes-panel").classList.toggle("wide", figures.length > 0);
  syncKeyed(
    body,
    summary.nodes,
    (node) => node.address,
    (node) => createNodeRow(node, act),
    (row, node) => {
      updateNodeRow(row, node, summary.protocol.roles);
      updateFigureCells(row, node, figures);
    },
  );
  setText(byId("faults"), `network: ${summary.faults.text}`);
}

// ---------------------------------------------------------------- a protocol's own figures

/** The names of the figures the nodes report (VR: status, opNumber, commitNumber, logStart), in their order. */
function figureNames(nodes: readonly NodeSummary[]): string[] {
  const names: string[] = [];
  for (const node of nodes)
    for (const name of Object.keys(node.figures ?? {})) if (!names.includes(name)) names.push(name);
  return names;
}

/** A figure's column title: "opNumber" → "op-number", the paper's words. */
function figureTitle(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** One header cell per figure, before the actions column; none for a protocol without figures (pb). */
function syncFigureHeads(table: HTMLElement, names: readonly string[]): void {
  const head = table.querySelector("thead tr");
  if (head === null) return;
  const shown = [...head.querySelectorAll<HTMLElement>("th.figure")].map((cell) => cell.dataset["figure"]);
  if (shown.join() === names.join()) return;
  for (const cell of head.querySelectorAll("th.figure")) cell.remove();
  const actions = head.lastElementChild;
  for (const name of names) {
    const cell = el("th", { className: "figure", text: figureTitle(name) });
    cell.dataset["figure"] = name;
    cell.title = "reported by the node (its answer to the status command, every second)";
    head.insertBefore(cell, actions);
  }
}

function updateFigureCells(row: HTMLElement, node: NodeSummary, names: readonly string[]): void {
  const shown = [...row.querySelectorAll<HTMLElement>("td.figure")].map((cell) => cell.dataset["figure"]);
  if (shown.join() !== names.join()) {
    for (const cell of row.querySelectorAll("td.figure")) cell.remove();
    const actions = row.lastElementChild;
    for (const name of names) {
      const cell = el("td", { className: "figure" });
      cell.dataset["figure"] = name;
      row.insertBefore(cell, actions);
    }
  }
  for (const cell of row.querySelectorAll<HTMLElement>("td.figure")) {
    const value = node.figures?.[cell.dataset["figure"] ?? ""];
    setText(cell, value === undefined ? "–" : String(value));
    // A word (VR's status) is also a class, for its colour: figure-normal, figure-view-change, …
    cell.className = typeof value === "string" ? `figure figure-${value}` : "figure";
  }
}

function createNodeRow(node: NodeSummary, act: NodeAction): HTMLElement {
  const button = (action: "crash" | "restart"): HTMLButtonElement => {
    const element = el("button", {
      text: action,
      attrs: { type: "button", "data-action": action, "data-node": node.address },
    });
    element.addEventListener("click", () => act(action, node.address));
    return element;
  };
  const cells = [
    "node",
    "role",
    "liveness",
    "ops",
    "forwards",
    "transfers",
    "messages",
    "lost",
    "rejected",
  ].map((name) => el("td", { className: `c-${name}` }));
  return el("tr", { attrs: { "data-node": node.address } }, [
    ...cells,
    el("td", { className: "actions" }, [button("crash"), button("restart")]),
  ]);
}

function updateNodeRow(row: HTMLElement, node: NodeSummary, roles: readonly RoleSummary[]): void {
  const cell = (name: string): HTMLElement => row.querySelector(`.c-${name}`) ?? row;
  setText(cell("node"), node.address);
  // A node never in views (pb: the view server) shows its role's label instead of a view role.
  const outside = roles.find((spec) => spec.name === node.kind && !spec.inViews);
  const role =
    outside !== undefined
      ? outside.label
      : (node.role ?? (node.liveness === "crashed" || node.liveness === "stopped" ? "none" : "?"));
  const disagrees = node.selfRole !== null && node.role !== null && node.selfRole !== node.role;
  setText(cell("role"), disagrees ? `${role} (thinks ${node.selfRole})` : role);
  cell("role").className =
    `c-role role-${outside !== undefined ? node.kind : (node.role ?? "unknown")}${disagrees ? " disagrees" : ""}`;
  const liveness = cell("liveness");
  setText(liveness, node.liveness);
  liveness.className = `c-liveness live-${node.liveness}`;
  liveness.title = node.lifecycle ?? "";
  const counters = node.counters;
  setText(cell("ops"), counters === null ? "–" : String(counters.served));
  setText(cell("forwards"), String(node.forwards));
  setText(cell("transfers"), String(node.transfers));
  setText(cell("messages"), counters === null ? "–" : `${counters.messagesIn} / ${counters.messagesOut}`);
  setText(cell("lost"), counters === null ? "–" : String(counters.lost));
  cell("lost").title =
    counters === null
      ? ""
      : `dropped ${counters.dropped}, partitioned ${counters.partitioned}, refused ${counters.refused}, unsent ${counters.unsent}; duplicated ${counters.duplicated}, delayed ${counters.delayed}`;
  setText(cell("rejected"), counters === null ? "–" : String(counters.rejected));
  row.className = `live-${node.liveness}`;
  const crash = row.querySelector<HTMLButtonElement>('button[data-action="crash"]');
  if (crash !== null) crash.disabled = node.liveness === "crashed";
}

// ---------------------------------------------------------------- views

const palette = ["#2563eb", "#16a34a", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626"];

function colorOf(address: string | null): string {
  if (address === null) return "#9ca3af";
  const index = Number(/(\d+)$/.exec(address)?.[1] ?? 0);
  return palette[(index - 1 + palette.length) % palette.length] ?? "#6b7280";
}

/** The last minutes of views as a band, colored by primary; the list below, newest first. */
export function renderViews(summary: DashboardSummary): void {
  renderViewTimeline(byId<SVGSVGElement>("view-timeline"), summary);
  const body = byId("views").querySelector("tbody");
  if (body === null) return;
  const newest = [...summary.views].reverse().slice(0, 30);
  syncKeyed(
    body,
    newest,
    (view) => String(view.viewNum),
    () => el("tr", {}, [el("td"), el("td"), el("td"), el("td"), el("td")]),
    (row, view) => {
      const cells = row.querySelectorAll("td");
      const values = [
        view.status === undefined ? String(view.viewNum) : `${view.viewNum} (${view.status})`,
        view.primary ?? "–",
        backupsOf(view),
        clock(view.at),
      ];
      values.forEach((value, index) => {
        const cell = cells[index];
        if (cell !== undefined) setText(cell, value);
      });
      row.dataset["view"] = String(view.viewNum);
      const reasonCell = cells[4];
      if (reasonCell !== undefined) renderReason(reasonCell, view.reason, saidBy(summary, view, ""));
    },
  );
}

/**
 * The dashboard's inference, then, smaller, what the announcing node said
 * (VR's new primary: whose log won); rebuilt only when either changed.
 */
function renderReason(cell: HTMLElement, reason: string, said: string): void {
  const key = `${reason}\n${said}`;
  if (cell.dataset["reason"] === key) return;
  cell.dataset["reason"] = key;
  cell.replaceChildren(reason, ...(said === "" ? [] : [el("small", { className: "said", text: said })]));
  cell.title = said;
}

/**
 * What the configuring node (pb: the view server) said about a view, as "view
 * server: …" after `before`; with several configuring nodes (VR's replicas),
 * the one that announced it by name ("server-2: …").
 */
function saidBy(summary: DashboardSummary, view: ViewRecord | undefined, before: string): string {
  const said = view?.viewServerReason;
  if (said === undefined) return "";
  // A node outside the views (pb's view server) by its label; a member (VR's replica) by its address.
  const outside = summary.protocol.roles.some(
    (role) => !role.inViews && role.label === summary.protocol.configuring,
  );
  const who = outside ? summary.protocol.configuring : (view?.announcedBy ?? summary.protocol.configuring);
  return `${before}${who}: ${said}`;
}

function renderViewTimeline(svg: SVGSVGElement, summary: DashboardSummary): void {
  const { views, now } = summary;
  const width = Math.max(400, svg.clientWidth || svg.parentElement?.clientWidth || 900);
  const height = 46;
  const first = views[0];
  if (first === undefined) {
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.innerHTML = `<text class="empty" x="8" y="26">no view yet</text>`;
    return;
  }
  const spanMs = Math.max(10_000, Math.min(5 * 60_000, now - first.at + 1_000));
  const start = now - spanMs;
  const x = (at: number): number => ((Math.max(at, start) - start) / spanMs) * (width - 2) + 1;
  const parts: string[] = [];
  views.forEach((view, index) => {
    const end = views[index + 1]?.at ?? now;
    if (end < start) return;
    const x1 = x(view.at);
    const segmentWidth = Math.max(1, x(end) - x1);
    // A view with replicas (VR) by its primary alone: its backups are every other replica; a chain head first.
    const label =
      view.chain !== undefined
        ? `v${view.viewNum} ${chainText(view)}`
        : view.replicas === undefined
          ? `v${view.viewNum} ${view.primary ?? "–"} / ${view.backup ?? "–"}`
          : `v${view.viewNum} ${view.primary ?? "–"}`;
    const said = saidBy(summary, view, "\n");
    const members =
      view.chain !== undefined
        ? `, chain ${chainText(view)}`
        : view.replicas === undefined
          ? ""
          : `, replicas ${view.replicas.join(" ")}`;
    const status = view.status === undefined ? "" : `, ${view.status}`;
    const title = `view ${view.viewNum} at ${clock(view.at)}: primary ${view.primary ?? "–"}, backup ${backupsOf(view)}${members}${status}\n${view.reason}${said}`;
    parts.push(
      `<g class="view-segment" data-view="${view.viewNum}"><title>${escapeXml(title)}</title>` +
        `<rect x="${x1.toFixed(1)}" y="4" width="${segmentWidth.toFixed(1)}" height="22" fill="${colorOf(view.primary)}"/>` +
        `<rect x="${x1.toFixed(1)}" y="26" width="${segmentWidth.toFixed(1)}" height="6" fill="${colorOf(view.backup)}" opacity="0.6"/>` +
        (segmentWidth > label.length * 6.2
          ? `<text x="${(x1 + 4).toFixed(1)}" y="19">${escapeXml(label)}</text>`
          : "") +
        `</g>`,
    );
  });
  parts.push(
    `<text class="axis" x="2" y="44">${clock(start, false)}</text>`,
    `<text class="axis end" x="${width - 2}" y="44">now</text>`,
  );
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.innerHTML = parts.join("");
}

// ---------------------------------------------------------------- charts

interface ChartSpec {
  title: string;
  unit: string;
  lines: { name: string; value: (point: SeriesPoint) => number | null; className: string }[];
}

const charts: ChartSpec[] = [
  { title: "throughput", unit: "ops/s", lines: [{ name: "ops/s", value: (p) => p.ops, className: "s-ops" }] },
  {
    title: "latency",
    unit: "ms",
    lines: [
      { name: "p50", value: (p) => p.latencyP50Ms, className: "s-p50" },
      { name: "p99", value: (p) => p.latencyP99Ms, className: "s-p99" },
    ],
  },
  {
    title: "messages",
    unit: "/s",
    lines: [{ name: "msgs/s", value: (p) => p.messages, className: "s-msgs" }],
  },
  { title: "lost", unit: "/s", lines: [{ name: "lost/s", value: (p) => p.lost, className: "s-lost" }] },
];

export function renderCharts(summary: DashboardSummary): void {
  const series = summary.series;
  const width = 260;
  const height = 44;
  const html = charts.map((chart) => {
    const values = chart.lines.flatMap((line) =>
      series.map(line.value).filter((v): v is number => v !== null),
    );
    const max = Math.max(1, ...values);
    const polylines = chart.lines.map((line) => {
      const points = series
        .map((point, index) => {
          const value = line.value(point);
          if (value === null) return null;
          const px = (index / Math.max(1, series.length - 1)) * width;
          const py = height - 2 - (value / max) * (height - 4);
          return `${px.toFixed(1)},${py.toFixed(1)}`;
        })
        .filter((point) => point !== null);
      return `<polyline class="${line.className}" points="${points.join(" ")}"/>`;
    });
    const latest = series.at(-1);
    const now = chart.lines
      .map((line) => {
        const value = latest === undefined ? null : line.value(latest);
        return `${line.name} <b>${value === null ? "–" : formatNumber(value)}</b>`;
      })
      .join(" · ");
    return (
      `<figure class="chart" data-chart="${chart.title}"><figcaption>${chart.title} <span>${now}</span> <small>max ${formatNumber(max)} ${chart.unit}</small></figcaption>` +
      `<svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none">${polylines.join("")}</svg></figure>`
    );
  });
  byId("charts").innerHTML = html.join("");
}

function formatNumber(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(Math.round(value * 10) / 10);
}

// ---------------------------------------------------------------- load and log

export function renderLoad(summary: DashboardSummary): void {
  const newest: LoadRun | undefined = summary.loads.at(-1);
  // The verdict stays up while the next run goes: a run is announced when it starts.
  const finished = summary.loads.findLast((run) => run.result !== "running");
  const parts = [
    newest?.result === "running" ? runningHtml(newest, summary.now) : "",
    finished === undefined ? "" : verdictHtml(finished),
  ];
  const html =
    newest === undefined
      ? `<p class="note">No load run since the dashboard started. Run <code>cd ${escapeXml(summary.projectDirectory)} &amp;&amp; npm run load -- --cluster ${escapeXml(summary.cluster)}</code> ` +
        `(npm runs the project's scripts in its directory): it announces the run and its verdict on the cluster's events.</p>`
      : parts.join("");
  // Rewritten only when it changed, so an opened report stays open between summaries.
  const box = byId("load");
  if (box.dataset["html"] === html) return;
  box.dataset["html"] = html;
  box.innerHTML = html;
}

function figure(label: string, value: number | string | null, unit = ""): string {
  return `<span>${label} <b>${value === null ? "–" : `${value}${unit}`}</b></span>`;
}

function runningHtml(run: LoadRun, now: number): string {
  // The load checks its history after the planned duration (its clock is this machine's, or close).
  const overdue =
    run.result === "running" && run.verdictDueMs !== undefined && now > run.at + run.verdictDueMs;
  const phase = overdue
    ? "no verdict: the load stopped before it reported (see its terminal)"
    : now < run.at + run.durationMs
      ? "running…"
      : "checking…";
  return (
    `<p id="load-running"><span class="verdict checking">${phase}</span> <small>run ${escapeXml(run.run)} · ${escapeXml(run.history)}</small></p>` +
    `<p class="figures">${figure("started", clock(run.at, false))}${figure("clients", run.clients)}` +
    `${figure("keys", run.keys)}${figure("planned", Math.round(run.durationMs / 10) / 100, " s")}</p>`
  );
}

function verdictHtml(run: LoadRun): string {
  if (run.result === "running") return "";
  const verdict =
    run.result === "linearizable"
      ? `<span class="verdict ok">linearizable</span>`
      : run.result === "not-linearizable"
        ? `<span class="verdict bad">NOT linearizable</span> key <code>${escapeXml(run.key)}</code>`
        : `<span class="verdict warn">checker gave up</span>`;
  return (
    `<div id="load-verdict" data-result="${run.result}" data-run="${escapeXml(run.run)}">` +
    `<p>${verdict} <small>run ${escapeXml(run.run)} · ${escapeXml(run.history)}</small></p>` +
    `<p class="figures">${figure("ok", run.ok)}${figure("timed out", run.info)}${figure("refused", run.fail)}` +
    `${figure("ops/s", run.opsPerSecond)}${figure("p50", run.latencyP50Ms, " ms")}${figure("p99", run.latencyP99Ms, " ms")}` +
    `${figure("max wait", run.maxWaitMs, " ms")}${figure("clients", run.clients)}` +
    `${figure("duration", Math.round(run.durationMs / 10) / 100, " s")}${figure("checked in", run.checkMs, " ms")}` +
    `${figure("finished", clock(run.at, false))}</p>` +
    `<details><summary>checker output</summary><pre>${escapeXml(run.report)}</pre></details></div>`
  );
}

export function renderLog(summary: DashboardSummary): void {
  const entries = summary.log.slice(-120).reverse();
  byId("log").innerHTML = entries
    .map(
      (entry) =>
        `<li class="log-${entry.kind}${entry.bad === true ? " bad" : ""}"><time>${clock(entry.at)}</time> <b>${escapeXml(entry.node)}</b> ${escapeXml(entry.text)}</li>`,
    )
    .join("");
}

export function renderSampling(summary: DashboardSummary): void {
  const invalid =
    summary.invalidEvents > 0 ? ` ${summary.invalidEvents} invalid events ignored (see the log).` : "";
  const text =
    (summary.tap
      ? `Message tap: ${summary.sampling.seen} messages seen, ${summary.sampling.sampled} drawn (at most ${summary.sampling.perSecond}/s ordinary + ${summary.sampling.perSecond}/s lost, delayed or duplicated; pings at most a quarter). Hover an arrow for the message.`
      : "Message tap off (--no-tap): only events are shown.") + invalid;
  setText(byId("sampling"), text);
}
