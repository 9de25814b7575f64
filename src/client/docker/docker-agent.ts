/**
 * Runs the agent in the dev container: the bundle is copied in with
 * putArchive to /opt/policy-studio/agent-<hash>/ (skipped when that directory
 * is already there), then `node agent.js` runs through `docker exec` with
 * attached stdio; JSON-RPC flows over the hijacked stream (stdout and stderr
 * demultiplexed). Ending the stream ends the agent; its pins stay.
 */
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { connectAgentStreams, type AgentHandle } from '../agent-process';
import type { AgentBundle } from '../agent-bundle';
import type { AgentLogMessage } from '../../protocol/agent-rpc';

export const CONTAINER_AGENT_ROOT = '/opt/policy-studio';

function bundleTar(bundle: AgentBundle, dirName: string): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<Buffer>((resolve, reject) => { p.on('end', () => resolve(Buffer.concat(chunks))); p.on('error', reject); });
  p.entry({ name: `${dirName}/`, type: 'directory', mode: 0o755 });
  for (const d of bundle.dirs) p.entry({ name: `${dirName}/${d}/`, type: 'directory', mode: 0o755 });
  for (const f of bundle.files) p.entry({ name: `${dirName}/${f.relPath}`, mode: 0o644 }, fs.readFileSync(f.absPath));
  p.entry({ name: `${dirName}/.bundle-version`, mode: 0o644 }, `${bundle.version}\n`);
  p.finalize();
  return done;
}

/** Copies the bundle in unless the container already has this version; returns its directory. */
export async function putAgentBundle(container: Docker.Container, bundle: AgentBundle): Promise<{ dir: string; copied: boolean }> {
  const dirName = `agent-${bundle.version}`;
  const dir = `${CONTAINER_AGENT_ROOT}/${dirName}`;
  try {
    await container.infoArchive({ path: `${dir}/.bundle-version` });
    return { dir, copied: false };
  } catch { /* not there yet */ }
  await runInContainer(container, ['mkdir', '-p', CONTAINER_AGENT_ROOT]);
  await container.putArchive(await bundleTar(bundle, dirName), { path: CONTAINER_AGENT_ROOT });
  return { dir, copied: true };
}

/** A short command in the container (argv, no shell); resolves with its exit code and output. */
export async function runInContainer(container: Docker.Container, cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => { stdout += d.toString(); });
  err.on('data', (d: Buffer) => { stderr += d.toString(); });
  container.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve) => { stream.on('end', resolve); stream.on('close', resolve); });
  const info = await exec.inspect();
  return { code: info.ExitCode, stdout, stderr };
}

export interface DockerAgentOptions {
  container: Docker.Container;
  bundle: AgentBundle;
  labName: string;
  log?: (m: AgentLogMessage) => void;
}

export interface DockerAgentHandle extends AgentHandle { dir: string; copied: boolean }

export async function startDockerAgent(o: DockerAgentOptions): Promise<DockerAgentHandle> {
  const node = await runInContainer(o.container, ['node', '--version']).catch(() => undefined);
  if (!node || node.code !== 0) throw new Error('Node.js is missing in the dev container: the agent needs node >= 18 (rebuild the dev image from docker/Dockerfile, which installs nodejs).');
  // A fresh container has no bpffs; the datapath pins its maps and links there (a fixed script, no user text).
  await runInContainer(o.container, ['sh', '-c', 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf']);
  const { dir, copied } = await putAgentBundle(o.container, o.bundle);
  const exec = await o.container.exec({
    Cmd: ['node', `${dir}/agent.js`, '--lab', o.labName, '--bpf-dir', `${dir}/bpf`],
    AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  o.container.modem.demuxStream(stream, stdout, stderr);
  let stderrTail = '';
  stderr.setEncoding('utf8');
  stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) o.log?.({ level: 'debug', message: `[agent stderr] ${line}` });
  });
  const exited = new Promise<number | null>((resolve) => {
    const done = () => {
      stdout.end();
      exec.inspect().then((i) => resolve(i.ExitCode), () => resolve(null));
    };
    stream.once('end', done);
    stream.once('close', done);
  });
  const connection = connectAgentStreams(stdout, stream, o.log);
  let disposed = false;
  return {
    connection, exited, dir, copied,
    async dispose() {
      if (disposed) return;
      disposed = true;
      connection.dispose();
      // Half-close: the agent sees EOF on stdin and exits; the stream closes after.
      stream.end();
      const timer = setTimeout(() => (stream as unknown as { destroy(): void }).destroy(), 5000);
      await exited;
      clearTimeout(timer);
    },
    get stderr() { return stderrTail; },
  } as DockerAgentHandle;
}
