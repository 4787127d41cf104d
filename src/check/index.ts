// The linearizability checker's public face, for the CLI, the simulator, the
// load generator and tests.
export { checkHistory, memoryBytesMaxDefault, sliceStepsDefault, statesPerKeyMax } from "./check.js";
export type { CheckOptions, CheckResult, CheckSummary, Violation } from "./check.js";
export { HistoryFileError, HistoryFormatError } from "./errors.js";
export { corruptOneRead, createRandom, generateHistory, neverWrittenValue } from "./generate.js";
export type { GenerateOptions } from "./generate.js";
export { renderHtml } from "./html.js";
export type { HtmlOptions } from "./html.js";
export { parseHistoryText, readHistoryFile } from "./parse.js";
export type { ParsedHistory } from "./parse.js";
export { prepareHistory } from "./prepare.js";
export type { Operation, PreparedHistory } from "./prepare.js";
export { HistoryRecorder } from "./recorder.js";
export type { ClientId, HistoryClock, RecordedOp } from "./recorder.js";
export { describeOperation, formatCheckResult } from "./report.js";
export type { HistoryEvent, HistoryFunction, HistoryEventType } from "../schemas/history.js";
