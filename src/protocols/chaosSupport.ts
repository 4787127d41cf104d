// What chaos runs (src/chaos, src/sim/chaos.ts) ask of a protocol.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in as chaos becomes protocol-generic
export interface ChaosSupport {}
