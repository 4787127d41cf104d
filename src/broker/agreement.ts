import type { Address } from "../schemas/address.js";
import type { ClusterEvent } from "../schemas/clusterEvents.js";

// The checker of the protocol's state agreement on the broker (DESIGN §9):
// nodes run with --debug publish (point, digest) as their state moves; two
// nodes at the same point must hold the same digest. It needs no consistent
// cut, so it works across processes whatever the timing of the events.

type AgreementEvent = Extract<ClusterEvent, { type: "agreement" }>;

export interface Disagreement {
  name: string;
  point: string;
  first: { node: Address; digest: string };
  second: { node: Address; digest: string };
}

/** Points remembered; beyond this the oldest are forgotten (a long run's memory stays bounded). */
export const agreementPointsMax = 100_000;

export class AgreementChecker {
  readonly disagreements: Disagreement[] = [];
  /** Times a node reached a point another node had published (with the same digest or not). */
  compared = 0;
  private readonly firstAt = new Map<string, { node: Address; digest: string }>();

  /** The disagreement this event shows, or null. */
  check(event: AgreementEvent): Disagreement | null {
    const key = `${event.name}\u0000${event.point}`;
    const first = this.firstAt.get(key);
    if (first === undefined) {
      if (this.firstAt.size >= agreementPointsMax) this.firstAt.delete(this.firstAt.keys().next().value!);
      this.firstAt.set(key, { node: event.node, digest: event.digest });
      return null;
    }
    if (first.node !== event.node) this.compared += 1;
    if (first.digest === event.digest) return null;
    const disagreement = {
      name: event.name,
      point: event.point,
      first,
      second: { node: event.node, digest: event.digest },
    };
    this.disagreements.push(disagreement);
    return disagreement;
  }
}

export function describeDisagreement(d: Disagreement): string {
  return `${d.name} broken at ${d.point}: ${d.first.node} held ${d.first.digest}, ${d.second.node} holds ${d.second.digest}`;
}
