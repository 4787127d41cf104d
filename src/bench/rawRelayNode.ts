// One node of the benchmark's raw relay (src/bench/rawRelay.ts), its own
// process: plain amqplib and JSON, nothing of pbkv's runtime (no envelope, no
// zod, no fault layer, no corked writes, no logging). The primary relays each
// client request to the backup, the backup echoes it, the primary answers the
// client: the four hops of a replicated write at the broker's own cost.
//
//   node --import tsx src/bench/rawRelayNode.ts --url URL --cluster NAME --role primary|backup
import amqp from "amqplib";

const prefetch = 256;

interface Relayed {
  op: unknown;
  client: string;
  id: string;
}

function argument(name: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : undefined;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

async function main(): Promise<void> {
  const url = argument("url");
  const cluster = argument("cluster");
  const role = argument("role");
  if (role !== "primary" && role !== "backup") throw new Error(`--role primary|backup, not ${role}`);
  const primaryQueue = `${cluster}.raw.primary`;
  const backupQueue = `${cluster}.raw.backup`;
  const connection = await amqp.connect(url, { noDelay: true });
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  const ownQueue = role === "primary" ? primaryQueue : backupQueue;
  // Exclusive: gone with this process, however it ends.
  await channel.assertQueue(ownQueue, { exclusive: true, durable: false });
  const publish = (queue: string, body: Relayed | { value: string }, options: amqp.Options.Publish): void =>
    void channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)), options);
  await channel.consume(ownQueue, (message) => {
    if (message === null) return;
    channel.ack(message);
    const properties = message.properties as { replyTo?: string; correlationId?: string; type?: string };
    if (role === "backup") {
      publish(primaryQueue, JSON.parse(message.content.toString()) as Relayed, { type: "ack" });
    } else if (properties.type === "ack") {
      const relayed = JSON.parse(message.content.toString()) as Relayed;
      publish(relayed.client, { value: "" }, { correlationId: relayed.id });
    } else {
      const request = JSON.parse(message.content.toString()) as { op: unknown };
      const relayed = {
        op: request.op,
        client: properties.replyTo ?? "",
        id: properties.correlationId ?? "",
      };
      publish(backupQueue, relayed, {});
    }
  });
  process.stdout.write("ready\n");
  const stop = (): void => void connection.close().finally(() => process.exit(0));
  process.once("SIGTERM", stop).once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`raw relay node: ${(error as Error).message}\n`);
  process.exit(70);
});
