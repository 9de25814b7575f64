/** The extension activates on a .policy file, which gets the `policy` language id. */
import * as assert from 'node:assert/strict';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, openShopPolicy, waitFor } from './helpers';

suite('activation', () => {
  test('a .policy file opens as language "policy" and activates the extension', async () => {
    const editor = await openShopPolicy();
    assert.equal(editor.document.languageId, 'policy');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is loaded`);
    await waitFor('extension activation', () => (extension.isActive ? true : undefined));
    const commands = await vscode.commands.getCommands(true);
    // Every command the palette lists (package.json) is registered, and the extension registers no other.
    const contributed: string[] = (extension.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const missing = contributed.filter((id) => !commands.includes(id));
    assert.deepEqual(missing, [], 'every contributed command is registered');
    // VS Code itself adds commands per contributed view (`<view id>.focus`, …): those are not the extension's.
    const viewIds = new Set(Object.values(extension.packageJSON.contributes.views ?? {}).flat().map((v) => (v as { id: string }).id));
    const undeclared = commands.filter((id) => id.startsWith('policyStudio.') && !contributed.includes(id) && !viewIds.has(id.slice(0, id.lastIndexOf('.'))) && !viewIds.has(id));
    assert.deepEqual(undeclared, [], 'every registered command is contributed');
  });
});
