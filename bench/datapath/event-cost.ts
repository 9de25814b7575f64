/**
 * The agent's CPU per flow event, without a kernel: synthetic ring-buffer
 * records, in batches of 8192, to the notification's JSON text as the agent
 * writes it, three ways:
 *   objects: decodeFlowEvent → FlowEnricher.enrich → flows/batch JSON
 *   compact: the same objects → encodeCompactBatch → flows/batchCompact JSON
 *   packed:  records → FlowColumnsBuilder (no object per event) → flows/batchPacked JSON
 * Prints µs/event per stage and the ratios of the forms measured in the same
 * run (not a test; no assertion). `node --import tsx bench/datapath/event-cost.ts` (no root needed).
 */
import { decodeFlowEvent } from '../../src/agent/datapath/flow-decoder';
import { FlowEventLayout } from '../../src/agent/datapath/layouts';
import type { FlowRecordBatch } from '../../src/agent/datapath/types';
import { FlowColumnsBuilder } from '../../src/agent/flows/packed-batch-builder';
import { FlowEnricher } from '../../src/agent/flows/flow-enricher';
import { encodeCompactBatch } from '../../src/protocol/flow-compact';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { flowRecords } from '../../test/unit/support/flow-records';

const BATCH = 8192;
const ROUNDS = Number(process.env.EVENT_COST_ROUNDS ?? 30);

const enricher = new FlowEnricher();
const ep = (id: number, name: string, ip: string) => ({ name: `default/${name}-0`, workload: name, namespace: 'default', labels: { app: name }, ip, netns: 'x', ifname: `lxc${id}`, endpointId: id, identity: 255 + id });
enricher.setLab([ep(1, 'client', '10.244.0.2'), ep(2, 'server', '10.244.0.3')], '10.244.0.1');
const nowMonoMs = Number(process.hrtime.bigint() / 1_000_000n);
const data = flowRecords(Array.from({ length: BATCH }, (_, i) => ({ ktimeMs: nowMonoMs - 1, sport: 40000 + (i % 1000), cookie: 77 })));
const batch: FlowRecordBatch = { data, size: FlowEventLayout.size, count: BATCH, nowMs: Date.now(), nowMonoMs };
const records = Array.from({ length: BATCH }, (_, i) => data.subarray(i * FlowEventLayout.size, (i + 1) * FlowEventLayout.size));
const builder = new FlowColumnsBuilder(enricher);

const time = (f: () => void): number => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e3 / BATCH; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stages: Record<string, number[]> = { decode: [], enrich: [], jsonObjects: [], jsonCompact: [], columns: [], jsonPacked: [] };
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let raws: ReturnType<typeof decodeFlowEvent>[] = [];
  let events: FlowEvent[] = [];
  stages.decode!.push(time(() => { raws = records.map((rec) => decodeFlowEvent(rec)); }));
  stages.enrich!.push(time(() => { events = raws.map((raw) => enricher.enrich(raw)); }));
  stages.jsonObjects!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batch', params: { flows: events, lost: 0 } }).length; }));
  stages.jsonCompact!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batchCompact', params: encodeCompactBatch(events, 0) }).length; }));
  stages.columns!.push(time(() => { builder.append(batch); }));
  stages.jsonPacked!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batchPacked', params: builder.finish(0) }).length; }));
}
const m = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)]));
const objects = m.decode! + m.enrich! + m.jsonObjects!;
const compact = m.decode! + m.enrich! + m.jsonCompact!;
const packed = m.columns! + m.jsonPacked!;
console.log('| stage | µs/event (median of rounds) |\n|---|---|');
for (const [k, v] of Object.entries(m)) console.log(`| ${k} | ${v.toFixed(3)} |`);
console.log(`agent CPU per event: objects ${objects.toFixed(3)} µs, compact ${compact.toFixed(3)} µs, packed ${packed.toFixed(3)} µs; objects/packed ${(objects / packed).toFixed(1)}×, compact/packed ${(compact / packed).toFixed(1)}×; one core ≈ ${Math.round(1e6 / objects)} / ${Math.round(1e6 / compact)} / ${Math.round(1e6 / packed)} events/s`);
console.log(JSON.stringify({ bench: 'event-cost', ...m, objects, compact, packed, sink: sink > 0 }));
