// The fault controls: every button builds a control command and posts it;
// the server validates it with the control schema and publishes it on
// `<c>.control`. Errors (the schema's own words) are shown under the controls.
import type { DashboardSummary } from "../../src/dashboard/protocol.js";
import { postControl } from "./api.js";
import { byId, el, setText, syncKeyed } from "./dom.js";

const groupNames = ["–", "A", "B", "C"];

export class Controls {
  private summary: DashboardSummary | null = null;

  constructor() {
    byId("net-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.send({
        type: "net",
        drop: numberOf("net-drop"),
        duplicate: numberOf("net-duplicate"),
        delayMs: [numberOf("net-delay-min"), numberOf("net-delay-max")],
      });
    });
    for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-preset]")) {
      button.addEventListener("click", () => void this.preset(button.dataset["preset"] ?? ""));
    }
    byId("partition-apply").addEventListener(
      "click",
      () => void this.send({ type: "partition", groups: this.groups() }),
    );
    // The protocol's partition in the current view (pb: the primary cut off from the view server).
    byId("cut-primary").addEventListener("click", () => {
      const groups = this.summary?.protocol.cut.groups ?? null;
      if (groups === null) return this.showError("no primary to cut off");
      void this.send({ type: "partition", groups });
    });
    byId("isolate-primary").addEventListener("click", () => {
      const primary = this.summary?.view?.primary;
      if (primary === null || primary === undefined) return this.showError("no primary to isolate");
      const others = (this.summary?.nodes ?? [])
        .map((node) => node.address)
        .filter((address) => address !== primary);
      void this.send({ type: "partition", groups: [[primary], others] });
    });
    byId("heal").addEventListener("click", () => void this.send({ type: "heal" }));
    byId("reset").addEventListener("click", () => void this.send({ type: "reset" }));
  }

  update(summary: DashboardSummary): void {
    this.summary = summary;
    const cut = byId("cut-primary");
    setText(cut, summary.protocol.cut.label);
    cut.title = summary.protocol.cut.title;
    const groups = byId("partition-groups");
    syncKeyed(
      groups,
      summary.nodes,
      (node) => node.address,
      (node) => {
        const select = el(
          "select",
          { attrs: { "data-node": node.address, "aria-label": `group of ${node.address}` } },
          groupNames.map((name) => el("option", { text: name, attrs: { value: name } })),
        );
        return el("label", { className: "group-pick" }, [`${node.address} `, select]);
      },
      () => {},
    );
  }

  /** Crash or restart one node (the nodes table's buttons). */
  async node(action: "crash" | "restart", node: string): Promise<void> {
    const kind = this.summary?.nodes.find((summary) => summary.address === node)?.kind;
    const warning = this.summary?.protocol.roles.find((role) => role.name === kind)?.crashWarning ?? null;
    if (action === "crash" && warning !== null && !window.confirm(warning)) return;
    await this.send({ type: action, node });
  }

  private async preset(name: string): Promise<void> {
    const clean = { type: "net", drop: 0, duplicate: 0, delayMs: [0, 0] };
    const commands: Record<string, unknown> = {
      loss20: { ...clean, drop: 0.2 },
      delay: { ...clean, delayMs: [0, 100] },
      dup: { ...clean, duplicate: 0.1 },
      clean,
    };
    const command = commands[name];
    if (command !== undefined) await this.send(command);
  }

  private groups(): string[][] {
    const byGroup = new Map<string, string[]>();
    for (const select of byId("partition-groups").querySelectorAll<HTMLSelectElement>("select")) {
      const group = select.value;
      if (group === "–") continue;
      byGroup.set(group, [...(byGroup.get(group) ?? []), select.dataset["node"] ?? ""]);
    }
    return [...byGroup.values()];
  }

  private async send(command: unknown): Promise<void> {
    const response = await postControl(command);
    if (response.ok) {
      byId("control-error").hidden = true;
      setText(byId("control-ok"), `sent ${JSON.stringify(response.command)}`);
    } else {
      this.showError(response.error);
    }
  }

  private showError(message: string): void {
    const box = byId("control-error");
    setText(box, message);
    box.hidden = false;
    setText(byId("control-ok"), "");
  }
}

/** The input's number; an empty or unreadable field is sent as is (null) for the server to refuse. */
function numberOf(id: string): number | null {
  const input = byId<HTMLInputElement>(id);
  const value = input.value.trim() === "" ? NaN : Number(input.value);
  return Number.isFinite(value) ? value : null;
}
