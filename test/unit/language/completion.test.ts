import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearDocuments, expectCompletion, parseHelper } from 'langium/test';
import type { CompletionList } from 'vscode-languageserver';
import { newServices } from './helpers.js';

const services = newServices();
const complete = expectCompletion(services);

const WORKLOADS = `workload frontend { labels { app: "frontend", tier: "web" } }
workload backend { labels { app: "backend" } }
workload db { labels { app: "db" } }
`;

function labels(list: CompletionList): string[] {
  return list.items.map((i) => i.label).sort();
}

test('after `app == "` it offers the app values of every workload in the workspace', async () => {
  await clearDocuments(services);
  // One workload lives in another file: completion must see the whole workspace.
  await parseHelper(services)('workload cache { labels { app: "cache" } }', { documentUri: 'file:///ws/cache.policy' });
  await complete({
    text: WORKLOADS + 'policy p {\n  select app == "<|>\n}\n',
    index: 0,
    disposeAfterCheck: true,
    assert: (list) => {
      assert.deepEqual(labels(list), ['backend', 'cache', 'db', 'frontend']);
      const item = list.items.find((i) => i.label === 'frontend')!;
      assert.equal(item.textEdit && 'newText' in item.textEdit ? item.textEdit.newText : undefined, '"frontend"');
    },
  });
});

test('inside `in (…, "` and in a label block it offers values of that key', async () => {
  await clearDocuments(services);
  await complete({
    text: WORKLOADS + 'policy p {\n  select tier in ("api", "<|>\n}\n',
    index: 0,
    disposeAfterCheck: true,
    assert: (list) => assert.deepEqual(labels(list), ['web']),
  });
});

test('where a label key is expected it offers the keys in use', async () => {
  await clearDocuments(services);
  await complete({
    text: WORKLOADS + 'policy p {\n  select <|>\n}\n',
    index: 0,
    disposeAfterCheck: true,
    assert: (list) => {
      const got = labels(list);
      assert.ok(got.includes('app') && got.includes('tier'), 'keys, got: ' + got.join(','));
      assert.ok(got.includes('exists'), 'the exists-k form is offered too, got: ' + got.join(','));
    },
  });
});

test('after `expect` and `->` it offers workload names', async () => {
  await clearDocuments(services);
  await complete({
    text: WORKLOADS + 'expect <|>fr -> <|>\n',
    index: 1,
    disposeAfterCheck: true,
    assert: (list) => assert.deepEqual(labels(list).filter((l) => !l.includes('/')), ['backend', 'db', 'frontend']),
  });
});

test('keywords in context: a rule starts with allow or deny', async () => {
  await clearDocuments(services);
  await complete({
    text: WORKLOADS + 'policy p {\n  select app == "db"\n  ingress {\n    <|>\n  }\n}\n',
    index: 0,
    disposeAfterCheck: true,
    assert: (list) => assert.deepEqual(labels(list), ['allow', 'deny']),
  });
});
