/** "Deploy" and "Show Flows" above every policy declaration. */
import * as vscode from 'vscode';

const policyLine = /^\s*policy\s+[A-Za-z_][\w-]*/;

export class PolicyCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    for (let line = 0; line < document.lineCount; line++) {
      if (!policyLine.test(document.lineAt(line).text)) continue;
      const range = new vscode.Range(line, 0, line, 0);
      lenses.push(
        new vscode.CodeLens(range, { title: '$(cloud-upload) Deploy', command: 'policyStudio.deploy' }),
        new vscode.CodeLens(range, { title: '$(pulse) Show Flows', command: 'policyStudio.showFlows' }),
      );
    }
    return lenses;
  }
}
