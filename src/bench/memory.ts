// Resident memory of the server processes, read from /proc/<pid>/status
// (VmRSS), so the bench can show whether a server's memory stays flat as
// operations go by.
import { readFileSync } from "node:fs";
import type { Address } from "../schemas/address.js";
import type { MemoryReport, ServerMemory } from "../schemas/bench.js";
import type { BenchCluster } from "./cluster.js";
import { roundTo } from "./workload.js";

/** A process's resident set size in MB, or null when it cannot be read (not Linux, process gone). */
export function readRssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? null : roundTo(Number(match[1]) / 1024, 1);
  } catch {
    return null;
  }
}

export interface MemorySample {
  ops: number;
  rssMb: Record<Address, number>;
}

/** RSS of every server of one cluster: right after launch, then at the samples taken. */
export class MemoryTracker {
  readonly launch: MemorySample;
  readonly samples: MemorySample[] = [];
  private eventsFrom = 0;

  constructor(private readonly cluster: BenchCluster) {
    this.launch = this.read(0);
  }

  /** Takes a sample labelled with the operations served so far in the measured stretch. */
  sample(ops: number): MemorySample {
    if (this.samples.length === 0) this.eventsFrom = this.cluster.events.length;
    const sample = this.read(ops);
    this.samples.push(sample);
    return sample;
  }

  /** Start = the first sample, end = the last; null when memory could not be read. */
  report(millionOpRun: boolean): MemoryReport | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (first === undefined || last === undefined) return null;
    const servers: ServerMemory[] = [];
    for (const node of this.cluster.serverAddresses) {
      const pid = this.cluster.pidOf(node);
      const launchMb = this.launch.rssMb[node];
      const startMb = first.rssMb[node];
      const endMb = last.rssMb[node];
      if (pid === undefined || launchMb === undefined || startMb === undefined || endMb === undefined)
        continue;
      const series = this.samples.flatMap((sample) => {
        const mb = sample.rssMb[node];
        return mb === undefined ? [] : [{ ops: sample.ops, mb }];
      });
      const minMb = Math.min(...series.map((point) => point.mb));
      const maxMb = Math.max(...series.map((point) => point.mb));
      const trendMbPerMillionOps = roundTo(slope(series) * 1_000_000, 1);
      servers.push({ node, pid, launchMb, startMb, endMb, minMb, maxMb, trendMbPerMillionOps });
    }
    if (servers.length === 0) return null;
    const totalOf = (sample: MemorySample): number =>
      roundTo(
        servers.reduce((sum, server) => sum + (sample.rssMb[server.node] ?? 0), 0),
        1,
      );
    const totals = this.samples.map((sample) => ({ ops: sample.ops, mb: totalOf(sample) }));
    const total = {
      startMb: totalOf(first),
      endMb: totalOf(last),
      trendMbPerMillionOps: roundTo(slope(totals) * 1_000_000, 1),
    };
    const viewChanges = this.cluster.viewChangesSince(this.eventsFrom);
    return { ops: last.ops - first.ops, millionOpRun, servers, total, samples: this.samples, viewChanges };
  }

  private read(ops: number): MemorySample {
    const rssMb: Record<Address, number> = {};
    for (const node of this.cluster.serverAddresses) {
      const pid = this.cluster.pidOf(node);
      const mb = pid === undefined ? null : readRssMb(pid);
      if (mb !== null) rssMb[node] = mb;
    }
    return { ops, rssMb };
  }
}

/** Least-squares slope of mb over ops; 0 with fewer than 3 points or no spread. */
export function slope(points: readonly { ops: number; mb: number }[]): number {
  if (points.length < 3) return 0;
  const meanOps = points.reduce((sum, point) => sum + point.ops, 0) / points.length;
  const meanMb = points.reduce((sum, point) => sum + point.mb, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const point of points) {
    covariance += (point.ops - meanOps) * (point.mb - meanMb);
    variance += (point.ops - meanOps) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}
