// The one entry to primary/backup from outside this folder (the registry).
export { pbProtocol } from "./protocol.js";
