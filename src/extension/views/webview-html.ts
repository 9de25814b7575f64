/**
 * The HTML shell every Policy Studio webview uses: a strict CSP with a fresh
 * crypto nonce per render (scripts run only with it; no inline styles or
 * eval), the view's bundle from dist/media and its stylesheet from media/.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'media'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** `view` names both dist/media/<view>.js and media/<view>.css; `body` is static markup (no user text). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: string, title: string, body: string): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'media', `${view}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', `${view}.css`));
  // vscode-elements' Lit components adopt constructable stylesheets, which style-src does not govern; 'unsafe-inline' is not needed.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource}; font-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${title}</title>
</head>
<body>
${body}
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
