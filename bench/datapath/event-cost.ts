/**
 * The agent's CPU per flow event, without a kernel: synthetic ring-buffer
 * records, in batches of 8192, to the notification's JSON text as the agent
 * writes it: records → FlowColumnsBuilder (the datapath's record reader, no
 * object per event) → flows/batchPacked (pack) → JSON-RPC text.
 * Prints µs/event per stage (not a test; no assertion).
 * `node --import tsx bench/datapath/event-cost.ts` (no root needed).
 */
import { FlowEventLayout } from '../../src/agent/datapath/layouts';
import type { FlowRecordBatch } from '../../src/agent/datapath/types';
import { FlowColumnsBuilder } from '../../src/agent/flows/packed-batch-builder';
import { FlowEnricher } from '../../src/agent/flows/flow-enricher';
import type { FlowBatchPacked } from '../../src/protocol/agent-rpc';
import { flowRecords } from '../../test/unit/support/flow-records';

const BATCH = 8192;
const ROUNDS = Number(process.env.EVENT_COST_ROUNDS ?? 30);

const enricher = new FlowEnricher();
const ep = (id: number, name: string, ip: string) => ({ name: `default/${name}-0`, workload: name, namespace: 'default', labels: { app: name }, ip, netns: 'x', ifname: `lxc${id}`, endpointId: id, identity: 255 + id });
enricher.setLab([ep(1, 'client', '10.244.0.2'), ep(2, 'server', '10.244.0.3')], '10.244.0.1');
const nowMonoMs = Number(process.hrtime.bigint() / 1_000_000n);
const data = flowRecords(Array.from({ length: BATCH }, (_, i) => ({ ktimeMs: nowMonoMs - 1, sport: 40000 + (i % 1000), cookie: 77 })));
const batch: FlowRecordBatch = { data, size: FlowEventLayout.size, count: BATCH, nowMs: Date.now(), nowMonoMs };
const builder = new FlowColumnsBuilder(enricher);

const time = (f: () => void): number => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e3 / BATCH; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stages: Record<string, number[]> = { columns: [], pack: [], json: [] };
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  let packed: FlowBatchPacked | undefined;
  stages.columns!.push(time(() => { builder.append(batch); }));
  stages.pack!.push(time(() => { packed = builder.finish(0); }));
  stages.json!.push(time(() => { sink += JSON.stringify({ jsonrpc: '2.0', method: 'flows/batchPacked', params: packed }).length; }));
}
const m = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)]));
const packed = m.columns! + m.pack! + m.json!;
console.log('| stage | µs/event (median of rounds) |\n|---|---|');
for (const [k, v] of Object.entries(m)) console.log(`| ${k} | ${v.toFixed(3)} |`);
console.log(`agent CPU per event: ${packed.toFixed(3)} µs; one core ≈ ${Math.round(1e6 / packed)} events/s`);
console.log(JSON.stringify({ bench: 'event-cost', ...m, packed, sink: sink > 0 }));
