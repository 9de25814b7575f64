/**
 * Pins outlive the datapath that made them, and a datapath whose map
 * definitions changed is migrated without a window: it loads into a new map
 * set while the old one keeps enforcing, the new set is filled (policy from
 * the desired state, conntrack and counters carried over), the links swap,
 * and the old set is unpinned. A UDP stream that passes only through
 * conntrack (its replies enter an endpoint whose ingress allows nothing)
 * loses nothing across the migration. destroy() removes every pin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatapath, type EbpfDatapath, type PolicyState } from '../../src/agent/datapath';
import { BPF_DIR, BUILD_CACHE, datapathOptions, Namespaces, shortId, tempDir } from './datapath-fixture';
import { buildLab, startServers, udpStream } from './policy-fixture';

test('a changed map definition is migrated into a new map set without losing traffic; destroy removes the pins', async (t) => {
  const id = shortId();
  const nsList = new Namespaces();
  t.after(() => nsList.cleanup());
  const { node, endpoints: [a, b] } = buildLab(nsList, `pspn${id}`, ['a', 'b']);
  const opts = datapathOptions(id, node);
  const server = await startServers(b!.netns, b!.ip, [], [9000]);
  t.after(() => { server.kill('SIGKILL'); });

  const state: PolicyState = {
    endpoints: [
      // a: ingress enforced with no rule, so b's replies pass only as conntrack replies.
      { endpointId: a!.endpointId, ifname: a!.ifname, ip: a!.ip, identity: a!.identity, ingressPolicyCookie: 0xa1, egressPolicyCookie: 0 },
      { endpointId: b!.endpointId, ifname: b!.ifname, ip: b!.ip, identity: b!.identity, ingressPolicyCookie: 0xb1, egressPolicyCookie: 0 },
    ],
    ipcache: [{ cidr: `${a!.ip}/32`, identity: a!.identity }, { cidr: `${b!.ip}/32`, identity: b!.identity }],
    entries: [{ endpointId: b!.endpointId, direction: 'ingress', identity: a!.identity, protocol: 17, portStart: 9000, portEnd: 9000, action: 'allow', cookie: 0xb2 }],
  };

  const first = await openDatapath(opts);
  let current: EbpfDatapath = first;
  t.after(() => current.destroy().catch(() => {}));
  assert.ok(first.initialBuild?.ok, first.initialBuild?.verifierLog);
  await first.applyPolicyState(state);
  await first.setEndpoints([...state.endpoints]);
  const oldSet = first.mapSetInfo().dir;

  // ~2.4 s of traffic, one datagram every 4 ms, across the whole migration.
  const stream = udpStream(a!.netns, b!.ip, 9000, 600, 4);
  await new Promise((r) => setTimeout(r, 300));
  const packetsBefore = (await first.counters()).counters.packets!;
  await first.close();
  assert.ok(readdirSync(oldSet).includes('ps_ct'), 'maps stay pinned after close');

  const src = tempDir('pspn-bpf-');
  t.after(() => src.remove());
  cpSync(BPF_DIR, src.path, { recursive: true });
  const ct = join(src.path, 'lib', 'conntrack.h');
  writeFileSync(ct, readFileSync(ct, 'utf8').replace('__uint(max_entries, 65536);', '__uint(max_entries, 32768);'));

  const changed = await openDatapath({ ...opts, bpfDir: src.path, buildDir: BUILD_CACHE });
  current = changed;
  assert.equal(changed.initialBuild?.ok, true, changed.initialBuild?.verifierLog);
  assert.equal(changed.mapSetInfo().migrating, true);
  assert.ok(existsSync(oldSet), 'the old set keeps enforcing until the new one is filled');
  // What the agent does after every load: program the whole state, then the endpoints (which swaps the links).
  await changed.applyPolicyState(state);
  await changed.setEndpoints([...state.endpoints]);
  assert.equal(changed.mapSetInfo().migrating, false);
  assert.notEqual(changed.mapSetInfo().dir, oldSet);
  assert.equal(existsSync(oldSet), false, 'the old set is unpinned after the swap');

  const { sent, received } = await stream;
  assert.equal(received, sent, `every datagram of the conntrack-only stream came back (${received}/${sent})`);
  const counters = (await changed.counters()).counters;
  assert.ok(counters.packets! > packetsBefore, 'counters carried over and kept counting');
  const ctMap = (await changed.dumpMaps(['ps_ct']))[0]!;
  assert.equal(ctMap.maxEntries, 32768, 'the new definition is in force');
  assert.ok(ctMap.entries.some((e) => e.key.dport === 9000), 'the stream is tracked in the new conntrack');

  await changed.destroy();
  assert.equal(existsSync(opts.pinDir), false);
});
