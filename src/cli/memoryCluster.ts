// `npm run cluster -- --transport memory`: the protocol's nodes (for pb the
// view server and the servers) and a client in this one process on the in-memory network (src/memory), in real
// time, for a first look without any broker. Prints the same event lines as
// the broker cluster and reads commands (get, put, fault commands, …) from
// stdin; quit, Ctrl-C or the end of input stops everything and the process
// exits by itself.
import { MemoryCluster } from "../memory/cluster.js";
import { type ConsoleEnd, ReplConsole } from "../memory/console.js";
import { Repl } from "../memory/repl.js";
import {
  clockTime,
  CommandError,
  describeLayout,
  exitCodes,
  loggerFor,
  protocolConfig,
  protocolOf,
  type CommonOptions,
  type ProtocolOptions,
} from "./common.js";
import { EventPrinter } from "./eventPrinter.js";
import { Interrupt } from "./interrupt.js";

/** What `npm run cluster` was given, with either transport. */
export interface ClusterOptions extends CommonOptions, ProtocolOptions {
  servers: number;
  debug: boolean;
  restart: boolean;
  nodeLogs?: string;
  purge: boolean;
  ui?: string | true;
  transport: "broker" | "memory";
  /** Broker only; the memory transport runs in one process, with nothing to secure. */
  insecure: boolean;
  adminUrl?: string;
}

/** The longest commands wait for the cluster's first serving view at start. */
const readyWaitMsMax = 3_000;

export async function runMemoryCluster(options: ClusterOptions): Promise<number> {
  refuseBrokerOptions(options);
  const protocol = protocolOf(options);
  const config = protocolConfig(options);
  const log = loggerFor(options, "pbkv-memory");
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let console: ReplConsole | null = null;
  const say = (line: string): void => {
    if (console === null) process.stdout.write(`${line}\n`);
    else console.say(line);
  };
  const printer = new EventPrinter(protocol, say, config);
  const cluster = new MemoryCluster({
    protocol,
    servers: options.servers,
    config,
    checkInvariants: options.debug,
    cluster: options.cluster,
    onEvent: (event) => printer.print(event),
    logFor: (address) => log.child({ node: address }),
  });
  // Commands typed (or piped) at once would otherwise run before the cluster has its
  // redundancy, and a crash then could lose the service: they wait for a view the
  // protocol calls ready (pb: a primary and a backup; VR: replicas in status normal),
  // or give up waiting after a few seconds.
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  console = new ReplConsole(new Repl(cluster), {
    input: process.stdin,
    output: process.stdout,
    terminal,
    ready,
  });
  say(
    `pbkv cluster "${options.cluster}" in this process on an in-memory network (no broker): ${describeLayout(protocol, options.servers)}; type help; quit or Ctrl-C stops`,
  );
  // Everything is in this process: a forced exit (a second Ctrl-C) leaves nothing.
  const interrupt = new Interrupt().listen();
  void interrupt.received.then(() => console?.interrupt());
  let end: ConsoleEnd;
  try {
    const ended = console.run();
    cluster.start();
    void cluster.waitUntilReady(readyWaitMsMax).then((view) => {
      if (view === null && !cluster.isStopped)
        say(`no ready view within ${readyWaitMsMax} ms: commands run now (try: view)`);
      markReady();
    });
    end = await ended;
  } finally {
    interrupt.finish();
    cluster.stop();
  }
  // Nothing of the cluster is left to keep the process alive; stdin may still be open (quit on a pipe).
  process.stdin.pause();
  process.stdout.write(`${clockTime()} ${end}: cluster stopped\n`);
  return exitCodes.ok;
}

/** Options that only mean something with a broker: refused, so that nobody thinks they took effect. */
function refuseBrokerOptions(options: ClusterOptions): void {
  const given = [
    options.url !== undefined ? "--url" : null,
    options.ui !== undefined ? "--ui" : null,
    options.nodeLogs !== undefined ? "--node-logs" : null,
    options.purge ? "--purge" : null,
    options.adminUrl !== undefined ? "--admin-url" : null,
    options.restart ? null : "--no-restart",
  ].filter((flag) => flag !== null);
  if (given.length > 0) {
    throw new CommandError(
      `${given.join(", ")}: only with --transport broker (the memory transport runs every node in this process, without a broker)`,
      exitCodes.usage,
    );
  }
}
