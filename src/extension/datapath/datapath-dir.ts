/**
 * `policyStudio.datapathPath`: the bpf/ source directory the agent builds and
 * loads. Empty means the copy the extension ships; a user who hacks on the
 * datapath points it at their own copy (relative to the first workspace
 * folder, absolute, or `~/…`). The same directory is where Problems and the
 * verifier-log view find the C files a build names.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { DatapathPathError, datapathDirFromSetting } from './path-setting';

export const DATAPATH_PATH_SETTING = 'datapathPath';

/** The configured bpf/ directory, checked to hold the datapath's program (bpf_lxc.c). */
export function configuredDatapathDir(extensionPath: string): string {
  const value = vscode.workspace.getConfiguration('policyStudio').get<string>(DATAPATH_PATH_SETTING, '');
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  const dir = datapathDirFromSetting(value, extensionPath, folder);
  if (!fs.existsSync(path.join(dir, 'bpf_lxc.c'))) {
    throw new DatapathPathError(`policyStudio.datapathPath: ${dir} has no bpf_lxc.c (it must be a copy of the extension's bpf/ directory).`);
  }
  return dir;
}
