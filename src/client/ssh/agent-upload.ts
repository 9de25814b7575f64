/**
 * Puts the agent bundle on an SSH target with SFTP into
 * `<base>/agent-<version>/`, where version is the bundle's content hash. A
 * `.bundle-version` marker, written last, says the copy is complete; when it
 * matches, nothing is uploaded. Other `agent-*` directories are older bundles
 * and are removed after a successful upload.
 */
import type { Client, SFTPWrapper } from 'ssh2';
import type { AgentBundle } from '../agent-bundle';
import { execCapture, openSftp } from './ssh-exec';

export interface UploadResult {
  /** Absolute directory on the target holding agent.js and bpf/. */
  dir: string;
  uploaded: boolean;
  bytes: number;
  removedOlder: string[];
}

const MARKER = '.bundle-version';

function sftpCall<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}

async function readText(sftp: SFTPWrapper, file: string): Promise<string | undefined> {
  try {
    return (await sftpCall<Buffer>((cb) => sftp.readFile(file, cb))).toString('utf8');
  } catch {
    return undefined;
  }
}

async function mkdirp(sftp: SFTPWrapper, dir: string): Promise<void> {
  const parts = dir.split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    try {
      await sftpCall<unknown>((cb) => sftp.stat(current, cb as never));
    } catch {
      await sftpCall<void>((cb) => sftp.mkdir(current, cb)).catch(async (e: Error) => {
        // A concurrent upload may have made it meanwhile.
        await sftpCall<unknown>((cb) => sftp.stat(current, cb as never)).catch(() => { throw e; });
      });
    }
  }
}

/** `~/x` and relative paths are resolved against the login directory on the target. */
export async function resolveRemoteDir(sftp: SFTPWrapper, dir: string): Promise<string> {
  if (dir.startsWith('/')) return dir.replace(/\/+$/, '');
  const home = await sftpCall<string>((cb) => sftp.realpath('.', cb));
  const rel = dir === '~' ? '' : dir.replace(/^~\//, '');
  return `${home.replace(/\/+$/, '')}/${rel}`.replace(/\/+$/, '');
}

export async function uploadAgentBundle(client: Client, bundle: AgentBundle, baseDir: string): Promise<UploadResult> {
  const sftp = await openSftp(client);
  try {
    const base = await resolveRemoteDir(sftp, baseDir);
    const dir = `${base}/agent-${bundle.version}`;
    if ((await readText(sftp, `${dir}/${MARKER}`))?.trim() === bundle.version) {
      return { dir, uploaded: false, bytes: 0, removedOlder: [] };
    }
    await mkdirp(sftp, dir);
    for (const d of bundle.dirs) await mkdirp(sftp, `${dir}/${d}`);
    let bytes = 0;
    for (const f of bundle.files) {
      await sftpCall<void>((cb) => sftp.fastPut(f.absPath, `${dir}/${f.relPath}`, cb));
      bytes += f.size;
    }
    await sftpCall<void>((cb) => sftp.writeFile(`${dir}/${MARKER}`, `${bundle.version}\n`, cb));
    const entries = await sftpCall<{ filename: string }[]>((cb) => sftp.readdir(base, cb as never));
    const older = entries.map((e) => e.filename).filter((n) => /^agent-[0-9a-f]{16}$/.test(n) && n !== `agent-${bundle.version}`);
    if (older.length) await execCapture(client, ['rm', '-rf', '--', ...older.map((n) => `${base}/${n}`)]);
    return { dir, uploaded: true, bytes, removedOlder: older };
  } finally {
    sftp.end();
  }
}
