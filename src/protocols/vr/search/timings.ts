// The timings every VR scenario runs with (the search's clock stays at 0, so
// only ratios count): three silent ticks make a view change (the least
// makeVrConfig allows, so the search reaches one in few steps), and the
// primary's session expiry check comes every other tick (its countdown is
// part of the state: a longer one multiplies states for nothing, since no
// session ever expires at time 0).
export const timings = { tickMs: 100, viewChangeTimeoutMs: 300, clientRetryMs: 100, sessionExpiryMs: 400 };
