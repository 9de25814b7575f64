/**
 * Map-set migration decisions: which maps are rebuilt, copied or converted,
 * and the conversion of the walking skeleton's conntrack entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CtEntryLayout, CtKeyLayout, decodeCtEntry, fromHex, LegacyCtEntryLayout, toHex } from '../../src/agent/datapath/layouts';
import { currentMapSet, nextMapSet, staleMapSets } from '../../src/agent/datapath/map-sets';
import { migrateEntries } from '../../src/agent/datapath/migrations';

test('agent-owned maps are rebuilt, same-layout maps copied, changed layouts converted or dropped', () => {
  const old = { keySize: 4, valueSize: 8, entries: [['00000000', '0100000000000000']] as [string, string][] };
  assert.equal(migrateEntries('ps_policy0', old, 4, 8, false), undefined);
  assert.equal(migrateEntries('ps_endpoints', old, 4, 8, false), undefined);
  assert.deepEqual(migrateEntries('ps_counters', old, 4, 8, true), old.entries);
  assert.equal(migrateEntries('ps_counters', old, 4, 16, true), undefined, 'no migration registered: starts empty');
});

test('a legacy conntrack entry becomes an established entry with an expiry', () => {
  const key = new Uint8Array(CtKeyLayout.size);
  key[CtKeyLayout.offsets.protocol] = 6;
  const value = new Uint8Array(LegacyCtEntryLayout.size);
  const v = new DataView(value.buffer);
  v.setBigUint64(LegacyCtEntryLayout.offsets.created_ns, 1000n, true);
  v.setBigUint64(LegacyCtEntryLayout.offsets.last_seen_ns, 5000n, true);
  v.setUint32(LegacyCtEntryLayout.offsets.cookie, 0xdeadbeef, true);
  v.setUint32(LegacyCtEntryLayout.offsets.packets, 7, true);
  v.setUint8(LegacyCtEntryLayout.offsets.tcp_flags_seen, 0x12);
  const out = migrateEntries('ps_ct', { keySize: CtKeyLayout.size, valueSize: LegacyCtEntryLayout.size, entries: [[toHex(key), toHex(value)]] }, CtKeyLayout.size, CtEntryLayout.size, false)!;
  assert.equal(out.length, 1);
  const e = decodeCtEntry(fromHex(out[0]![1]));
  assert.deepEqual({ ...e }, {
    createdNs: 1000n, lastSeenNs: 5000n, expiresNs: 5000n + 21600n * 1_000_000_000n, cookie: 0xdeadbeef, packets: 7,
    tcpFlagsOrig: 0x12, tcpFlagsReply: 0, state: 2,
  });
});

test('map sets: fresh, legacy pins, highest numbered set, and stale ones', () => {
  const dir = mkdtempSync(join(tmpdir(), 'psms-'));
  try {
    assert.deepEqual(currentMapSet(join(dir, 'none')), { dir: join(dir, 'none', 'maps-1'), index: 1, legacy: false });
    writeFileSync(join(dir, 'ps_ct'), '');
    mkdirSync(join(dir, 'links'));
    const legacy = currentMapSet(dir);
    assert.deepEqual(legacy, { dir, index: 0, legacy: true });
    assert.equal(nextMapSet(dir, legacy).dir, join(dir, 'maps-1'));
    mkdirSync(join(dir, 'maps-2'));
    mkdirSync(join(dir, 'maps-10'));
    const cur = currentMapSet(dir);
    assert.equal(cur.index, 10);
    assert.deepEqual(staleMapSets(dir, cur).map((s) => s.index), [2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
