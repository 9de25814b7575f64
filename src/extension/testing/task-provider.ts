/**
 * Tasks of type `policy-studio`: `policy-studio test` over the workspace's
 * policy files (statically, or `--live` in a local lab), so expectations run
 * from Tasks: Run Task, a tasks.json, or CI. The CLI's FAIL lines become
 * problems through the `$policy-studio` matcher.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

export const TASK_TYPE = 'policy-studio';

export interface PolicyStudioTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  /** Only `test` for now. */
  command: 'test';
  /** Policy files relative to the workspace folder; all `**\/*.policy` when absent. */
  files?: string[];
  live?: boolean;
  /** Lab of a live run (^[a-z][a-z0-9]{0,7}$). */
  lab?: string;
}

export class PolicyStudioTaskProvider implements vscode.TaskProvider {
  constructor(private readonly cliPath: string) {}

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const files = await policyFiles(folder);
      if (!files.length) continue;
      tasks.push(this.build(folder, { type: TASK_TYPE, command: 'test' }, files));
      tasks.push(this.build(folder, { type: TASK_TYPE, command: 'test', live: true }, files));
    }
    return tasks;
  }

  async resolveTask(task: vscode.Task): Promise<vscode.Task | undefined> {
    const definition = task.definition as PolicyStudioTaskDefinition;
    if (definition.type !== TASK_TYPE) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const files = definition.files?.length ? definition.files : await policyFiles(folder);
    return this.build(folder, definition, files, task.name);
  }

  /** Arguments as an array, never a shell string: file names come from the workspace. */
  build(folder: vscode.WorkspaceFolder, definition: PolicyStudioTaskDefinition, files: string[], name?: string): vscode.Task {
    const args = [this.cliPath, 'test', ...files];
    if (definition.live) args.push('--live');
    if (definition.lab) args.push('--lab', definition.lab);
    // In desktop VS Code the extension host's executable is Electron: run it as plain Node.
    const execution = new vscode.ProcessExecution(process.execPath, args, { cwd: folder.uri.fsPath, env: { ELECTRON_RUN_AS_NODE: '1' } });
    const task = new vscode.Task(definition, folder, name ?? (definition.live ? 'test --live' : 'test'), TASK_TYPE, execution, ['$policy-studio']);
    task.group = vscode.TaskGroup.Test;
    task.detail = definition.live ? 'Run the expect lines as real probes in a local lab (root)' : 'Run the expect lines through the static evaluator';
    return task;
  }
}

async function policyFiles(folder: vscode.WorkspaceFolder): Promise<string[]> {
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*.policy'), '**/node_modules/**');
  return uris.map((u) => path.relative(folder.uri.fsPath, u.fsPath)).sort();
}
