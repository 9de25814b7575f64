/**
 * The webview side of the host channel, typed by the view's message unions
 * (src/protocol/webview-messages.ts) so neither end can send what the other
 * does not expect. acquireVsCodeApi may be called once per page.
 */
interface RawVsCodeApi { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void }
declare function acquireVsCodeApi(): RawVsCodeApi;

export interface HostChannel<ToHost, FromHost, State> {
  post(message: ToHost): void;
  onMessage(handler: (message: FromHost) => void): void;
  /** The view state VS Code keeps across hide/show and reload (WebviewPanelSerializer), merged over defaults. */
  state(defaults: State): State;
  saveState(state: State): void;
}

let raw: RawVsCodeApi | undefined;

export function hostChannel<ToHost, FromHost, State>(): HostChannel<ToHost, FromHost, State> {
  raw ??= acquireVsCodeApi();
  const api = raw;
  return {
    post: (message) => api.postMessage(message),
    onMessage: (handler) => window.addEventListener('message', (event: MessageEvent<FromHost>) => handler(event.data)),
    state: (defaults) => ({ ...defaults, ...(api.getState() as Partial<State> | undefined) }),
    saveState: (state) => api.setState(state),
  };
}
