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
    for (const id of ['policyStudio.deploy', 'policyStudio.probe', 'policyStudio.showFlows', 'policyStudio.teardown']) {
      assert.ok(commands.includes(id), `command ${id} is registered`);
    }
  });
});
