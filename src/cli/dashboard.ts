// `npm run dashboard -- [--cluster NAME] [--port 8080]`: a live web page for a
// running cluster — views and why they changed, every node's role, liveness
// and counters, a space-time diagram of sampled messages (drops, delays and
// duplicates marked), fault controls, throughput and latency, and the
// checker's verdict on the last `npm run load`. Ctrl-C stops it.
import { Command, InvalidArgumentError, Option } from "commander";
import { brokerUserOfUrl, redactUrl } from "../broker/connection.js";
import { defaultPort, startDashboard } from "../dashboard/server.js";
import { parsePort, samplesPerSecondDefault } from "../dashboard/ui.js";
import { protocolNamed } from "../protocols/registry.js";
import {
  addClientTimingOptions,
  addCommonOptions,
  clockTime,
  findBroker,
  loggerFor,
  namesOf,
  protocolConfig,
  positiveInt,
  exitCodes,
  requireOperator,
  runCommand,
  type CommonOptions,
  type ProtocolOptions,
  quietOnBrokenPipe,
  usageExitCodes,
} from "./common.js";
import { Interrupt } from "./interrupt.js";

interface DashboardCliOptions extends CommonOptions, ProtocolOptions {
  port: number;
  host: string;
  tap: boolean;
  samplesPerSecond: number;
}

function portNumber(text: string): number {
  const port = parsePort(text);
  if (port === null) throw new InvalidArgumentError("expected a port number (0-65535; 0 picks a free one)");
  return port;
}

const program = new Command("dashboard")
  .description("serve a live web dashboard of a running cluster on localhost; Ctrl-C stops it")
  .addOption(
    new Option("--port <port>", "HTTP port (0: any free one)").argParser(portNumber).default(defaultPort),
  )
  .option(
    "--host <address>",
    "address to listen on (anything but loopback exposes the fault controls)",
    "127.0.0.1",
  )
  .option("--no-tap", "do not sample messages (no space-time diagram, no latency): events only")
  .addOption(
    new Option(
      "--samples-per-second <n>",
      "messages drawn per second (ordinary; as many again lost, delayed or duplicated)",
    )
      .argParser(positiveInt)
      .default(samplesPerSecondDefault),
  );
addCommonOptions(program);
addClientTimingOptions(program);
program.action((options: DashboardCliOptions) => runCommand(() => runDashboard(options)));

async function runDashboard(options: DashboardCliOptions): Promise<number> {
  const interrupt = new Interrupt().listen(); // nothing to leave behind: its queues are exclusive
  const names = namesOf(options);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const log = loggerFor(options, "pbkv-dashboard").child({ cluster: names.cluster });
  const broker = await findBroker(options, false, say);
  requireOperator(names.cluster, brokerUserOfUrl(broker.url), "the dashboard");
  const dashboard = await startDashboard({
    protocol: protocolNamed(options.protocol),
    names,
    url: broker.url,
    host: options.host,
    port: options.port,
    tap: options.tap,
    samplesPerSecond: options.samplesPerSecond,
    clientRetryMs: options.clientRetryMs,
    config: protocolConfig(options),
    log,
    say,
  });
  say(
    `pbkv dashboard for cluster "${names.cluster}" on ${redactUrl(broker.url)}: ${dashboard.url}  (Ctrl-C stops)`,
  );
  const signal = await interrupt.received;
  say(`${clockTime()} ${signal}: stopping the dashboard`);
  await dashboard.close();
  interrupt.finish();
  say(`${clockTime()} stopped: web server closed, its broker connection and queues gone`);
  return exitCodes.ok;
}

quietOnBrokenPipe();
await usageExitCodes(program).parseAsync();
