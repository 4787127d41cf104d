// The dashboard page: follows `/api/stream` and draws what it says. The
// server owns the model (src/dashboard/model.ts); the page only renders it.
import type { DashboardSummary } from "../../src/dashboard/protocol.js";
import { followStream } from "./api.js";
import { Controls } from "./controls.js";
import { Diagram } from "./diagram.js";
import { byId } from "./dom.js";
import {
  renderCharts,
  renderHeader,
  renderLoad,
  renderLog,
  renderNodes,
  renderSampling,
  renderViews,
} from "./panels.js";

/** The diagram is redrawn this often (it scrolls with time). */
const frameIntervalMs = 100;

const diagram = new Diagram(byId<SVGSVGElement>("diagram"), byId("diagram-legend"));
const controls = new Controls();
let summary: DashboardSummary | null = null;
let streamOpen = false;
/** Server clock minus ours: message times are the server's. */
let clockOffsetMs = 0;

function serverNow(): number {
  return Date.now() + clockOffsetMs;
}

function renderSummary(): void {
  if (summary === null) return;
  renderHeader(summary, streamOpen);
  renderNodes(summary, (action, node) => void controls.node(action, node));
  controls.update(summary);
  renderViews(summary);
  renderCharts(summary);
  renderLoad(summary);
  renderLog(summary);
  renderSampling(summary);
}

followStream({
  onSummary(next) {
    summary = next;
    clockOffsetMs = next.now - Date.now();
    diagram.setSummary(next);
    renderSummary();
  },
  onMessages(samples) {
    diagram.add(samples);
  },
  onConnection(open) {
    streamOpen = open;
    renderSummary();
  },
});

byId<HTMLSelectElement>("diagram-window").addEventListener("change", (event) => {
  diagram.windowMs = Number((event.target as HTMLSelectElement).value);
});
byId<HTMLInputElement>("hide-heartbeats").addEventListener("change", (event) => {
  diagram.hideHeartbeats = (event.target as HTMLInputElement).checked;
});
const pause = byId<HTMLButtonElement>("pause");
pause.addEventListener("click", () => {
  if (diagram.paused) diagram.resume();
  else diagram.pause(serverNow());
  pause.textContent = diagram.paused ? "resume" : "pause";
});

let drawnAt = 0;
function frame(time: number): void {
  if (time - drawnAt >= frameIntervalMs) {
    drawnAt = time;
    diagram.render(serverNow());
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
