/**
 * Pins outlive the datapath that made them. A datapath whose map definitions
 * changed cannot reuse them: the build says so plainly, and the pinned
 * datapath stays as it was. destroy() removes every pin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatapath } from '../../src/agent/datapath';
import { BPF_DIR, BUILD_CACHE, datapathOptions, Namespaces, shortId, tempDir } from './datapath-fixture';

test('a changed map definition is refused with a clear message; destroy removes the pins', async (t) => {
  const id = shortId();
  const nsList = new Namespaces();
  t.after(() => nsList.cleanup());
  const node = nsList.add(`pspn${id}-node`);
  const opts = datapathOptions(id, node);

  const first = await openDatapath(opts);
  t.after(() => first.destroy().catch(() => {}));
  assert.ok(first.initialBuild?.ok);
  await first.setIpcache([{ cidr: '10.244.7.0/24', identity: 4242 }]);
  await first.close();
  assert.ok(readdirSync(opts.pinDir).includes('ps_ct'), 'maps stay pinned after close');

  const src = tempDir('pspn-bpf-');
  t.after(() => src.remove());
  cpSync(BPF_DIR, src.path, { recursive: true });
  const ct = join(src.path, 'lib', 'conntrack.h');
  writeFileSync(ct, readFileSync(ct, 'utf8').replace('__uint(max_entries, 65536);', '__uint(max_entries, 32768);'));

  const changed = await openDatapath({ ...opts, bpfDir: src.path, buildDir: BUILD_CACHE });
  t.after(() => changed.close());
  assert.equal(changed.initialBuild?.ok, false);
  assert.equal(changed.initialBuild?.stage, 'load');
  assert.match(changed.initialBuild!.verifierLog, /other map definitions; tear the lab down/);
  assert.match(changed.initialBuild!.verifierLog, /ps_ct/);
  assert.equal(changed.state().loaded, false);
  // The pinned maps are still there and still readable through the pins.
  const ipcache = (await changed.dumpMaps()).find((m) => m.name === 'ps_ipcache');
  assert.deepEqual(ipcache?.entries, [{ key: { cidr: '10.244.7.0/24' }, value: { identity: 4242 } }]);
  await changed.destroy();
  assert.equal(existsSync(opts.pinDir), false);
});
