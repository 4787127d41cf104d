export { chainProtocol } from "./protocol.js";
