// The sending half of wire batches (src/broker/wireBatch.ts, DESIGN §4.2):
// what the hosts of one connection send to one destination during a turn of
// the event loop is held until the turn ends (process.nextTick, which runs
// after the promise continuations of the turn: a closed loop's next requests
// are all in by then), then published as few messages as the bounds allow.
// A lone message goes out as it came, with its own properties, so one client
// pays no more than the tick.
import type { Options } from "amqplib";
import { packBatches, type WireBatchBounds, wireBatchBounds } from "./wireBatch.js";

export type Publish = (
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
) => boolean;

interface Pending {
  exchange: string;
  routingKey: string;
  contents: Buffer[];
  /** The properties of each message, used when it goes alone. */
  options: Options.Publish[];
}

/** The AMQP `type` of a batch (informational: receivers tell a batch by its content). */
export const batchMessageType = "batch";

export class SendBatcher {
  private readonly pending = new Map<string, Pending>();
  private scheduled = false;
  /** AMQP messages that carried more than one envelope, and the envelopes they carried. */
  batchesSent = 0;
  batchedEnvelopes = 0;

  constructor(
    private readonly publish: Publish,
    private readonly bounds: WireBatchBounds = wireBatchBounds,
  ) {}

  /** Holds the message until the end of the turn. */
  send(exchange: string, routingKey: string, content: Buffer, options: Options.Publish): void {
    const key = `${exchange}\n${routingKey}`;
    let group = this.pending.get(key);
    if (group === undefined) {
      group = { exchange, routingKey, contents: [], options: [] };
      this.pending.set(key, group);
    }
    group.contents.push(content);
    group.options.push(options);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /** Publishes everything held, per destination in sending order. */
  flush(): void {
    this.scheduled = false;
    const groups = [...this.pending.values()];
    this.pending.clear();
    for (const group of groups) this.publishGroup(group);
  }

  private publishGroup(group: Pending): void {
    const { exchange, routingKey, contents } = group;
    const only = contents.length === 1 ? contents[0] : undefined;
    if (only !== undefined) {
      // The common case at low load: as it came, with no packing.
      this.publish(exchange, routingKey, only, group.options[0] ?? {});
      return;
    }
    for (const { content, first, count } of packBatches(contents, this.bounds)) {
      if (count === 1) {
        // Alone (the only one, or too large to share): as it came, with its own properties.
        this.publish(exchange, routingKey, content, group.options[first] ?? {});
        continue;
      }
      this.batchesSent += 1;
      this.batchedEnvelopes += count;
      this.publish(exchange, routingKey, content, {
        contentType: "application/json",
        type: batchMessageType,
      });
    }
  }
}
