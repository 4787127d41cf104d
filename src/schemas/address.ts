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
