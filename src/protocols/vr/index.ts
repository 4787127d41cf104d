export { vrProtocol } from "./protocol.js";
