import * as vscode from 'vscode';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Ctx> {
  try {
    ctx = await Ctx.create(context);
    return ctx;
  } catch (error) {
    // VS Code shows nothing when activate() throws: say it ourselves.
    const message = error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(`Policy Studio failed to start: ${message}`);
    throw error;
  }
}

export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
