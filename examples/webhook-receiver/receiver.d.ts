import type { IncomingMessage, ServerResponse } from "node:http";

/** An event as tongxing sends it (README, "Events"). */
export interface TongxingEvent {
  type: string;
  /** ISO 8601: when tongxing recorded the change. */
  timestamp: string;
  data: { userId: number } & Record<string, unknown>;
}

export function webhookHandler(options: {
  secret: string;
  onEvent: (event: TongxingEvent, id: string) => unknown;
  seen?: Set<string>;
}): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
