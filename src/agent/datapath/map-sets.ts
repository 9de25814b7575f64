/**
 * Map sets: the datapath's pinned maps live in `<pinDir>/maps-<n>`. When a
 * new datapath's map definitions no longer match the pinned ones (a layout
 * change between versions), the driver loads it into a fresh set n+1, fills
 * that from the desired state (and migrates conntrack), swaps the links over
 * and only then removes set n: traffic is enforced by a complete set at every
 * moment. The walking skeleton pinned its maps directly in `<pinDir>`: that
 * is the legacy set, migrated the same way.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface MapSet { dir: string; index: number; legacy: boolean }

const SET_NAME = /^maps-(\d+)$/;

/** The set in use: the highest numbered one, else legacy pins, else a fresh set 1. */
export function currentMapSet(pinDir: string): MapSet {
  const names = existsSync(pinDir) ? readdirSync(pinDir) : [];
  const indexes = names.map((n) => SET_NAME.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
  if (indexes.length > 0) {
    const index = Math.max(...indexes);
    return { dir: join(pinDir, `maps-${index}`), index, legacy: false };
  }
  if (names.some((n) => n.startsWith('ps_'))) return { dir: pinDir, index: 0, legacy: true };
  return { dir: join(pinDir, 'maps-1'), index: 1, legacy: false };
}

export function nextMapSet(pinDir: string, current: MapSet): MapSet {
  const index = current.index + 1;
  return { dir: join(pinDir, `maps-${index}`), index, legacy: false };
}

/** Unpins a replaced set's maps (the kernel frees them once no program uses them). */
export function removeMapSet(pinDir: string, set: MapSet): void {
  if (!set.dir.startsWith(pinDir)) throw new Error(`refusing to remove ${set.dir}: not under ${pinDir}`);
  if (set.legacy) {
    for (const n of readdirSync(set.dir)) if (n.startsWith('ps_')) rmSync(join(set.dir, n), { force: true });
  } else {
    rmSync(set.dir, { recursive: true, force: true });
  }
}

/** Older sets left by an interrupted migration: removed once the current one serves the links. */
export function staleMapSets(pinDir: string, current: MapSet): MapSet[] {
  if (!existsSync(pinDir)) return [];
  return readdirSync(pinDir)
    .map((n) => SET_NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) < current.index)
    .map((m) => ({ dir: join(pinDir, m[0]), index: Number(m[1]), legacy: false }));
}
