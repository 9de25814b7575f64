/**
 * The flows panel's feed: what the webview is sent from the host's ring. A
 * reset carries everything retained, appends carry each flow once however
 * the agent's batches fall, coalesced into one message per interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import { encodeFlowColumns } from '../../src/protocol/flow-columns';
import type { FlowEvent } from '../../src/protocol/flow-event';
import type { FlowsToWebview } from '../../src/protocol/webview-messages';
import { FlowFeed } from '../../src/extension/views/flows-feed';

const flow = (i: number): FlowEvent => ({
  time: i, verdict: 'forwarded', dropReason: 0, direction: 'egress', protocol: 'tcp', match: 'policy', cookie: 7,
  src: { ip: `10.0.0.${i}`, port: 1000 + i, identity: 256, workload: 'default/a' }, dst: { ip: '10.0.0.200', port: 80, identity: 257 },
});
const batch = (from: number, n: number): FlowEvent[] => Array.from({ length: n }, (_, k) => flow(from + k));

/** What a webview holding the messages would retain. */
function received(messages: FlowsToWebview[], capacity: number): FlowEvent[] {
  const view = new FlowColumnRing(capacity);
  for (const m of messages) {
    if (m.type === 'flows/reset') { view.clear(); view.resize(m.capacity); view.append(m.columns); }
    if (m.type === 'flows/append') view.append(m.columns);
  }
  return view.events();
}

test('batches arriving within an interval go out as one message; every flow once, in order', async () => {
  const ring = new FlowColumnRing(100);
  const posted: FlowsToWebview[] = [];
  const feed = new FlowFeed(ring, (m) => posted.push(m), 20);
  ring.append(encodeFlowColumns(batch(0, 3)));
  feed.reset();
  for (const from of [3, 5, 9]) { ring.append(encodeFlowColumns(batch(from, from === 5 ? 4 : 2))); feed.appended(); }
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(posted.map((m) => m.type), ['flows/reset', 'flows/append']);
  assert.deepEqual(received(posted, 100), batch(0, 11));
  feed.flush();
  assert.equal(posted.length, 2, 'nothing new: nothing posted');
});

test('flows that left the ring before they were sent are skipped; a retention change is passed on', () => {
  const ring = new FlowColumnRing(4);
  const posted: FlowsToWebview[] = [];
  const feed = new FlowFeed(ring, (m) => posted.push(m));
  feed.reset();
  ring.append(encodeFlowColumns(batch(0, 10)));
  feed.appended();
  feed.flush();
  assert.deepEqual(received(posted, 4), batch(6, 4));
  ring.resize(2);
  feed.resized();
  assert.deepEqual(posted.at(-1), { type: 'flows/retention', capacity: 2 });
});
