/**
 * The TypeScript struct layouts (src/agent/datapath/layouts.ts) against the
 * BTF of the object clang builds from bpf/: same sizes, same member offsets,
 * and no C member the TypeScript side does not know (padding aside).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_LAYOUTS, COUNTER_NAMES, MapName } from '../../src/agent/datapath/layouts';
import { compileBpfObject } from '../../src/agent/datapath/toolchain';
import { BPF_DIR, BUILD_CACHE } from './datapath-fixture';

interface BtfType { id: number; kind: string; name: string; size?: number; members?: { name: string; bits_offset: number }[]; values?: { name: string; val: number }[] }

test('struct layouts match the BTF of the compiled datapath', async () => {
  const built = await compileBpfObject(BPF_DIR, BUILD_CACHE);
  assert.ok(built.ok, built.output);
  const btf = JSON.parse(execFileSync('bpftool', ['btf', 'dump', 'file', built.objectPath, '-j'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { types: BtfType[] };
  const structs = new Map(btf.types.filter((t) => t.kind === 'STRUCT').map((t) => [t.name, t]));

  for (const layout of ALL_LAYOUTS) {
    const s = structs.get(layout.name);
    assert.ok(s, `struct ${layout.name} in BTF`);
    assert.equal(s.size, layout.size, `sizeof(struct ${layout.name})`);
    const cOffsets = new Map(s.members!.map((m) => [m.name, m.bits_offset / 8]));
    for (const [member, offset] of Object.entries(layout.offsets)) {
      assert.equal(cOffsets.get(member), offset, `offsetof(struct ${layout.name}, ${member})`);
    }
    for (const member of cOffsets.keys()) {
      if (/^(pad|reserved|rest)/.test(member)) continue;
      assert.ok(member in layout.offsets, `struct ${layout.name}.${member} is known to layouts.ts`);
    }
  }

  // The counter indexes are constants (not in BTF): compare with the enum's text.
  const header = readFileSync(join(BPF_DIR, 'lib', 'events.h'), 'utf8');
  const body = /enum counter_index \{([^}]*)\}/.exec(header)?.[1] ?? '';
  const cNames = [...body.matchAll(/COUNTER_(\w+)/g)].map((m) => m[1]).filter((n) => n !== 'MAX');
  assert.deepEqual(cNames.map((n) => n.toLowerCase().replace(/_/g, '')), COUNTER_NAMES.map((n) => n.toLowerCase()));

  const maps = new Set(btf.types.filter((t) => t.kind === 'VAR').map((t) => t.name));
  for (const name of Object.values(MapName)) assert.ok(maps.has(name), `map ${name} in the object`);
});
