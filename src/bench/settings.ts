// Bounds and parsers of the forwarding settings that `npm run bench` passes
// to pb's servers (`--forward-batch-max`, `--forward-window` of src/cli/node.ts;
// the batching comparison runs on the protocols whose configuration has them).
import type { ProtocolConfigBase } from "../protocols/protocol.js";
import type { ForwardSettings } from "../schemas/bench.js";
import { forwardBatchMax, forwardWindowMax } from "../schemas/limits.js";
import type { ProtocolRun } from "./cluster.js";

export { forwardWindowMax };

/** Why a forwarding setting is out of bounds, or null when it is fine. */
export function forwardSettingsProblem(settings: ForwardSettings): string | null {
  const { forwardBatchMax: batchMax, forwardWindow: window } = settings;
  if (!Number.isSafeInteger(batchMax) || batchMax < 1 || batchMax > forwardBatchMax)
    return `forwardBatchMax must be 1-${forwardBatchMax}, not ${batchMax}`;
  if (!Number.isSafeInteger(window) || window < 1 || window > forwardWindowMax)
    return `forwardWindow must be 1-${forwardWindowMax}, not ${window}`;
  return null;
}

/**
 * `"1x1,64x4"` (forwardBatchMax x forwardWindow, comma-separated) or
 * `"none"`; throws with a reason on anything else.
 */
export function parseForwardVariants(text: string): ForwardSettings[] {
  if (text.trim() === "none" || text.trim() === "") return [];
  return text.split(",").map((item) => {
    const match = /^\s*(\d+)x(\d+)\s*$/.exec(item);
    if (match === null) throw new Error(`"${item}" is not <forwardBatchMax>x<forwardWindow>, e.g. 64x4`);
    const settings = { forwardBatchMax: Number(match[1]), forwardWindow: Number(match[2]) };
    const problem = forwardSettingsProblem(settings);
    if (problem !== null) throw new Error(problem);
    return settings;
  });
}

/** `"1,16,64"`: distinct positive client counts, in the order given. */
export function parseClientCounts(text: string, clientsMax: number): number[] {
  const counts = text.split(",").map((item) => Number(item.trim()));
  for (const count of counts) {
    if (!Number.isSafeInteger(count) || count < 1 || count > clientsMax)
      throw new Error(`client counts are 1-${clientsMax}, comma-separated (got "${text}")`);
  }
  return [...new Set(counts)];
}

/** The forwarding settings of a configuration that has them (pb's forwardBatchMax and forwardWindow), else null. */
export function forwardOf(config: ProtocolConfigBase): ForwardSettings | null {
  const fields = config as unknown as Readonly<Record<string, unknown>>;
  const { forwardBatchMax: batchMax, forwardWindow: window } = fields;
  if (typeof batchMax !== "number" || typeof window !== "number") return null;
  return { forwardBatchMax: batchMax, forwardWindow: window };
}

/** `b64w1`: names a batching variant's cluster. */
export function forwardKey(forward: ForwardSettings): string {
  return `b${forward.forwardBatchMax}w${forward.forwardWindow}`;
}

/** The run's configuration with other forwarding settings (checked by the protocol's `make`). */
export function withForward(run: ProtocolRun, forward: ForwardSettings): ProtocolConfigBase {
  return run.protocol.config.make({ ...run.config, ...forward } as Partial<ProtocolConfigBase>);
}
