// Where a bench process spends its CPU: reads `.cpuprofile` files (from
// `npm run bench -- --cpu-prof DIR`) and prints self time by package or
// source file and by function, busiest first. Samples of the process's first
// `--from-ms` (start-up: loading modules) and of the profiler writing itself
// out are left out.
//   npx tsx scripts/bench-profile.ts DIR/*.cpuprofile [--top 25] [--from-ms 3000]
import { readFileSync } from "node:fs";
import path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfileFile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function groupOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === "")
    return frame.functionName.startsWith("(") ? frame.functionName : "(native: V8 builtins, JSON)";
  if (url.startsWith("node:")) return "node: core";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules?.[1] !== undefined) return modules[1];
  const source = /\/(src\/.*)$/.exec(url);
  return source?.[1] ?? url;
}

/** Nodes under the profiler's own calls (node:inspector), which only show the profile being written. */
function profilerNodes(nodes: ProfileNode[]): Set<number> {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const excluded = new Set<number>();
  const exclude = (id: number): void => {
    if (excluded.has(id)) return;
    excluded.add(id);
    for (const child of byId.get(id)?.children ?? []) exclude(child);
  };
  for (const node of nodes) if (node.callFrame.url === "node:inspector") exclude(node.id);
  return excluded;
}

function summarize(file: string, top: number, fromMs: number): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfileFile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const excluded = profilerNodes(profile.nodes);
  const selfUs = new Map<number, number>();
  let atUs = 0;
  let firstUs = Number.NaN;
  let lastUs = 0;
  profile.samples.forEach((id, index) => {
    const deltaUs = profile.timeDeltas[index] ?? 0;
    atUs += deltaUs;
    if (atUs < fromMs * 1000 || excluded.has(id)) return;
    if (Number.isNaN(firstUs)) firstUs = atUs;
    lastUs = atUs;
    selfUs.set(id, (selfUs.get(id) ?? 0) + deltaUs);
  });
  const totalUs = Number.isNaN(firstUs) ? 0 : lastUs - firstUs;
  let busyUs = 0;
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    if (frame.functionName !== "(idle)") busyUs += us;
    const group = groupOf(frame);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const where = frame.url === "" ? "" : ` ${path.basename(frame.url)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || "(anonymous)"}${where} [${group}]`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const show = (title: string, entries: Map<string, number>): void => {
    console.log(`  ${title}`);
    const sorted = [...entries].sort((a, b) => b[1] - a[1]).slice(0, top);
    for (const [name, us] of sorted) {
      const share = busyUs > 0 && !name.startsWith("(idle)") ? ((100 * us) / busyUs).toFixed(1) : "-";
      console.log(`    ${(us / 1000).toFixed(0).padStart(7)} ms  ${share.padStart(5)}%  ${name}`);
    }
  };
  console.log(
    `${path.basename(file)}: ${(totalUs / 1e6).toFixed(1)} s profiled, ${(busyUs / 1e6).toFixed(2)} s busy (${((100 * busyUs) / totalUs).toFixed(0)}%); shares are of busy time`,
  );
  show("self time by package / source file", groups);
  show("self time by function", functions);
}

const args = process.argv.slice(2);
const optionValue = (name: string, fallback: number): number => {
  const index = args.indexOf(name);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const top = optionValue("--top", 20);
const fromMs = optionValue("--from-ms", 0);
const files = args.filter((arg, index) => !arg.startsWith("--") && !(args[index - 1] ?? "").startsWith("--"));
for (const file of files) summarize(file, top, fromMs);
