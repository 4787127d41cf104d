// The library's errors, one class per failure, each with `name` (stable, for
// logs and `instanceof`-free checks) and `cause` where there is one. What an
// error says about the operation is part of its contract:
// - OperationTimeoutError: no answer in time; a put or append may still take
//   effect later (the outcome is unknown).
// - SessionExpiredError: the servers had forgotten the client's session; a
//   put or append may have taken effect once (the outcome is unknown), never
//   again.
// - InvalidOperationError, ClientClosedError: the operation was not sent;
//   nothing happened.
// - RefusedOperationError: the servers refused it (an append past the value
//   limit); nothing happened.
import type { OpName } from "../schemas/op.js";

export { BrokerConnectionError } from "../broker/connection.js";
export { ClusterNotRunningError } from "../broker/clients.js";
export { NoBrokerError } from "../broker/discovery.js";

/** Base of the errors an operation ends with. */
export class PbkvError extends Error {
  override readonly name: string = "PbkvError";
}

/** No answer within the timeout: the operation may have happened, or may still happen. */
export class OperationTimeoutError extends PbkvError {
  override readonly name = "OperationTimeoutError";
  readonly outcome = "unknown";
  constructor(
    readonly operation: OpName | "view",
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(
      `${operation}: no answer within ${timeoutMs} ms; ${operation === "get" || operation === "view" ? "nothing was changed" : "the outcome is unknown (it may still take effect)"}`,
      options,
    );
  }
}

/**
 * The servers had forgotten the session of the client actor that ran the
 * operation (idle past the expiry, DESIGN §4.1): it was not run now, but an
 * earlier attempt may have run (the outcome is unknown). The next operation
 * opens a new session.
 */
export class SessionExpiredError extends PbkvError {
  override readonly name = "SessionExpiredError";
  readonly outcome = "unknown";
  constructor(readonly operation: OpName) {
    super(
      `${operation}: the servers had forgotten this client's session (SessionExpired); ${operation === "get" ? "nothing was changed" : "the outcome is unknown (it may have taken effect once, never more)"}`,
    );
  }
}

/** A key or value outside the store's bounds (or not a string): the operation was not sent. */
export class InvalidOperationError extends PbkvError {
  override readonly name = "InvalidOperationError";
  readonly outcome = "not sent";
}

/** The servers refused the operation (an append past the value limit): nothing changed. */
export class RefusedOperationError extends PbkvError {
  override readonly name = "RefusedOperationError";
  readonly outcome = "refused";
}

/** The client was closed before the operation was sent: nothing happened. */
export class ClientClosedError extends PbkvError {
  override readonly name = "ClientClosedError";
  readonly outcome = "not sent";
  constructor(operation: OpName | "view") {
    super(`${operation}: the client is closed; the operation was not sent`);
  }
}

/** A client actor broke one of its invariants (a bug in pbkv): the client stops serving. */
export class ClientFailedError extends PbkvError {
  override readonly name = "ClientFailedError";
}
