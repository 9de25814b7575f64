/**
 * The event pipeline on the real kernel, loader and agent stream: ring buffer
 * → binary frames → packed columns (flows/batchPacked). BPF_PROG_TEST_RUN with
 * `repeat` runs the real to_endpoint program on an established flow in
 * trace-all mode, one event per repetition. Every event is either delivered
 * or reported lost — a burst larger than the ring buffer overflows it while
 * the loader is busy running it, and that loss must be counted — and paced
 * bursts the pipeline keeps up with lose nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { craftTestPacket } from '../../src/agent/datapath/test-packet';
import { FlowEnricher } from '../../src/agent/flows/flow-enricher';
import { FlowStream } from '../../src/agent/flows/flow-stream';
import type { FlowBatchPacked } from '../../src/protocol/agent-rpc';
import { unpackFlowColumns } from '../../src/protocol/flow-packed';
import { openTestRunDatapath } from './datapath-fixture';

const EP = { endpointId: 7, ip: '10.244.1.2', identity: 1001 };
const PEER = { ip: '10.244.2.2', identity: 1002 };
/** More than the 4 MB ring buffer holds (56 bytes a record with its header: ~75,000). */
const OVERFLOW_BURST = 150_000;

test('every event of a test-run flood is delivered in packed batches or reported lost', async (t) => {
  const { dev, dp, flows } = await openTestRunDatapath(t, 'evp');
  flows.dispose(); // this test reads records only through the stream
  await dp.setEndpoints([{ ...EP, ifname: dev, ingressPolicyCookie: 0, egressPolicyCookie: 0 }]);
  await dp.setIpcache([{ cidr: `${EP.ip}/32`, identity: EP.identity }, { cidr: `${PEER.ip}/32`, identity: PEER.identity }]);
  await dp.setTraceAll(true);

  const enricher = new FlowEnricher();
  enricher.setLab([{ name: 'default/db-0', workload: 'db', namespace: 'default', labels: {}, netns: 'x', ifname: dev, ...EP }], '10.244.0.1');
  const got = { events: 0, toEndpoint: 0, lost: 0 };
  const stream = new FlowStream(enricher, (b: FlowBatchPacked) => {
    const c = unpackFlowColumns(b);
    const ip = b.strings.indexOf(EP.ip);
    for (let i = 0; i < b.count; i++) if (c.dstIp[i] === ip && c.dstPort[i] === 5432 && c.direction[i] === 0) got.toEndpoint++;
    got.events += b.count;
    got.lost += b.lost;
  });
  stream.attach(dp);
  stream.subscribe();
  t.after(() => { stream.unsubscribe(); stream.detach(); });

  const packet = craftTestPacket({ src: PEER.ip, dst: EP.ip, protocol: 'udp', sport: 45000, dport: 5432 });
  const settle = async (expected: number) => {
    for (let i = 0; i < 100 && got.events + got.lost < expected; i++) await new Promise((r) => setTimeout(r, 100));
  };

  // Paced: bursts of 5,000 the pipeline keeps up with.
  for (let i = 0; i < 10; i++) {
    await dp.testRun('to_endpoint', dev, packet, 5000);
    await new Promise((r) => setTimeout(r, 50));
  }
  await settle(50_000);
  assert.deepEqual(got, { events: 50_000, toEndpoint: 50_000, lost: 0 }, 'paced bursts: all delivered');

  // One burst bigger than the ring buffer: the loader runs it and cannot read meanwhile.
  Object.assign(got, { events: 0, toEndpoint: 0, lost: 0 });
  await dp.testRun('to_endpoint', dev, packet, OVERFLOW_BURST);
  await settle(OVERFLOW_BURST);
  assert.ok(got.lost > 0, `the ring buffer overflowed and that was reported (${JSON.stringify(got)})`);
  assert.ok(got.events > 50_000, `what the ring held was delivered (${JSON.stringify(got)})`);
  assert.equal(got.events + got.lost, OVERFLOW_BURST, 'delivered + reported lost = every event: nothing silent');
  assert.equal(got.toEndpoint, got.events);
  stream.unsubscribe();
});
