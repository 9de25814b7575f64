/**
 * The playground page: monaco-vscode-api (through monaco-languageclient's
 * wrappers) for the editor, and a language client talking to the policy
 * language server running in a web worker (src/language-server/main-browser.ts,
 * bundled next to this page as policy-server.worker.js).
 */
import * as monaco from '@codingame/monaco-vscode-editor-api';
import { EditorApp, type EditorAppConfig } from 'monaco-languageclient/editorApp';
import { LanguageClientWrapper, type LanguageClientConfig } from 'monaco-languageclient/lcwrapper';
import { MonacoVscodeApiWrapper, type MonacoVscodeApiConfig } from 'monaco-languageclient/vscodeApiWrapper';
import { configureDefaultWorkerFactory } from 'monaco-languageclient/workerFactory';
import * as vscode from 'vscode';
import example from '../../examples/shop.policy?raw';
import { POLICY_LANGUAGE_ID, policyExtension } from './policy-extension';
import { showProblems } from './problems';

const DOCUMENT_URI = '/workspace/shop.policy';

const status = document.getElementById('status')!;
function setStatus(state: 'starting' | 'ready' | 'error', text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

async function start(): Promise<void> {
  const apiConfig: MonacoVscodeApiConfig = {
    $type: 'extended',
    viewsConfig: { $type: 'EditorService' },
    userConfiguration: {
      json: JSON.stringify({
        'workbench.colorTheme': 'Default Dark Modern',
        // Completion should come from the language server, not from words in the file.
        'editor.wordBasedSuggestions': 'off',
        'editor.hover.delay': 300,
      }),
    },
    extensions: [policyExtension],
    monacoWorkerFactory: configureDefaultWorkerFactory,
  };
  await new MonacoVscodeApiWrapper(apiConfig).start();

  // The worker URL is built at run time: the server bundle is produced by
  // esbuild next to the page, not by Vite.
  const serverUrl = new URL('policy-server.worker.js', document.baseURI);
  const worker = new Worker(serverUrl, { type: 'module', name: 'policy-language-server' });
  const clientConfig: LanguageClientConfig = {
    languageId: POLICY_LANGUAGE_ID,
    connection: { options: { $type: 'WorkerDirect', worker } },
    clientOptions: {
      documentSelector: [POLICY_LANGUAGE_ID],
      workspaceFolder: { index: 0, name: 'workspace', uri: vscode.Uri.file('/workspace') },
    },
  };
  await new LanguageClientWrapper(clientConfig).start();

  const editorConfig: EditorAppConfig = {
    codeResources: { modified: { text: example, uri: DOCUMENT_URI } },
    editorOptions: { automaticLayout: true, minimap: { enabled: false } },
  };
  const editorApp = new EditorApp(editorConfig);
  await editorApp.start(document.getElementById('editor')!);

  const editor = editorApp.getEditor();
  if (!editor) throw new Error('the editor did not start');
  showProblems(monaco, document.getElementById('problems')!);
  // A handle for the browser test to find screen positions of text; all
  // interaction in the test still goes through real mouse and keyboard input.
  (window as unknown as { playground: unknown }).playground = { monaco, editor };
  setStatus('ready', 'Language server running in a web worker');
}

start().catch((error: unknown) => {
  console.error(error);
  setStatus('error', `Failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
