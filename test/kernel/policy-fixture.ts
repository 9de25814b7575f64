/**
 * A small lab for datapath kernel tests without the agent: a node namespace
 * and endpoint namespaces joined by veths, plus traffic helpers that run Node
 * itself inside a namespace (no extra tools). Traffic stays between the
 * namespaces created here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { inNetns, ip, type Namespaces } from './datapath-fixture';

export interface LabEndpoint { name: string; ip: string; gw: string; netns: string; ifname: string; endpointId: number; identity: number }

/** Endpoint i gets 10.244.(200+i).2 behind 10.244.(200+i).1 in the node namespace. */
export function buildLab(nsList: Namespaces, prefix: string, names: string[]): { node: string; endpoints: LabEndpoint[] } {
  const node = nsList.add(`${prefix}-node`);
  inNetns(node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  const endpoints = names.map((name, i) => {
    const netns = nsList.add(`${prefix}-${name}`);
    const ifname = `${prefix}${name}`.slice(0, 15);
    const gw = `10.244.${200 + i}.1`;
    const addr = `10.244.${200 + i}.2`;
    ip('link', 'add', ifname, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    ip('-n', node, 'addr', 'add', `${gw}/24`, 'dev', ifname);
    ip('-n', node, 'link', 'set', ifname, 'up');
    ip('-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', netns, 'link', 'set', 'eth0', 'up');
    // Only the lab's prefix is routed, through the node namespace; no default route.
    ip('-n', netns, 'route', 'add', '10.244.0.0/16', 'via', gw);
    return { name, ip: addr, gw, netns, ifname, endpointId: 20 + i, identity: 3000 + i };
  });
  return { node, endpoints };
}

function nodeIn(netns: string, script: string, args: string[] = []): string[] {
  return [`--net=/var/run/netns/${netns}`, process.execPath, '-e', script, ...args];
}

/** TCP connect; true when the handshake completed within timeoutMs. */
export function tcpConnects(netns: string, host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)},()=>process.exit(0));s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),${timeoutMs});`;
  return new Promise((resolve) => execFile('nsenter', nodeIn(netns, script), { timeout: timeoutMs + 4000 }, (err) => resolve(!err)));
}

/** One UDP datagram; true when the echo came back within timeoutMs. */
export function udpEchoes(netns: string, host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',()=>process.exit(0));s.send('x',${port},${JSON.stringify(host)});setTimeout(()=>process.exit(1),${timeoutMs});`;
  return new Promise((resolve) => execFile('nsenter', nodeIn(netns, script), { timeout: timeoutMs + 4000 }, (err) => resolve(!err)));
}

/** ICMP echo with ping (iputils); true when answered. */
export function pings(netns: string, host: string): Promise<boolean> {
  return new Promise((resolve) => execFile('nsenter', [`--net=/var/run/netns/${netns}`, 'ping', '-c1', '-W1', host], { timeout: 5000 }, (err) => resolve(!err)));
}

/** TCP servers that echo, and UDP echo servers, on the given ports. Killed by the caller (by PID). */
export async function startServers(netns: string, host: string, tcp: number[], udp: number[]): Promise<ChildProcess> {
  const script = `const net=require('net'),dgram=require('dgram');let n=0;const total=${tcp.length + udp.length};const up=()=>{if(++n===total)console.log('ready')};
for(const p of ${JSON.stringify(tcp)})net.createServer(s=>{s.on('data',d=>s.write(d));s.on('error',()=>{})}).listen(p,${JSON.stringify(host)},up);
for(const p of ${JSON.stringify(udp)}){const s=dgram.createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(p,${JSON.stringify(host)},up);}`;
  const child = spawn('nsenter', nodeIn(netns, script), { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`servers exited ${code}`)));
  });
  return child;
}

/**
 * A long-lived TCP connection driven over stdin/stdout: `send()` writes a
 * line and resolves with whether its echo came back within timeoutMs.
 */
export async function openTcpSession(netns: string, host: string, port: number): Promise<{ send(timeoutMs?: number): Promise<boolean>; close(): void }> {
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)},()=>console.log('up'));s.setNoDelay(true);
s.on('data',d=>process.stdout.write(d));s.on('error',e=>{console.log('err '+e.code);process.exit(1)});
process.stdin.on('data',d=>s.write(d));process.stdin.on('end',()=>s.end());`;
  const child = spawn('nsenter', nodeIn(netns, script), { stdio: ['pipe', 'pipe', 'inherit'] });
  let buffer = '';
  let waiter: (() => void) | undefined;
  child.stdout!.on('data', (d: Buffer) => { buffer += d.toString(); waiter?.(); });
  await new Promise<void>((resolve, reject) => {
    waiter = () => { if (buffer.includes('up\n')) { buffer = ''; resolve(); } };
    child.once('exit', (code) => reject(new Error(`tcp session exited ${code}`)));
    setTimeout(() => reject(new Error('tcp session did not connect')), 3000);
  });
  let seq = 0;
  return {
    send(timeoutMs = 1500): Promise<boolean> {
      const token = `m${seq++}\n`;
      child.stdin!.write(token);
      return new Promise((resolve) => {
        const t = setTimeout(() => { waiter = undefined; resolve(false); }, timeoutMs);
        waiter = () => { if (buffer.includes(token)) { clearTimeout(t); buffer = ''; waiter = undefined; resolve(true); } };
        waiter();
      });
    },
    close(): void { child.kill('SIGKILL'); },
  };
}

/** Sends `count` UDP datagrams, one every intervalMs, and counts the echoes. */
export function udpStream(netns: string, host: string, port: number, count: number, intervalMs: number): Promise<{ sent: number; received: number }> {
  const script = `const s=require('dgram').createSocket('udp4');let sent=0,got=0;s.on('message',()=>got++);
const t=setInterval(()=>{if(sent===${count}){clearInterval(t);setTimeout(()=>{console.log(JSON.stringify({sent,received:got}));process.exit(0)},500);return;}s.send(String(sent++),${port},${JSON.stringify(host)});},${intervalMs});`;
  return new Promise((resolve, reject) => {
    execFile('nsenter', nodeIn(netns, script), { timeout: count * intervalMs + 20_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim()) as { sent: number; received: number });
    });
  });
}
