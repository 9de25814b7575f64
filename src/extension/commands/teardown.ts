import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { messageOf } from './register';

export async function teardown(ctx: Ctx): Promise<boolean> {
  try {
    const session = await ctx.ensureSession();
    await session.teardown();
    ctx.status.set('connected', 'The lab was torn down.');
    void vscode.window.showInformationMessage('Policy Studio: lab torn down.');
    return true;
  } catch (error) {
    void vscode.window.showErrorMessage(`Policy Studio: teardown failed: ${messageOf(error)}`);
    return false;
  }
}
