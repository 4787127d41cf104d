import { pbProtocol } from "./pb/index.js";
import { vrProtocol } from "./vr/index.js";
import { chainProtocol } from "./chain/index.js";
import type { AnyProtocol } from "./protocol.js";

// Every protocol pbkv runs, by `--protocol` name. A driver takes one of these
// and reaches it only through the Protocol interface.

const protocols: ReadonlyMap<string, AnyProtocol> = new Map<string, AnyProtocol>([
  [pbProtocol.name, pbProtocol as AnyProtocol],
  [vrProtocol.name, vrProtocol as AnyProtocol],
  [chainProtocol.name, chainProtocol as AnyProtocol],
]);

export const defaultProtocolName = "pb";

export function protocolNames(): string[] {
  return [...protocols.keys()];
}

/** The protocol named `name`; a readable Error naming the choices when there is none. */
export function protocolNamed(name: string): AnyProtocol {
  const protocol = protocols.get(name);
  if (protocol === undefined)
    throw new Error(`no protocol "${name}" (protocols: ${protocolNames().join(", ")})`);
  return protocol;
}
