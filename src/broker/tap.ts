// A queue of our own bound to some exchanges: how event subscribers and the
// chaos observer watch a cluster without the cluster depending on them.
import type { Channel, ConsumeMessage } from "amqplib";
import type { Attachment, BrokerConnection } from "./connection.js";

export interface TapBinding {
  exchange: string;
  routingKey: string;
}

/**
 * An exclusive, non-durable queue bound to `bindings` and consumed without
 * acks: it goes with our connection, and a lost copy costs nothing since the
 * cluster never waits on us. No message reaches `onMessage` after `stop`.
 */
export class Tap implements Attachment {
  private channel: Channel | null = null;
  private stopped = false;

  constructor(
    readonly queue: string,
    private readonly bindings: readonly TapBinding[],
    private readonly onMessage: (message: ConsumeMessage) => void,
  ) {}

  async attach(channel: Channel): Promise<void> {
    if (this.stopped) return;
    await channel.assertQueue(this.queue, { exclusive: true, durable: false, autoDelete: true });
    for (const binding of this.bindings)
      await channel.bindQueue(this.queue, binding.exchange, binding.routingKey);
    await channel.consume(
      this.queue,
      (message) => {
        if (message !== null && !this.stopped) this.onMessage(message);
      },
      { noAck: true },
    );
    this.channel = channel;
  }

  /** Stops receiving and deletes the queue (it would go with the connection anyway). */
  async stop(connection: BrokerConnection): Promise<void> {
    this.stopped = true;
    connection.remove(this);
    const channel = this.channel;
    this.channel = null;
    if (channel !== null && channel === connection.currentChannel()) {
      await channel.deleteQueue(this.queue).catch(() => {});
    }
  }
}
