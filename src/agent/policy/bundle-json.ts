/**
 * The lab record's JSON with its policy bundle, each policy serialised once
 * per object: the record is written after every apply (a restarted agent
 * re-adopts from it), and with a 10,000-rule bundle a full JSON.stringify
 * costs tens of milliseconds, while a patch changes one policy. Unchanged
 * policies keep their objects (bundle-patch.ts), so their text is reused.
 */
import { randomUUID } from 'node:crypto';
import type { PolicyBundle, PolicyIR } from '../../protocol/policy-ir';
import type { LabRecord } from '../lab/lab-state-store';

/** Stands in for a part while the rest is stringified; no user text can contain this process's random id. */
const MARKER = JSON.stringify(`\u0000policy-studio-${randomUUID()}`);
const MARKER_VALUE = JSON.parse(MARKER) as string;

export class BundleJson {
  private readonly policies = new WeakMap<PolicyIR, string>();

  /** JSON.stringify(rec), byte for byte, with the bundle's policies from the cache. */
  record(rec: LabRecord): string {
    if (!rec.bundle) return JSON.stringify(rec);
    return splice(JSON.stringify({ ...rec, bundle: MARKER_VALUE }), this.bundle(rec.bundle));
  }

  bundle(bundle: PolicyBundle): string {
    const policies = bundle.policies.map((p) => {
      let text = this.policies.get(p);
      if (text === undefined) {
        text = JSON.stringify(p);
        this.policies.set(p, text);
      }
      return text;
    });
    return splice(JSON.stringify({ ...bundle, policies: MARKER_VALUE }), `[${policies.join(',')}]`);
  }
}

function splice(json: string, part: string): string {
  const at = json.indexOf(MARKER);
  return json.slice(0, at) + part + json.slice(at + MARKER.length);
}
