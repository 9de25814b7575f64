/**
 * The ps-loader child process (bpf/loader/ps-loader.c) and its line
 * protocol: `<id> <verb> <args…>` requests on stdin, one JSON object per
 * line on stdout for responses and for ring-buffer records (in batches: one
 * line carries up to thousands of records, so a flood costs one JSON parse
 * and one hex decode per batch, not per record), or after `watchFrames()` as
 * binary frames on a pipe of their own (fd 3 of the loader; record-frames.ts),
 * which costs no hex and no JSON at all. It runs inside
 * the node namespace through nsenter (not `ip netns exec`, which remounts
 * /sys and hides the bpffs pins).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { FrameReader } from './record-frames';

export interface LoaderResponse {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export class LoaderError extends Error {
  constructor(readonly verb: string, readonly response: LoaderResponse) {
    super(`ps-loader ${verb}: ${response.error ?? 'failed'}`);
  }
}

/** `count` ring-buffer records of `size` bytes each from `map`, back to back in `data`. */
export interface RecordBatch { map: string; data: Uint8Array; size: number; count: number }

type Pending = { verb: string; resolve: (r: LoaderResponse) => void; reject: (e: Error) => void };

/** Arguments travel space-separated: refuse anything that could split or inject a line. */
function checkArg(arg: string): string {
  if (!/^[A-Za-z0-9_./:@+-]+$/.test(arg)) throw new Error(`argument not allowed in the loader protocol: ${JSON.stringify(arg)}`);
  return arg;
}

export class LoaderProcess {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly recordListeners = new Set<(batch: RecordBatch) => void>();
  private exited = false;
  private exitError: Error | undefined;
  /** The map `watchFrames` streams: frames carry no map name. */
  private framesMap: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly log: (level: 'debug' | 'warn', msg: string) => void) {}

  /** Starts the loader in the node network namespace and waits for its ready line. */
  static async start(loaderPath: string, nodeNetns: string, log: (level: 'debug' | 'warn', msg: string) => void): Promise<LoaderProcess> {
    // fd 3: the frame pipe (nsenter passes it on to the loader it execs).
    const child = spawn('nsenter', [`--net=/var/run/netns/${checkArg(nodeNetns)}`, loaderPath], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
    const loader = new LoaderProcess(child, log);
    const frames = new FrameReader((f) => loader.emit({ map: loader.framesMap ?? '', data: f.data, size: f.size, count: f.count }));
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => frames.push(chunk));
    const ready = new Promise<void>((resolve, reject) => {
      loader.onReady = resolve;
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`ps-loader exited before ready (code ${code}, signal ${signal})`)));
    });
    createInterface({ input: child.stdout }).on('line', (line) => loader.onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => log('warn', `ps-loader: ${line}`));
    child.on('exit', (code, signal) => {
      loader.exited = true;
      loader.exitError = new Error(`ps-loader exited (code ${code}, signal ${signal})`);
      for (const p of loader.pending.values()) p.reject(loader.exitError);
      loader.pending.clear();
    });
    await ready;
    return loader;
  }

  private onReady: () => void = () => {};

  get pid(): number | undefined { return this.child.pid; }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.log('warn', `ps-loader: unparsable line ${line.slice(0, 200)}`);
      return;
    }
    if (msg.ready) {
      this.onReady();
      return;
    }
    if (typeof msg.event === 'string' && typeof msg.data === 'string') {
      // One hex decode for the whole batch; the records are views into it.
      const data = new Uint8Array(Buffer.from(msg.data, 'hex'));
      const size = typeof msg.size === 'number' && msg.size > 0 ? msg.size : data.byteLength;
      const count = typeof msg.count === 'number' ? msg.count : 1;
      this.emit({ map: msg.event, data, size, count: Math.min(count, Math.floor(data.byteLength / size)) });
      return;
    }
    const id = Number(msg.id);
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.resolve(msg as unknown as LoaderResponse);
  }

  private emit(batch: RecordBatch): void {
    for (const l of this.recordListeners) l(batch);
  }

  /**
   * Streams a ring buffer's records as binary frames on the frame pipe
   * (`watch MAP frames`); on a loader that cannot, as hex lines (`watch MAP`).
   */
  async watch(map: string): Promise<LoaderResponse> {
    this.framesMap = map;
    const res = await this.requestRaw('watch', map, 'frames');
    if (res.ok) return res;
    this.log('warn', `ps-loader: no frame pipe (${res.error}); records come as hex lines`);
    return this.requestRaw('watch', map);
  }

  /** Sends one request; resolves with the response whether ok or not. */
  requestRaw(verb: string, ...args: string[]): Promise<LoaderResponse> {
    if (this.exited) return Promise.reject(this.exitError ?? new Error('ps-loader not running'));
    // stop() has closed stdin: a write now would throw (e.g. a periodic loss read racing a close).
    if (this.child.stdin.writableEnded) return Promise.reject(new Error('ps-loader stopping'));
    const id = this.nextId++;
    const line = [String(id), verb, ...args.map(checkArg)].join(' ') + '\n';
    return new Promise((resolve, reject) => {
      this.pending.set(id, { verb, resolve, reject });
      this.child.stdin.write(line);
    });
  }

  /** Sends one request; rejects with a LoaderError when the loader says it failed. */
  async request(verb: string, ...args: string[]): Promise<LoaderResponse> {
    const res = await this.requestRaw(verb, ...args);
    if (!res.ok) throw new LoaderError(verb, res);
    return res;
  }

  /** Ring-buffer records, a batch at a time (record i is data[i * size, (i + 1) * size)). */
  onRecords(listener: (batch: RecordBatch) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /** Closes stdin (the loader drains its ring buffer and exits) and waits; SIGKILL after a timeout. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    const timer = setTimeout(() => { if (!this.exited) this.child.kill('SIGKILL'); }, timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
