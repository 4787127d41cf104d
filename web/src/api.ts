// The browser's side of the dashboard API: one stream in, control commands out.
import type { ControlResponse, DashboardSummary, MessageSample } from "../../src/dashboard/protocol.js";

export interface StreamHandlers {
  onSummary(summary: DashboardSummary): void;
  onMessages(samples: MessageSample[]): void;
  onConnection(open: boolean): void;
}

/** Follows `/api/stream`; EventSource reconnects on its own (the server says `retry: 1000`). */
export function followStream(handlers: StreamHandlers): EventSource {
  const source = new EventSource("api/stream");
  source.addEventListener("open", () => handlers.onConnection(true));
  source.addEventListener("error", () => handlers.onConnection(false));
  source.addEventListener("summary", (event) => {
    handlers.onSummary(JSON.parse((event as MessageEvent<string>).data) as DashboardSummary);
  });
  source.addEventListener("messages", (event) => {
    handlers.onMessages(JSON.parse((event as MessageEvent<string>).data) as MessageSample[]);
  });
  return source;
}

/** Posts a control command; the server validates it with the control schema before publishing. */
export async function postControl(command: unknown): Promise<ControlResponse> {
  try {
    const response = await fetch("api/control", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(command),
    });
    return (await response.json()) as ControlResponse;
  } catch (error) {
    return { ok: false, error: `the dashboard server did not answer: ${(error as Error).message}` };
  }
}
