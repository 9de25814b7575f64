/**
 * The flows webview's static body, shared by the panel and the webview
 * benchmark (which loads the same bundle in a plain Chromium page), so the
 * benchmark renders exactly what users see. No vscode import here.
 */
export const FLOWS_BODY = `
<div id="toolbar"></div>
<div id="header" class="flow-grid"><span>Time</span><span>Source</span><span>Destination</span><span>Port</span><span>Dir</span><span>Verdict</span><span>Reason</span><span>Rule</span></div>
<div id="rows"></div>
<div id="empty">No flows yet. Deploy the policy and run a probe.</div>
<div id="details"></div>`;
