export * from './policy-ir';
export * from './flow-event';
export * from './drop-reasons';
export * from './agent-rpc';
export * from './webview-messages';
export * from './language-rpc';
