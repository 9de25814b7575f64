/**
 * A one-line-per-marker list under the editor, like VS Code's Problems view:
 * the diagnostics the language server published, as Monaco markers.
 */
import type * as Monaco from '@codingame/monaco-vscode-editor-api';

export function showProblems(monaco: typeof Monaco, list: HTMLElement): void {
  const render = (): void => {
    const markers = monaco.editor.getModelMarkers({})
      .sort((a, b) => a.startLineNumber - b.startLineNumber || a.startColumn - b.startColumn);
    list.replaceChildren(...markers.map((marker) => {
      const row = document.createElement('div');
      row.className = severityName(monaco, marker.severity);
      row.textContent = `${marker.startLineNumber}:${marker.startColumn} ${row.className}: ${marker.message}`;
      return row;
    }));
    list.dataset.count = String(markers.length);
  };
  monaco.editor.onDidChangeMarkers(render);
  render();
}

function severityName(monaco: typeof Monaco, severity: Monaco.MarkerSeverity): string {
  switch (severity) {
    case monaco.MarkerSeverity.Error: return 'error';
    case monaco.MarkerSeverity.Warning: return 'warning';
    case monaco.MarkerSeverity.Info: return 'info';
    default: return 'hint';
  }
}
