// Named bounds for everything that arrives from the outside. Relations between
// them are asserted once, below, so a change that breaks one fails at load.

/** Longest actor address, e.g. `server-12` or `client-V1StGXR8_Z5jdHi6B-myT`. */
export const addressLengthMax = 64;
/** Longest key a client may use. */
export const keyLengthMax = 256;
/** Longest value in one put or append. */
export const valueLengthMax = 64 * 1024;
/** Largest encoded message any actor accepts (the broker refuses bigger ones too). */
export const messageBytesMax = 1024 * 1024;
/** Most operations carried by one Forward. */
export const forwardBatchMax = 64;
/** Most keys in a state-transfer snapshot (the transfer must fit in one message). */
export const snapshotEntriesMax = 100_000;

if (keyLengthMax + valueLengthMax >= messageBytesMax) {
  throw new Error("limits: one key and value must fit in a message");
}
