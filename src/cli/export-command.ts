/**
 * `policy-studio export --format cilium|k8s FILES…`: the files' policies as a
 * YAML stream on stdout; what the format cannot express as
 * `file:line: warning: …` on stderr. Exit 2 on usage or compile errors.
 */
import * as fs from 'node:fs';
import { compileFiles } from '../language-server/compile-workspace.js';
import { EXPORT_FORMATS, exportBundle, type ExportFormat } from '../language-server/interop/export-manifests.js';
import { SourcePaths } from './report.js';

export interface CommandIo { out: (text: string) => void; err: (line: string) => void }

export const EXPORT_USAGE = 'usage: policy-studio export --format cilium|k8s FILES…';

export async function runExportCommand(argv: string[], io: CommandIo): Promise<number> {
  let format: ExportFormat | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--format') {
      const value = argv[++i];
      if (!EXPORT_FORMATS.includes(value as ExportFormat)) { io.err(`--format must be one of ${EXPORT_FORMATS.join(', ')}\n${EXPORT_USAGE}`); return 2; }
      format = value as ExportFormat;
    } else if (arg.startsWith('--')) { io.err(`unknown option ${arg}\n${EXPORT_USAGE}`); return 2; }
    else files.push(arg);
  }
  if (!format || files.length === 0) { io.err(EXPORT_USAGE); return 2; }
  for (const file of files) if (!fs.existsSync(file)) { io.err(`${file}: no such file`); return 2; }

  const compiled = await compileFiles(files);
  const paths = new SourcePaths(files);
  const errors = compiled.problems.filter((p) => p.severity === 'error');
  for (const problem of errors) io.err(paths.problem(problem));
  if (errors.length) return 2;

  const result = exportBundle(compiled.bundle, format);
  for (const warning of result.warnings) io.err(`${warning.source ? paths.line(warning.source) : files[0]}: warning: ${warning.message}`);
  io.out(result.yaml);
  return 0;
}
