/**
 * Which build of the extension the UI tests install: the packaged VSIX when
 * `npm run package` produced one (what users get), otherwise the built repo
 * folder (`npm run build`). POLICY_STUDIO_TEST_VSIX=path forces a VSIX,
 * POLICY_STUDIO_TEST_VSIX=none forces the folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_ROOT } from './browser';
import { REPO_ROOT, type ExtensionSource } from './vscode-server';

export const DEFAULT_VSIX = path.join(REPO_ROOT, 'dist', 'ebpf-policy-studio.vsix');

export function extensionUnderTest(): ExtensionSource {
  const forced = process.env.POLICY_STUDIO_TEST_VSIX;
  if (forced === 'none') return { folder: REPO_ROOT };
  if (forced) return { vsix: path.resolve(forced) };
  if (fs.existsSync(DEFAULT_VSIX)) return { vsix: DEFAULT_VSIX };
  return { folder: REPO_ROOT };
}

/** test-results/e2e/<name>/, emptied first so screenshots are from this run only. */
export function e2eArtifactsDir(name: string): string {
  const dir = path.join(ARTIFACTS_ROOT, 'e2e', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
