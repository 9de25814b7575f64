/**
 * A counting UDP traffic generator, run inside one lab namespace
 * (`nsenter --net=/var/run/netns/<ns> -- node --import tsx udp-stream.ts …`):
 *
 *   recv <port>...                       counts the distinct sequence numbers per port
 *   send <dst-ip> <port>:<pps>...        numbered datagrams to each port at a steady rate
 *
 * Every datagram of a sender leaves from a new source port (cycling through
 * 20000..59999), so each one is a new connection to the datapath: it cannot
 * ride on a conntrack entry and must pass the policy lookup itself. That is
 * what makes "0 allowed lost, 0 denied delivered" a statement about every
 * policy decision during the test, not just the first.
 *
 * Both print `ready` once running and, when stdin closes, one JSON line with
 * their counts, then exit. No shell is involved anywhere.
 */
import dgram from 'node:dgram';

const PAYLOAD_BYTES = 64;
const TICK_MS = 10;
const FIRST_SOURCE_PORT = 20000;
const SOURCE_PORTS = 40000;

export interface ReceiverReport { ports: Record<string, { distinct: number; duplicates: number; maxSeq: number }> }
export interface SenderReport { ports: Record<string, { sent: number; failed: number }> }

function onStdinEnd(fn: () => void): void {
  process.stdin.on('end', fn);
  process.stdin.on('error', fn);
  process.stdin.resume();
}

function receive(ports: number[]): void {
  const seen = new Map<number, Set<number>>();
  const report: ReceiverReport = { ports: {} };
  let bound = 0;
  for (const port of ports) {
    const set = new Set<number>();
    seen.set(port, set);
    const entry = { distinct: 0, duplicates: 0, maxSeq: -1 };
    report.ports[port] = entry;
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
    socket.on('error', (e) => {
      process.stderr.write(`udp-stream recv ${port}: ${e.message}\n`);
      process.exit(1);
    });
    socket.on('message', (msg) => {
      if (msg.length < 4) return;
      const seq = msg.readUInt32BE(0);
      if (set.has(seq)) entry.duplicates++;
      else set.add(seq);
      entry.distinct = set.size;
      if (seq > entry.maxSeq) entry.maxSeq = seq;
    });
    socket.bind(port, () => {
      if (++bound === ports.length) process.stdout.write('ready\n');
    });
  }
  onStdinEnd(() => {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  });
}

function send(dst: string, streams: { port: number; pps: number }[]): void {
  const report: SenderReport = { ports: {} };
  let nextSource = 0;
  let stopping = false;
  let inFlight = 0;
  const payload = () => Buffer.alloc(PAYLOAD_BYTES);
  const sendOne = (port: number, seq: number, entry: { sent: number; failed: number }) => {
    const socket = dgram.createSocket('udp4');
    const sourcePort = FIRST_SOURCE_PORT + (nextSource++ % SOURCE_PORTS);
    inFlight++;
    const done = (ok: boolean) => {
      if (ok) entry.sent++; else entry.failed++;
      inFlight--;
      try { socket.close(); } catch { /* closed */ }
    };
    socket.on('error', () => done(false));
    socket.bind(sourcePort, () => {
      const buf = payload();
      buf.writeUInt32BE(seq, 0);
      socket.send(buf, port, dst, (err) => done(!err));
    });
  };
  const timers = streams.map(({ port, pps }) => {
    const entry = { sent: 0, failed: 0 };
    report.ports[port] = entry;
    let seq = 0;
    const start = Date.now();
    return setInterval(() => {
      if (stopping) return;
      // Catch up to the schedule, so a stalled event loop does not lower the rate.
      const due = Math.floor(((Date.now() - start) * pps) / 1000);
      while (seq < due) sendOne(port, seq++, entry);
    }, TICK_MS);
  });
  process.stdout.write('ready\n');
  onStdinEnd(() => {
    stopping = true;
    timers.forEach(clearInterval);
    const finish = () => {
      if (inFlight > 0) { setTimeout(finish, 5); return; }
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    };
    finish();
  });
}

function main(argv: string[]): void {
  const [mode, ...rest] = argv;
  if (mode === 'recv') {
    receive(rest.map(Number));
  } else if (mode === 'send') {
    const [dst, ...specs] = rest;
    send(dst!, specs.map((s) => { const [port, pps] = s.split(':').map(Number); return { port: port!, pps: pps! }; }));
  } else {
    process.stderr.write('usage: udp-stream recv <port>... | send <dst-ip> <port>:<pps>...\n');
    process.exit(2);
  }
}

if (require.main === module) main(process.argv.slice(2));
