// Client groups (DESIGN §4.2): the client actors of one connection (a
// BrokerClients: the bench's closed loop, the library's pool, the gateway)
// share one queue, their inbox. Their addresses say so: `<group>--<n>`, where
// the group is itself a fresh client address of the connection's user (whose
// random part has no `-`, so no other address ends that way). Nodes publish
// what they send a member with the group as routing key, so the replies a
// primary sends the members in one turn go out as one wire batch, one publish
// and one delivery instead of one each. The inbox hands each envelope to the
// member it is addressed to, whose host checks it as if it came alone; on a
// secure cluster the group is an address the user may bind (topic
// permissions), so no one else can read a member's messages.
import type { Channel, ConsumeMessage } from "amqplib";
import type { Address } from "../schemas/address.js";
import { messageBytesMax } from "../schemas/limits.js";
import type { Attachment } from "./connection.js";
import type { RejectReporter } from "./rejectReporter.js";
import { actorQueueOptions, type ClusterNames } from "./topology.js";
import { decodeWireContent } from "./wireBatch.js";

const memberPattern = /^(client-.*[^-])--([0-9]+)$/;

/** The address of member `n` of `group`. */
export function groupMemberAddress(group: Address, n: number): Address {
  return `${group}--${n}`;
}

/** The routing key of what is sent to `address` on `<c>.net`: its group's for a member, else itself. */
export function netRoutingKey(address: Address): string {
  return memberPattern.exec(address)?.[1] ?? address;
}

/** A member's host: takes the envelopes the inbox received for it. */
export interface InboxMember {
  readonly address: Address;
  /** `items`: unvalidated envelopes addressed (by their `to`) to this member, in arrival order. */
  receive(items: readonly unknown[], user: string | undefined): void;
}

export class ClientInbox implements Attachment {
  private readonly members = new Map<Address, InboxMember>();
  /** Deliveries refused whole (oversized, not JSON, a malformed batch). */
  refused = 0;
  /** Envelopes for no member: a retired client's late reply (counted only), or misaddressed or no envelope at all (refused). */
  unclaimed = 0;

  constructor(
    private readonly names: ClusterNames,
    readonly group: Address,
    /** Reports, as the group's address, what no member could judge (src/broker/rejectReporter.ts). */
    private readonly rejects: RejectReporter,
  ) {}

  join(member: InboxMember): void {
    this.members.set(member.address, member);
  }

  leave(member: InboxMember): void {
    if (this.members.get(member.address) === member) this.members.delete(member.address);
  }

  /** An exclusive queue bound to the group's key, consumed without acks like any client queue. */
  async attach(channel: Channel): Promise<void> {
    const queue = this.names.actorQueue(this.group);
    await channel.assertQueue(queue, actorQueueOptions(this.names, true));
    await channel.bindQueue(queue, this.names.net, this.group);
    await channel.consume(queue, (message) => this.onDelivery(message), { exclusive: true, noAck: true });
  }

  private onDelivery(message: ConsumeMessage | null): void {
    if (message === null) return; // the queue went (the connection closes); recovery declares it again
    const bytes = message.content.length;
    const decoded =
      bytes > messageBytesMax
        ? { kind: "invalid" as const, reason: `oversized: ${bytes} bytes (limit ${messageBytesMax})` }
        : decodeWireContent(message.content.toString("utf8"));
    if (decoded.kind === "invalid") {
      this.refused += 1;
      this.rejects.report(message.content, "actor", decoded.reason);
      return;
    }
    const items = decoded.kind === "one" ? [decoded.data] : decoded.items;
    const user = message.properties.userId as string | undefined;
    const byMember = new Map<InboxMember, unknown[]>();
    for (const item of items) {
      const to = (item as { to?: unknown } | null)?.to;
      const member = typeof to === "string" ? this.members.get(to) : undefined;
      if (member === undefined) {
        this.unclaimed += 1;
        // A member that left (a retired client's late reply) is gone like a deleted queue: counted only.
        if (typeof to === "string" && netRoutingKey(to) === this.group) continue;
        const reason = `addressed to ${typeof to === "string" ? to : "no one"}, not to a client of ${this.group}`;
        this.rejects.report(Buffer.from(JSON.stringify(item) ?? "undefined"), "actor", reason);
        continue;
      }
      const own = byMember.get(member);
      if (own === undefined) byMember.set(member, [item]);
      else own.push(item);
    }
    for (const [member, own] of byMember) member.receive(own, user);
  }
}
