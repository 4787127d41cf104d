// The timings every chain scenario runs with (the search's clock stays at 0,
// so only ratios count, and no session ever expires): the least
// makeChainConfig allows around the ping interval.
export const timings = { pingMs: 25, pingCheckMs: 50, clientRetryMs: 100, sessionExpiryMs: 400 };
