/** Error text for a notification: JSON-RPC errors carry the agent's message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
