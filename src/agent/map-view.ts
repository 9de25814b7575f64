/**
 * maps/dump: the datapath's maps (decoded by the driver) made readable for
 * the UI — identities with their label sets, cookies with the rule (or the
 * policy of an enforcement entry) and its source — and paged.
 *
 * A cursor is `<map>:<offset>` into the map's entries in key order. Maps
 * change while someone pages through them: a page is consistent in itself,
 * and an entry added or removed meanwhile may shift the next page by one.
 */
import type { IdentityInfo, MapEntryView, MapView } from '../protocol/agent-rpc';
import type { MapDump } from './datapath/types';
import type { FlowEnricher } from './flow-enricher';

export const MAP_DESCRIPTIONS: Record<string, string> = {
  ps_config: 'runtime settings: trace-all and conntrack lifetimes (0 = default)',
  ps_endpoints: 'host-side veth ifindex → endpoint id and identity',
  ps_ipcache0: 'policy slot 0: IPv4 prefix → identity (longest prefix wins; miss = world)',
  ps_ipcache1: 'policy slot 1: IPv4 prefix → identity (longest prefix wins; miss = world)',
  ps_policy0: 'policy slot 0: endpoint, remote identity, direction, protocol, port prefix → allow/deny + rule cookie; enforcement entries',
  ps_policy1: 'policy slot 1: endpoint, remote identity, direction, protocol, port prefix → allow/deny + rule cookie; enforcement entries',
  ps_active: 'which policy slot packets read, and the policy generation',
  ps_ct: 'conntrack (LRU): connections per endpoint and direction, TCP state, expiry',
  ps_events: 'ring buffer of flow events (not dumpable)',
  ps_counters: 'per-CPU counters, summed',
  ps_drops: 'per-CPU drops by reason, summed',
};

export interface PageRequest { map?: string; offset: number; limit: number }

export function parseCursor(cursor: string | undefined): number {
  return cursor ? Number(cursor.slice(cursor.indexOf(':') + 1)) : 0;
}

export class MapViewer {
  constructor(private readonly identities: () => IdentityInfo[], private readonly enricher: FlowEnricher) {}

  view(dumps: readonly MapDump[], req: PageRequest): MapView[] {
    const byId = new Map(this.identities().map((i) => [i.id, i]));
    return dumps.map((d) => {
      const sorted = [...d.entries].sort((a, b) => compareKeys(a.key, b.key));
      const page = sorted.slice(req.offset, req.offset + req.limit);
      const view: MapView = {
        name: d.name,
        description: MAP_DESCRIPTIONS[d.name] ?? '',
        type: d.type,
        maxEntries: d.maxEntries,
        fill: d.fill,
        entries: page.map((e) => this.entry(e, byId)),
      };
      if (req.offset + req.limit < sorted.length) view.nextCursor = `${d.name}:${req.offset + req.limit}`;
      return view;
    });
  }

  private entry(e: MapDump['entries'][number], byId: Map<number, IdentityInfo>): MapEntryView {
    const out: MapEntryView = { key: e.key, value: e.value };
    const identity = typeof e.key.identity === 'number' ? e.key.identity : typeof e.value.identity === 'number' ? e.value.identity : undefined;
    if (identity !== undefined) {
      out.identity = identity === 0 ? { id: 0, labels: { 'reserved:any': '' } } : byId.get(identity) ?? { id: identity, labels: {} };
    }
    const cookie = typeof e.value.cookie === 'number' ? e.value.cookie : typeof e.value.policyCookie === 'number' ? e.value.policyCookie : 0;
    if (cookie) out.rule = { cookie, ...this.enricher.describeCookie(cookie) };
    return out;
  }
}

function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = JSON.stringify(a);
  const kb = JSON.stringify(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
