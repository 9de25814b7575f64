/**
 * Messages between the extension host and the flows webview, typed once for
 * both ends. The extension keeps the flow ring; the webview only renders it,
 * so a reloaded or hidden panel is refilled with `flows/reset`.
 */
import type { FlowEvent } from './flow-event';

export type FlowsToWebview =
  | { type: 'flows/reset'; flows: FlowEvent[] }
  | { type: 'flows/append'; flows: FlowEvent[] }
  | { type: 'status'; text: string };

export type FlowsFromWebview =
  | { type: 'ready' }
  | { type: 'reveal'; index: number; flow: FlowEvent }
  | { type: 'clear' };
