import { z } from "zod";
import { addressLengthMax } from "./limits.js";

/**
 * Actor addresses double as RabbitMQ routing keys and queue-name suffixes, so
 * they are restricted to a safe alphabet: lower-case letters, digits, `-`, `_`.
 */
export const Address = z
  .string()
  .min(1)
  .max(addressLengthMax)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "an address is letters, digits, '-' and '_'");
export type Address = z.infer<typeof Address>;

export const viewServerAddress = "viewserver";

export function serverAddress(index: number): Address {
  return `server-${index}`;
}

export function isServerAddress(address: string): boolean {
  return /^server-[0-9]+$/.test(address);
}

export function isClientAddress(address: string): boolean {
  return address.startsWith("client-");
}

/**
 * The operator's client addresses (whoever runs the cluster: faults, status,
 * reconfigurations). In a secure cluster only the operator's broker user may
 * send as them (src/security/principal.ts).
 */
export const operatorClientPrefix = "client-operator-";

/** An address only the operator speaks as: its clients, and the simulated operator node (`operator`). */
export function isOperatorAddress(address: string): boolean {
  return address === "operator" || address.startsWith(operatorClientPrefix);
}
