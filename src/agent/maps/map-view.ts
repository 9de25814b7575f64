/**
 * maps/dump: the datapath's maps (decoded by the driver) made readable for
 * the UI — identities with their label sets, cookies with the rule (or the
 * policy of an enforcement entry) and its source — and paged.
 *
 * A cursor is `<map>:<last key>`: the key the previous page ended with
 * (its canonical JSON, base64url), and the next page starts after it in key
 * order. Maps change while someone pages through them (conntrack always
 * does); a key cursor neither repeats nor skips an entry that stays, which an
 * offset would as soon as an entry before it came or went.
 */
import type { IdentityInfo, MapEntryView, MapView } from '../../protocol/agent-rpc';
import { ANY_IDENTITY_LABELS, ReservedIdentity } from '../../protocol/identities';
import type { MapDump } from '../datapath/types';
import type { FlowEnricher } from '../flows/flow-enricher';

export const MAP_DESCRIPTIONS: Record<string, string> = {
  ps_config: 'runtime settings: trace-all, conntrack lifetimes (0 = default), local delivery routed (1) or direct (0)',
  ps_endpoints: 'host-side veth ifindex → endpoint id and identity',
  ps_lxc: 'local delivery: endpoint IPv4 → its host-side veth, endpoint id, workload and node MACs',
  ps_ipcache0: 'policy slot 0: IPv4 prefix → identity (longest prefix wins; miss = world)',
  ps_ipcache1: 'policy slot 1: IPv4 prefix → identity (longest prefix wins; miss = world)',
  ps_policy0: 'policy slot 0: endpoint, remote identity, direction, protocol, port prefix → allow/deny + rule cookie; enforcement entries',
  ps_policy1: 'policy slot 1: endpoint, remote identity, direction, protocol, port prefix → allow/deny + rule cookie; enforcement entries',
  ps_active: 'which policy slot packets read, and the policy generation',
  ps_ct: 'conntrack (LRU): connections per endpoint and direction, TCP state, expiry',
  ps_frag: 'IPv4 fragment tracking (LRU): datagram (addresses, IP id, protocol) → the ports its first fragment carried',
  ps_events: 'ring buffer of flow events (not dumpable)',
  ps_counters: 'per-CPU counters, summed',
  ps_drops: 'per-CPU drops by reason, summed',
};

export interface PageRequest { map?: string; /** Sort key of the last entry already seen. */ after?: string; limit: number }

/** The sort key a cursor continues after, or undefined for the first page (validate.ts checks the form). */
export function parseCursor(cursor: string | undefined): string | undefined {
  return cursor ? Buffer.from(cursor.slice(cursor.indexOf(':') + 1), 'base64url').toString('utf8') : undefined;
}

export function cursorAfter(map: string, sortKey: string): string {
  return `${map}:${Buffer.from(sortKey, 'utf8').toString('base64url')}`;
}

export class MapViewer {
  constructor(private readonly identities: () => IdentityInfo[], private readonly enricher: FlowEnricher) {}

  view(dumps: readonly MapDump[], req: PageRequest): MapView[] {
    const byId = new Map(this.identities().map((i) => [i.id, i]));
    return dumps.map((d) => {
      const keyed = d.entries.map((e) => ({ e, k: sortKey(e.key) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      const first = req.after === undefined ? 0 : firstAfter(keyed, req.after);
      const page = keyed.slice(first, first + req.limit);
      const view: MapView = {
        name: d.name,
        description: MAP_DESCRIPTIONS[d.name] ?? '',
        type: d.type,
        maxEntries: d.maxEntries,
        fill: d.fill,
        entries: page.map(({ e }) => this.entry(e, byId)),
      };
      if (first + req.limit < keyed.length) view.nextCursor = cursorAfter(d.name, page.at(-1)!.k);
      return view;
    });
  }

  private entry(e: MapDump['entries'][number], byId: Map<number, IdentityInfo>): MapEntryView {
    const out: MapEntryView = { key: e.key, value: e.value };
    const identity = typeof e.key.identity === 'number' ? e.key.identity : typeof e.value.identity === 'number' ? e.value.identity : undefined;
    if (identity !== undefined) {
      out.identity = identity === ReservedIdentity.Any ? { id: identity, labels: { ...ANY_IDENTITY_LABELS } } : byId.get(identity) ?? { id: identity, labels: {} };
    }
    const cookie = typeof e.value.cookie === 'number' ? e.value.cookie : typeof e.value.policyCookie === 'number' ? e.value.policyCookie : 0;
    if (cookie) out.rule = { cookie, ...this.enricher.describeCookie(cookie) };
    return out;
  }
}

/** A key's canonical text (decoded keys always list their fields in one order); pages follow its order. */
function sortKey(key: Record<string, unknown>): string {
  return JSON.stringify(key);
}

/** Index of the first entry whose key sorts after `after` (binary search over the sorted page keys). */
function firstAfter(keyed: readonly { k: string }[], after: string): number {
  let lo = 0;
  let hi = keyed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyed[mid]!.k <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
