// CPU profiles of bench processes without node flags (the supervisor starts
// nodes as `node --import tsx …`, and NODE_OPTIONS refuses --cpu-prof): the
// inspector's sampling profiler, written as a `.cpuprofile` file that Chrome
// DevTools and `scripts/bench-profile.ts` read.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** Sampling interval, microseconds (node --cpu-prof's default). */
const samplingIntervalUs = 1_000;

export interface CpuProfile {
  /** Stops sampling and writes the profile to the file given at the start. */
  stop(): Promise<void>;
}

export async function startCpuProfile(file: string): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
  await session.post("Profiler.start");
  let stopped = false;
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
