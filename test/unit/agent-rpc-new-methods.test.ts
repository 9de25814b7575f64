/**
 * Parameters of flows/subscribe, flows/traceAll and maps/dump, and what maps/dump does with
 * the datapath's decoded maps: identities and cookies explained, pages cut
 * in key order with a cursor that continues where the last page ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseError } from 'vscode-jsonrpc';
import { AgentErrorCode } from '../../src/protocol/agent-rpc';
import { validateDatapathLocalDelivery, validateFlowsSubscribe, validateFlowsTraceAll, validateMapsDump } from '../../src/agent/rpc/validate';
import { cursorAfter, MAP_DESCRIPTIONS, MapViewer, parseCursor } from '../../src/agent/maps/map-view';
import { MapName } from '../../src/agent/datapath/layouts';
import { FlowEnricher } from '../../src/agent/flows/flow-enricher';
import { cookieOf, type PolicyBundle, type SourceLocation } from '../../src/protocol/policy-ir';

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ResponseError && e.code === AgentErrorCode.BadRequest && message.test(e.message));
}

test('flows/subscribe has one form of flows: asking for a retired one is refused by name', () => {
  assert.deepEqual(validateFlowsSubscribe({ traceAll: true }), { traceAll: true });
  assert.deepEqual(validateFlowsSubscribe(undefined), {});
  // What a client written for the choice of forms sends when it wants the one that is left.
  assert.deepEqual(validateFlowsSubscribe({ packed: true, compact: false }), {});
  rejects(() => validateFlowsSubscribe({ compact: true }), /^compact: flows\/batchCompact is gone; flows are sent only as flows\/batchPacked/);
  rejects(() => validateFlowsSubscribe({ packed: false }), /^packed: false asks for flows\/batch, which is gone/);
  rejects(() => validateFlowsSubscribe({ packed: 'yes' }), /^packed: expected true or false/);
});

test('flows/traceAll takes exactly a boolean', () => {
  assert.deepEqual(validateFlowsTraceAll({ traceAll: true }), { traceAll: true });
  rejects(() => validateFlowsTraceAll({ traceAll: 1 }), /^traceAll: expected true or false/);
  rejects(() => validateFlowsTraceAll(null), /^params: /);
});

test('datapath/localDelivery takes "direct" or "routed" only', () => {
  assert.deepEqual(validateDatapathLocalDelivery({ mode: 'routed' }), { mode: 'routed' });
  assert.deepEqual(validateDatapathLocalDelivery({ mode: 'direct' }), { mode: 'direct' });
  for (const bad of [{}, { mode: 'Direct' }, { mode: 1 }]) rejects(() => validateDatapathLocalDelivery(bad), /^mode: expected "direct" or "routed"/);
  rejects(() => validateDatapathLocalDelivery(null), /^params: /);
});

test('maps/dump: every map of the datapath has a description for the maps view', () => {
  for (const name of Object.values(MapName)) assert.ok(MAP_DESCRIPTIONS[name], `${name} has a description`);
});

test('maps/dump: map names, cursors and limits are checked; a cursor names its map', () => {
  assert.deepEqual(validateMapsDump(undefined), {});
  assert.deepEqual(validateMapsDump({ map: 'ps_ct', limit: 10 }), { map: 'ps_ct', limit: 10 });
  const c = cursorAfter('ps_policy1', '{"endpointId":3}');
  assert.deepEqual(validateMapsDump({ cursor: c }), { map: 'ps_policy1', cursor: c });
  rejects(() => validateMapsDump({ map: '/sys/fs/bpf/x' }), /^map: /);
  rejects(() => validateMapsDump({ map: 'ps_ct; reboot' }), /^map: /);
  rejects(() => validateMapsDump({ cursor: 'ps_ct:-1' }), /^cursor: /);
  rejects(() => validateMapsDump({ cursor: 'ps_ct:500' }), /^cursor: not a cursor this agent gave out/);
  rejects(() => validateMapsDump({ map: 'ps_ct', cursor: cursorAfter('ps_policy0', '{}') }), /^cursor: belongs to ps_policy0/);
  rejects(() => validateMapsDump({ limit: 0 }), /^limit: 0 is out of range/);
  rejects(() => validateMapsDump({ limit: 10_001 }), /^limit: /);
  assert.equal(parseCursor(cursorAfter('ps_ct', '{"a":1}')), '{"a":1}');
  assert.equal(parseCursor(undefined), undefined);
});

test('maps/dump view: identities with labels, rule and policy cookies with ids and sources, paging', () => {
  const at: SourceLocation = { uri: 'file:///a.policy', range: { start: { line: 4, character: 2 }, end: { line: 4, character: 30 } } };
  const sel: SourceLocation = { uri: 'file:///a.policy', range: { start: { line: 1, character: 2 }, end: { line: 1, character: 20 } } };
  const ruleId = 'default/db/ingress/0';
  const bundle: PolicyBundle = {
    version: 1, workloads: [], expects: [],
    policies: [{
      id: 'default/db', cookie: cookieOf('default/db'), name: 'db', namespace: 'default', selector: { terms: [{ key: 'app', operator: 'in', values: ['db'] }] },
      ingress: [{ id: ruleId, cookie: cookieOf(ruleId), action: 'allow', direction: 'ingress', peers: [], ports: [], text: 'allow from app == "web"', source: at }],
      source: sel, selectSource: sel,
    }],
  };
  const enricher = new FlowEnricher();
  enricher.setBundle(bundle);
  const viewer = new MapViewer(() => [{ id: 256, labels: { 'k8s:app': 'web' } }], enricher);
  const entries = [
    { key: { endpointId: 1, identity: 256, direction: 'ingress', protocol: 6, portStart: 80, portEnd: 80 }, value: { action: 'allow', cookie: cookieOf(ruleId) } },
    { key: { endpointId: 1, direction: 'ingress', enforcement: true }, value: { policyCookie: cookieOf('default/db') } },
    { key: { endpointId: 1, identity: 0, direction: 'ingress', protocol: 17 }, value: { action: 'allow', cookie: 12345 } },
  ];
  const [view] = viewer.view([{ name: 'ps_policy0', type: 'lpm_trie', maxEntries: 262144, fill: 3, entries }], { limit: 10 });
  assert.equal(view!.fill, 3);
  assert.equal(view!.nextCursor, undefined);
  const rule = view!.entries.find((e) => e.key.identity === 256)!;
  assert.deepEqual(rule.identity, { id: 256, labels: { 'k8s:app': 'web' } });
  assert.equal(rule.rule?.ruleId, ruleId);
  assert.deepEqual(rule.rule?.source, at);
  const enforcement = view!.entries.find((e) => e.key.enforcement === true)!;
  assert.equal(enforcement.rule?.policyId, 'default/db');
  assert.deepEqual(enforcement.rule?.source, sel);
  const wildcard = view!.entries.find((e) => e.key.identity === 0)!;
  assert.deepEqual(wildcard.identity?.labels, { 'reserved:any': '' });
  assert.deepEqual(wildcard.rule, { cookie: 12345 }, 'an unknown cookie is shown as is');

  const dump = (es: typeof entries) => [{ name: 'ps_policy0', type: 'lpm_trie', maxEntries: 9, fill: es.length, entries: es }];
  const pages = [viewer.view(dump(entries), { limit: 1 })[0]!];
  while (pages.at(-1)!.nextCursor) pages.push(viewer.view(dump(entries), { after: parseCursor(pages.at(-1)!.nextCursor), limit: 1 })[0]!);
  assert.equal(pages.length, 3);
  assert.equal(new Set(pages.map((p) => JSON.stringify(p.entries[0]!.key))).size, 3, 'pages do not overlap');

  // The map changes between pages (as conntrack does): an entry before the cursor goes away and
  // one comes. The next page still starts right after the last key seen: nothing repeated, nothing skipped.
  const [p1] = viewer.view(dump(entries), { limit: 2 });
  const seen = p1!.entries.map((e) => JSON.stringify(e.key));
  const changed = entries.filter((e) => JSON.stringify(e.key) !== seen[0]);
  const [p2] = viewer.view(dump(changed), { after: parseCursor(p1!.nextCursor), limit: 10 });
  const rest = p2!.entries.map((e) => JSON.stringify(e.key));
  assert.deepEqual([...seen, ...rest].sort(), entries.map((e) => JSON.stringify(e.key)).sort(), 'every entry exactly once');
});
