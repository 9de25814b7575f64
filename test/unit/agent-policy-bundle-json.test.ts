/**
 * The state file's text with cached policy JSON (bundle-json.ts) is exactly
 * JSON.stringify of the record, also after a patch replaced a policy and for
 * text that looks like JSON or like the marker it splices at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BundleJson } from '../../src/agent/policy/bundle-json';
import type { LabRecord } from '../../src/agent/lab/lab-state-store';
import { applyPatch } from '../../src/agent/policy/bundle-patch';
import { cookieOf, type PolicyBundle, type PolicyIR } from '../../src/protocol/policy-ir';

const loc = { uri: 'file:///a "b".policy', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } };
const pol = (name: string, text: string): PolicyIR => ({
  id: `default/${name}`, cookie: cookieOf(`default/${name}`), name, namespace: 'default', source: loc, selectSource: loc,
  selector: { terms: [{ key: 'app', operator: 'in', values: ['x'] }] },
  ingress: [{ id: `default/${name}/ingress/0`, cookie: cookieOf(`default/${name}/ingress/0`), action: 'allow', direction: 'ingress', peers: [], ports: [], text, source: loc }],
});

test('the record text equals JSON.stringify(record), before and after a patch', () => {
  const bundle: PolicyBundle = { version: 1, workloads: [], policies: [pol('a', 'allow "q" \\ \u0000 ]}'), pol('b', '"policies":[]')], expects: [] };
  const rec: LabRecord = {
    version: 1, name: 'x', nodeNetns: 'ps-x-node', nodeIp: '10.244.0.1', endpoints: [], nextEndpointId: 1,
    identities: { endpoints: [], cidrs: [] }, policyGeneration: 3, datapathLoaded: true, bundle,
  };
  const json = new BundleJson();
  assert.equal(json.record(rec), JSON.stringify(rec));
  rec.bundle = applyPatch(bundle, { upsert: [pol('b', 'changed')], remove: [] });
  assert.equal(json.record(rec), JSON.stringify(rec));
  assert.deepEqual(JSON.parse(json.record(rec)), JSON.parse(JSON.stringify(rec)));
  delete rec.bundle;
  assert.equal(json.record(rec), JSON.stringify(rec));
});
