/**
 * The agent's CPU per flow event, without a kernel: synthetic ring-buffer
 * records → decodeFlowEvent → FlowEnricher.enrich → the notification's JSON
 * (flows/batch objects, or flows/batchCompact columns), in batches of 8192 as
 * flow-stream.ts sends them. Prints µs/event per stage and the ratio of the
 * two forms measured in the same run (not a test; no assertion).
 * `node --import tsx bench/datapath/event-cost.ts` (no root needed).
 */
import { decodeFlowEvent } from '../../src/agent/datapath/flow-decoder';
import { FlowEventLayout } from '../../src/agent/datapath/layouts';
import { encodeCompactBatch } from '../../src/protocol/flow-compact';
import { FlowEnricher } from '../../src/agent/flow-enricher';
import type { FlowEvent } from '../../src/protocol/flow-event';

const BATCH = 8192;
const ROUNDS = Number(process.env.EVENT_COST_ROUNDS ?? 30);
const o = FlowEventLayout.offsets;

function record(i: number): Uint8Array {
  const b = new Uint8Array(FlowEventLayout.size);
  const v = new DataView(b.buffer);
  v.setBigUint64(o.ktime_ns, process.hrtime.bigint(), true);
  v.setUint32(o.endpoint_id, 2, true);
  b.set([10, 244, 0, 2], o.saddr);
  b.set([10, 244, 0, 3], o.daddr);
  v.setUint16(o.sport, 40000 + (i % 1000), true);
  v.setUint16(o.dport, 9000, true);
  v.setUint32(o.remote_identity, 256, true);
  v.setUint32(o.cookie, 77, true);
  v.setUint32(o.length, 64, true);
  v.setUint8(o.protocol, 17);
  return b;
}

const enricher = new FlowEnricher();
const ep = (id: number, name: string, ip: string) => ({ name: `default/${name}-0`, workload: name, namespace: 'default', labels: { app: name }, ip, netns: 'x', ifname: `lxc${id}`, endpointId: id, identity: 255 + id });
enricher.setLab([ep(1, 'client', '10.244.0.2'), ep(2, 'server', '10.244.0.3')], '10.244.0.1');
const records = Array.from({ length: BATCH }, (_, i) => record(i));

const time = (f: () => void): number => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e3 / BATCH; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stages: Record<string, number[]> = { decode: [], enrich: [], jsonObjects: [], jsonCompact: [] };
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let raws: ReturnType<typeof decodeFlowEvent>[] = [];
  let events: FlowEvent[] = [];
  stages.decode!.push(time(() => { raws = records.map((rec) => decodeFlowEvent(rec)); }));
  stages.enrich!.push(time(() => { events = raws.map((raw) => enricher.enrich(raw)); }));
  stages.jsonObjects!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batch', params: { flows: events, lost: 0 } }).length; }));
  stages.jsonCompact!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batchCompact', params: encodeCompactBatch(events, 0) }).length; }));
}
const m = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)]));
const objects = m.decode! + m.enrich! + m.jsonObjects!;
const compact = m.decode! + m.enrich! + m.jsonCompact!;
console.log('| stage | µs/event (median of rounds) |\n|---|---|');
for (const [k, v] of Object.entries(m)) console.log(`| ${k} | ${v.toFixed(3)} |`);
console.log(`agent CPU per event: objects ${objects.toFixed(3)} µs, compact ${compact.toFixed(3)} µs (ratio ${(objects / compact).toFixed(2)}); one core ≈ ${Math.round(1e6 / objects)} vs ${Math.round(1e6 / compact)} events/s`);
console.log(JSON.stringify({ bench: 'event-cost', ...m, objects, compact, sink: sink > 0 }));
