/**
 * What `policyStudio.datapathPath` names, as a path on this machine (no
 * VS Code API, so it is unit-tested): empty is the datapath the extension
 * ships; `~/…` is under the home directory; a relative path is against the
 * workspace folder.
 */
import os from 'node:os';
import path from 'node:path';

export class DatapathPathError extends Error {}

export function datapathDirFromSetting(value: string, extensionPath: string, workspaceFolder: string | undefined): string {
  const v = value.trim();
  if (!v) return path.join(extensionPath, 'bpf');
  if (v === '~' || v.startsWith('~/')) return path.resolve(os.homedir(), v.slice(2));
  if (path.isAbsolute(v)) return path.resolve(v);
  if (!workspaceFolder) throw new DatapathPathError(`policyStudio.datapathPath "${v}" is relative, but no folder is open: use an absolute path.`);
  return path.resolve(workspaceFolder, v);
}
