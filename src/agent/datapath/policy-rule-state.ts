/**
 * The ps_policy rule entries the datapath should hold, kept up to date from
 * per-policy parts (PolicyState.entryParts) so that a one-policy change costs
 * in proportion to that policy, not to the whole bundle: update() returns the
 * delta (hex key → hex value, or undefined to delete) and applies it.
 *
 * Why it is exact: resolvePolicyEntries() works on groups of entries with the
 * same endpoint, direction and remote identity (one trie lookup compares
 * those exactly), and a group's resolution depends only on its own entries in
 * bundle order. Without a deny in a group, the first rule holding an L4 key
 * keeps it, so the group is the union of each part's own resolution, the
 * first part in bundle order winning a key: a changed part affects only the
 * keys it held or holds. With a deny in a group, a deny can cover allows of
 * other parts, so that group (and only that group) is resolved again from
 * every part's entries in it.
 *
 * A part is known by its array object (an unchanged policy keeps its array,
 * policy/map-state-cache.ts); when the unchanged parts are not in the same
 * relative order as before, or nothing is known yet (first apply, a
 * re-adopted datapath), everything is derived again and diffed.
 */
import { policyEntryHex, policyKeyHex } from './hex-keys';
import { resolvePolicyEntries } from './policy-entries';
import type { PolicyEntry } from './types';

/** Hex key → hex value. */
export type RawMap = Map<string, string>;
/** Hex key → new hex value, or undefined: delete the key. */
export type RawDelta = Map<string, string | undefined>;

type Part = readonly PolicyEntry[];

/** One part resolved on its own, per group (`endpoint/direction/identity`). */
interface ResolvedPart {
  groups: Map<string, RawMap>;
  entries: Map<string, PolicyEntry[]>;
  denyGroups: Set<string>;
}

const groupOf = (endpointId: number, direction: string | number, identity: number) => `${endpointId}/${direction}/${identity}`;

function resolvePart(part: Part): ResolvedPart {
  const entries = new Map<string, PolicyEntry[]>();
  const denyGroups = new Set<string>();
  for (const e of part) {
    const g = groupOf(e.endpointId, e.direction === 'ingress' ? 0 : 1, e.identity);
    let list = entries.get(g);
    if (!list) entries.set(g, (list = []));
    list.push(e);
    if (e.action === 'deny') denyGroups.add(g);
  }
  const groups = new Map<string, RawMap>();
  for (const [g, list] of entries) groups.set(g, resolvedMap(list));
  return { groups, entries, denyGroups };
}

function resolvedMap(entries: readonly PolicyEntry[]): RawMap {
  const out: RawMap = new Map();
  for (const e of resolvePolicyEntries(entries)) out.set(policyKeyHex(e), policyEntryHex(e));
  return out;
}

/** How the parts changed since the last update: those that went and came, the rest kept in order. */
interface PartChange { gone: Part[]; came: Part[] }

export class PolicyRuleState {
  private parts: Part[] = [];
  /** Each current part → its position (duplicates: the map is smaller than `parts`). */
  private positions = new Map<Part, number>();
  /** Whether `rules` is known to be derived from `parts` (false: adopted from the kernel). */
  private derived = false;
  private readonly resolved = new WeakMap<Part, ResolvedPart>();
  /** Group → how many current parts have a deny in it. */
  private denyCount = new Map<string, number>();

  /** `rules`: what the datapath holds now (e.g. read back from the active slot after a restart). */
  constructor(private rules: RawMap = new Map()) {}

  /** The desired rule entries (do not modify). */
  get current(): ReadonlyMap<string, string> {
    return this.rules;
  }

  /**
   * Makes the rules those of `parts` (in bundle order) and returns what changed.
   * `reusable`: the parts are immutable and an array seen before has the same
   * content (PolicyState.entryParts); otherwise nothing is reused.
   */
  update(parts: readonly Part[], reusable: boolean): RawDelta {
    const next = reusable ? [...parts] : parts.map((p) => [...p]);
    const positions = new Map<Part, number>();
    next.forEach((p, i) => positions.set(p, i));
    const change = this.derived ? this.changeTo(next, positions) : undefined;
    const delta = change ? this.incremental(next, change) : this.full(next);
    this.parts = next;
    this.positions = positions;
    this.derived = true;
    for (const [k, v] of delta) {
      if (v === undefined) this.rules.delete(k);
      else this.rules.set(k, v);
    }
    return delta;
  }

  private resolve(part: Part): ResolvedPart {
    let r = this.resolved.get(part);
    if (!r) {
      r = resolvePart(part);
      this.resolved.set(part, r);
    }
    return r;
  }

  /**
   * What went and came, when some parts stay in the same relative order as
   * before and none is there twice; otherwise (or with none staying, a first
   * apply) undefined: the whole derivation is the way then.
   */
  private changeTo(next: readonly Part[], positions: Map<Part, number>): PartChange | undefined {
    if (positions.size !== next.length || this.positions.size !== this.parts.length) return undefined;
    const came: Part[] = [];
    let last = -1;
    let kept = 0;
    for (const p of next) {
      const i = this.positions.get(p);
      if (i === undefined) {
        came.push(p);
        continue;
      }
      if (i < last) return undefined;
      last = i;
      kept++;
    }
    if (kept === 0 && next.length > 0) return undefined;
    const gone = kept === this.parts.length ? [] : this.parts.filter((p) => !positions.has(p));
    return { gone, came };
  }

  private countDenies(parts: readonly Part[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of parts) for (const g of this.resolve(p).denyGroups) counts.set(g, (counts.get(g) ?? 0) + 1);
    return counts;
  }

  /** Everything again from the parts, diffed against the current rules. */
  private full(next: readonly Part[]): RawDelta {
    this.denyCount = this.countDenies(next);
    const want: RawMap = new Map();
    const denyGroups = new Set<string>();
    for (const p of next) {
      for (const [g, map] of this.resolve(p).groups) {
        if (this.denyCount.has(g)) {
          denyGroups.add(g);
          continue;
        }
        for (const [k, v] of map) if (!want.has(k)) want.set(k, v);
      }
    }
    for (const g of denyGroups) for (const [k, v] of this.resolveGroup(next, g)) want.set(k, v);
    const delta: RawDelta = new Map();
    for (const [k, v] of want) if (this.rules.get(k) !== v) delta.set(k, v);
    for (const k of this.rules.keys()) if (!want.has(k)) delta.set(k, undefined);
    return delta;
  }

  /** Only the groups of the parts that went or came, and in deny-free groups only the keys those parts hold. */
  private incremental(next: readonly Part[], change: PartChange): RawDelta {
    const gone = change.gone.map((p) => this.resolve(p));
    const came = change.came.map((p) => this.resolve(p));
    const delta: RawDelta = new Map();
    if (gone.length === 0 && came.length === 0) return delta;

    const hadDeny = new Set(this.denyCount.keys());
    for (const r of gone) for (const g of r.denyGroups) this.denyCount.set(g, this.denyCount.get(g)! - 1);
    for (const r of came) for (const g of r.denyGroups) this.denyCount.set(g, (this.denyCount.get(g) ?? 0) + 1);
    for (const [g, n] of this.denyCount) if (n <= 0) this.denyCount.delete(g);

    // Per affected group, the keys the changed parts held or hold.
    const affected = new Map<string, Set<string>>();
    for (const r of [...gone, ...came]) {
      for (const [g, map] of r.groups) {
        let keys = affected.get(g);
        if (!keys) affected.set(g, (keys = new Set()));
        for (const k of map.keys()) keys.add(k);
      }
    }
    for (const [g, keys] of affected) {
      if (hadDeny.has(g) || this.denyCount.has(g)) {
        // A deny may cover any allow of the group: resolve it again, over every key it had or has.
        const want = this.resolveGroup(next, g);
        for (const r of gone) for (const k of r.groups.get(g)?.keys() ?? []) keys.add(k);
        for (const p of next) for (const k of this.resolve(p).groups.get(g)?.keys() ?? []) keys.add(k);
        for (const k of keys) {
          const v = want.get(k);
          if (this.rules.get(k) !== v) delta.set(k, v);
        }
        continue;
      }
      // Each affected key's value: that of the first part in bundle order holding it (none: delete).
      const pending = new Set(keys);
      const want = new Map<string, string>();
      for (let i = 0; i < next.length && pending.size > 0; i++) {
        const m = this.resolve(next[i]!).groups.get(g);
        if (!m) continue;
        for (const k of pending) {
          const v = m.get(k);
          if (v !== undefined) {
            want.set(k, v);
            pending.delete(k);
          }
        }
      }
      for (const k of keys) {
        const v = want.get(k);
        if (this.rules.get(k) !== v) delta.set(k, v);
      }
    }
    return delta;
  }

  /** One group resolved from every part's entries in it, in bundle order (deny precedence across parts). */
  private resolveGroup(parts: readonly Part[], g: string): RawMap {
    const entries: PolicyEntry[] = [];
    for (const p of parts) {
      const list = this.resolve(p).entries.get(g);
      if (list) entries.push(...list);
    }
    return resolvedMap(entries);
  }
}
