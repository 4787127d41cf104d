// pbkv's public API: `import { connect } from "pbkv"`. Everything exported
// here is the package's contract (README "Use it from code").
export {
  connect,
  ConnectOptions,
  KvClient,
  poolSizeMax,
  type ClientStats,
  type View,
} from "./client/connect.js";
export {
  BrokerConnectionError,
  ClientClosedError,
  ClientFailedError,
  ClusterNotRunningError,
  InvalidOperationError,
  NoBrokerError,
  OperationTimeoutError,
  PbkvError,
  RefusedOperationError,
  SessionExpiredError,
} from "./client/errors.js";
export type { MemoryCluster } from "./memory/cluster.js";
