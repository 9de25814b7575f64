/**
 * The agent's probe mode: the small programs a probe runs inside lab
 * namespaces, started as `nsenter --net=<netns> <node> <agent> probe-listen …`
 * or `… probe-connect …`. Using the agent itself means nothing else (nc,
 * socat) has to be installed on the dev VM. Each prints one line on stdout.
 *
 *   probe-listen  tcp|udp <port> <lifetimeMs>          → "ready"
 *   probe-connect tcp|udp <ip> <port> <timeoutMs>      → {"outcome":…,"sport":…,"durationMs":…}
 */
import dgram from 'node:dgram';
import net from 'node:net';

export const PROBE_MODES = ['probe-listen', 'probe-connect'] as const;

export interface ConnectReport { outcome: 'connected' | 'refused' | 'timeout' | 'reply' | 'no-reply' | 'error'; sport: number; durationMs: number; error?: string }

function intArg(v: string | undefined, name: string, min: number, max: number): number {
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${name}: expected an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new Error(`${name}: ${n} out of range ${min}..${max}`);
  return n;
}

function protoArg(v: string | undefined): 'tcp' | 'udp' {
  if (v !== 'tcp' && v !== 'udp') throw new Error('protocol: expected tcp or udp');
  return v;
}

function ipArg(v: string | undefined): string {
  if (v === undefined || net.isIPv4(v) === false) throw new Error('ip: expected an IPv4 address');
  return v;
}

/** A source port of our choosing, so the agent can find this probe's flow by its 5-tuple; the namespace is ours alone. */
function randomSourcePort(): number {
  return 40_000 + Math.floor(Math.random() * 20_000);
}

export async function runProbeHelper(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  try {
    if (mode === 'probe-listen') {
      await listen(protoArg(rest[0]), intArg(rest[1], 'port', 1, 65535), intArg(rest[2], 'lifetimeMs', 100, 600_000));
      return 0;
    }
    const report = await connect(protoArg(rest[0]), ipArg(rest[1]), intArg(rest[2], 'port', 1, 65535), intArg(rest[3], 'timeoutMs', 50, 60_000));
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`${mode}: ${(e as Error).message}\n`);
    return 2;
  }
}

function listen(proto: 'tcp' | 'udp', port: number, lifetimeMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // The agent ends this process by PID when the probe is done; the lifetime is only a safety net.
    const stop = setTimeout(() => process.exit(0), lifetimeMs);
    if (proto === 'tcp') {
      const server = net.createServer((sock) => {
        sock.on('error', () => undefined);
        sock.end();
      });
      server.on('error', (e) => { clearTimeout(stop); reject(e); });
      server.listen(port, '0.0.0.0', () => process.stdout.write('ready\n'));
    } else {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
      sock.on('error', (e) => { clearTimeout(stop); reject(e); });
      sock.bind(port, '0.0.0.0', () => process.stdout.write('ready\n'));
    }
    process.on('SIGTERM', () => { clearTimeout(stop); resolve(); process.exit(0); });
  });
}

function connect(proto: 'tcp' | 'udp', ip: string, port: number, timeoutMs: number): Promise<ConnectReport> {
  const t0 = Date.now();
  const sport = randomSourcePort();
  const done = (outcome: ConnectReport['outcome'], error?: string): ConnectReport =>
    ({ outcome, sport, durationMs: Date.now() - t0, ...(error ? { error } : {}) });
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const sock = net.connect({ host: ip, port, localPort: sport });
      const timer = setTimeout(() => { sock.destroy(); resolve(done('timeout')); }, timeoutMs);
      sock.on('connect', () => { clearTimeout(timer); sock.destroy(); resolve(done('connected')); });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(e.code === 'ECONNREFUSED' ? done('refused') : done('error', e.message));
      });
    } else {
      const sock = dgram.createSocket('udp4');
      const timer = setTimeout(() => { sock.close(); resolve(done('no-reply')); }, timeoutMs);
      sock.on('message', () => { clearTimeout(timer); sock.close(); resolve(done('reply')); });
      sock.on('error', (e) => { clearTimeout(timer); sock.close(); resolve(done('error', e.message)); });
      sock.bind(sport, '0.0.0.0', () => sock.send(Buffer.from('policy-studio probe'), port, ip));
    }
  });
}
