/**
 * The questions an SSH connection asks the user: trust an unknown host key
 * (modal, with its fingerprint), and a key file's passphrase, which is kept in
 * SecretStorage (never in settings) and forgotten when it turns out wrong.
 */
import * as vscode from 'vscode';
import type { SshConnectHooks } from '../../client/ssh/ssh-connection';

const secretKey = (keyFile: string) => `policyStudio.ssh.passphrase:${keyFile}`;

export function sshPrompts(secrets: vscode.SecretStorage): SshConnectHooks {
  return {
    async trustUnknownHost(key) {
      const trust = 'Trust and Connect';
      const choice = await vscode.window.showWarningMessage(
        `The authenticity of host ${key.host}:${key.port} can't be established.`,
        { modal: true, detail: `${key.keyType} key fingerprint is ${key.fingerprint}.\nTrusting it records it in your known_hosts file.` },
        trust,
      );
      return choice === trust;
    },
    async passphrase(keyFile, retry) {
      if (!retry) {
        const stored = await secrets.get(secretKey(keyFile));
        if (stored !== undefined) return stored;
      } else {
        await secrets.delete(secretKey(keyFile));
      }
      const value = await vscode.window.showInputBox({
        title: 'Policy Studio: SSH key passphrase',
        prompt: `${retry ? 'Wrong passphrase. ' : ''}Passphrase for ${keyFile} (kept in VS Code's secret storage)`,
        password: true,
        ignoreFocusOut: true,
      });
      if (value !== undefined) await secrets.store(secretKey(keyFile), value);
      return value;
    },
  };
}
