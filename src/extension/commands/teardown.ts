import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { messageOf } from './message-of';
import { requireSession, requireTrust } from './require-trust';

export async function teardown(ctx: Ctx): Promise<boolean> {
  if (!requireTrust('Tear Down Lab')) return false;
  try {
    const session = await requireSession(ctx, 'Tearing down the lab');
    if (!session) return false;
    await session.teardown();
    ctx.status.set('connected', 'The lab was torn down.');
    void vscode.window.showInformationMessage('Policy Studio: lab torn down.');
    return true;
  } catch (error) {
    void vscode.window.showErrorMessage(`Policy Studio: teardown failed: ${messageOf(error)}`);
    return false;
  }
}
