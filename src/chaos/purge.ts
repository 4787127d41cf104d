// `npm run chaos -- --purge`: deletes what chaos runs left behind when they
// were killed outright (their clusters' durable queues expire on their own,
// after 5 and 30 minutes). Only clusters named `chaos-…` none of whose actor
// queues has a consumer (nobody runs them) are touched. Needs rabbitmqctl to
// list names.
import { execFileSync } from "node:child_process";
import amqp from "amqplib";
import { rabbitmqctlTimeoutMs } from "./brokerControl.js";

const chaosClusterPattern = /^(chaos-[^.]+)\./;

export interface PurgeResult {
  clusters: string[];
  queues: number;
  exchanges: number;
  /** Clusters left alone: one of their nodes is running. */
  running: string[];
}

export async function purgeLeftovers(url: string): Promise<PurgeResult> {
  const rabbitmqctl = (args: string[]): string[] =>
    execFileSync("rabbitmqctl", ["-q", ...args], { encoding: "utf8", timeout: rabbitmqctlTimeoutMs })
      .split("\n")
      .filter((line) => line !== "");
  const queues = rabbitmqctl(["list_queues", "name", "consumers"]).map((line) => {
    const [name = "", consumers = "0"] = line.split("\t");
    return { name, consumers: Number(consumers) };
  });
  const exchanges = rabbitmqctl(["list_exchanges", "name"]);
  const clusterOf = (name: string): string | null => chaosClusterPattern.exec(name)?.[1] ?? null;
  const clusters = new Set([...queues.map((q) => clusterOf(q.name)), ...exchanges.map(clusterOf)]);
  clusters.delete(null);
  const running = [...clusters].filter((cluster) =>
    queues.some((queue) => queue.name.startsWith(`${cluster}.actor.`) && queue.consumers > 0),
  ) as string[];
  const doomed = new Set([...clusters].filter((cluster) => cluster !== null && !running.includes(cluster)));
  const result: PurgeResult = { clusters: [...doomed] as string[], queues: 0, exchanges: 0, running };
  if (doomed.size === 0) return result;
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) {
      if (!doomed.has(clusterOf(queue.name))) continue;
      await channel.deleteQueue(queue.name);
      result.queues += 1;
    }
    for (const exchange of exchanges) {
      if (!doomed.has(clusterOf(exchange))) continue;
      await channel.deleteExchange(exchange);
      result.exchanges += 1;
    }
  } finally {
    await connection.close().catch(() => {});
  }
  return result;
}
