/**
 * `policy-studio import FILE.yaml`: CiliumNetworkPolicy / NetworkPolicy
 * manifests as policy language text on stdout; what could not be carried over
 * as `FILE.yaml:line: warning: …` on stderr. Exit 2 on usage or YAML errors.
 */
import * as fs from 'node:fs';
import { ManifestSyntaxError, importManifests } from '../language-server/interop/import-manifests.js';
import type { CommandIo } from './export-command.js';

export const IMPORT_USAGE = 'usage: policy-studio import FILE.yaml';

export async function runImportCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith('--')) { io.err(IMPORT_USAGE); return 2; }
  const file = argv[0]!;
  if (!fs.existsSync(file)) { io.err(`${file}: no such file`); return 2; }
  try {
    const result = importManifests(fs.readFileSync(file, 'utf8'), file);
    for (const warning of result.warnings) io.err(`${file}:${warning.line ?? 1}: warning: ${warning.message}`);
    io.out(result.text);
    return 0;
  } catch (err) {
    if (err instanceof ManifestSyntaxError) { io.err(err.message); return 2; }
    throw err;
  }
}
