/**
 * The bare VS Code server bundled in code-server (scripts/install-vscode.sh),
 * started for one test run: a free 127.0.0.1 port, its own user-data,
 * server-data and extensions dirs and HOME/TMPDIR in one temp dir, so a run
 * never touches the user's VS Code state and leaves nothing behind.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CODE_SERVER_VERSION = process.env.POLICY_STUDIO_CODE_SERVER_VERSION ?? '4.100.3';

/** Settings every test workbench starts with: no welcome page, no telemetry, no trust prompt, no network chatter. */
export const TEST_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  // The web workbench defaults to afterDelay; tests edit in memory and revert.
  'files.autoSave': 'off',
};

/** Where scripts/install-vscode.sh put the server; POLICY_STUDIO_SERVER_MAIN overrides. */
export function defaultServerMain(): string {
  if (process.env.POLICY_STUDIO_SERVER_MAIN) return process.env.POLICY_STUDIO_SERVER_MAIN;
  const cache = process.env.POLICY_STUDIO_CACHE ?? '/var/cache/policy-studio';
  return path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules/code-server/lib/vscode/out/server-main.js');
}

export type ExtensionSource =
  /** A packaged extension, installed with --install-extension. */
  | { vsix: string }
  /** An extension folder (e.g. the repo after `npm run build`), linked into the extensions dir. */
  | { folder: string };

export interface VsCodeServerOptions {
  serverMain?: string;
  extension?: ExtensionSource;
  /**
   * Built web clients only honour the `payload` URL parameter
   * (extensionDevelopmentPath / extensionTestsPath) with the smoke-test driver on.
   * It also hides notification toasts (they still reach the notification center).
   */
  smokeTestDriver?: boolean;
  userSettings?: Record<string, unknown>;
  /** Parent for the temp dir; defaults to os.tmpdir(). */
  tmpParent?: string;
  /** Copy of the server's log is written here on stop(), if set. */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface VsCodeServer {
  readonly port: number;
  /** host:port, the authority of vscode-remote:// URIs. */
  readonly authority: string;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly pid: number;
  readonly tmpDir: string;
  /** HOME, XDG_* and TMPDIR of the server: reuse them for the browser. */
  readonly sandboxEnv: NodeJS.ProcessEnv;
  /** vscode-remote URI of an absolute path on this machine. */
  remoteUri(absPath: string): string;
  /** Everything the server printed so far. */
  log(): string;
  /** Stops the server's whole process group (extension host, agent) and removes the temp dir. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function sandbox(tmp: string): NodeJS.ProcessEnv {
  // The server writes ~/.vscode-server-oss, crash dirs and vscode-ipc-*.sock
  // (in os.tmpdir()); keep all of it inside the run's temp dir.
  const env = {
    HOME: path.join(tmp, 'home'),
    XDG_CONFIG_HOME: path.join(tmp, 'home', '.config'),
    XDG_DATA_HOME: path.join(tmp, 'home', '.local', 'share'),
    XDG_CACHE_HOME: path.join(tmp, 'home', '.cache'),
    TMPDIR: path.join(tmp, 'tmp'),
  };
  for (const dir of Object.values(env)) fs.mkdirSync(dir, { recursive: true });
  return env;
}

/** Puts an extension into `extensionsDir` before the server starts. */
export async function installExtension(serverMain: string, source: ExtensionSource, dirs: {
  extensionsDir: string; userDataDir: string; serverDataDir: string; env: NodeJS.ProcessEnv;
}): Promise<void> {
  if ('vsix' in source) {
    await execFileAsync(process.execPath, [serverMain, '--accept-server-license-terms',
      '--extensions-dir', dirs.extensionsDir, '--user-data-dir', dirs.userDataDir, '--server-data-dir', dirs.serverDataDir,
      '--install-extension', path.resolve(source.vsix), '--force'], { env: dirs.env, timeout: 120_000 });
    return;
  }
  // The server only installs .vsix files; a folder named publisher.name-version
  // in a fresh extensions dir (no extensions.json yet) is found by its scan.
  const manifest = JSON.parse(fs.readFileSync(path.join(source.folder, 'package.json'), 'utf8')) as
    { publisher: string; name: string; version: string };
  fs.mkdirSync(dirs.extensionsDir, { recursive: true });
  fs.rmSync(path.join(dirs.extensionsDir, 'extensions.json'), { force: true });
  fs.symlinkSync(path.resolve(source.folder),
    path.join(dirs.extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`), 'dir');
}

export async function startVsCodeServer(options: VsCodeServerOptions = {}): Promise<VsCodeServer> {
  const serverMain = options.serverMain ?? defaultServerMain();
  if (!fs.existsSync(serverMain)) {
    throw new Error(`VS Code server not found at ${serverMain}: run scripts/install-vscode.sh`);
  }
  const parent = options.tmpParent ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, 'policy-studio-vscode-'));
  const sandboxEnv = sandbox(tmp);
  const userDataDir = path.join(tmp, 'user-data');
  const serverDataDir = path.join(tmp, 'server-data');
  const extensionsDir = path.join(tmp, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...TEST_USER_SETTINGS, ...options.userSettings }, null, 2));
  // The server keeps remote-side (machine) settings here; the web client's user
  // settings live in the browser, so write the same settings to both.
  fs.mkdirSync(path.join(serverDataDir, 'data', 'Machine'), { recursive: true });
  fs.writeFileSync(path.join(serverDataDir, 'data', 'Machine', 'settings.json'),
    JSON.stringify({ ...TEST_USER_SETTINGS, ...options.userSettings }, null, 2));
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ...sandboxEnv };

  let child: ChildProcess | undefined;
  let output = '';
  const stop = async (): Promise<void> => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      killGroup(child.pid, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), delay(5000).then(() => true)]);
      if (timedOut) killGroup(child.pid, 'SIGKILL');
    }
    if (options.logFile) {
      fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
      fs.writeFileSync(options.logFile, output);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  try {
    if (options.extension) {
      await installExtension(serverMain, options.extension, { extensionsDir, userDataDir, serverDataDir, env });
    }
    const port = await freePort();
    const args = [serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token',
      '--accept-server-license-terms', '--disable-telemetry', '--disable-workspace-trust',
      '--user-data-dir', userDataDir, '--server-data-dir', serverDataDir, '--extensions-dir', extensionsDir];
    if (options.smokeTestDriver) args.push('--enable-smoke-test-driver');
    // Its own process group, so stop() reaches the extension host and the agent it spawned.
    child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const pid = child.pid!;
    const url = `http://127.0.0.1:${port}`;
    await waitForVersion(url, child, () => output);
    const authority = `127.0.0.1:${port}`;
    return {
      port, authority, url, pid, tmpDir: tmp, sandboxEnv,
      remoteUri: (absPath) => `vscode-remote://${authority}${path.resolve(absPath)}`,
      log: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForVersion(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`VS Code server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(`${url}/version`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await delay(100);
  }
  throw new Error(`VS Code server did not answer ${url}/version within 60 s:\n${log()}`);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
