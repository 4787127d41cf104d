export * from "./assert.js";
export * from "./client.js";
export * from "./config.js";
export * from "./context.js";
export * from "./describe.js";
export * from "./server.js";
export * from "./viewServer.js";
