/**
 * The lab's state on disk (/run/policy-studio/<lab>/state.json): endpoints,
 * their addresses and ids, identity allocations and the last applied policy
 * bundle. A restarted agent reads it to re-adopt the lab (its namespaces and
 * the pinned datapath outlive the agent). /run is a tmpfs: a reboot, which
 * also removes every namespace, forgets it too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EndpointState } from '../../protocol/agent-rpc';
import type { PolicyBundle } from '../../protocol/policy-ir';
import type { IdentitySnapshot } from '../policy/identity-allocator';
import { stateDir } from './names';

export const LAB_STATE_VERSION = 1;

export interface LabRecord {
  version: typeof LAB_STATE_VERSION;
  name: string;
  nodeNetns: string;
  nodeIp: string;
  endpoints: EndpointState[];
  nextEndpointId: number;
  identities: IdentitySnapshot;
  bundle?: PolicyBundle;
  policyGeneration: number;
  datapathLoaded: boolean;
}

export function stateFile(lab: string): string {
  return path.join(stateDir(lab), 'state.json');
}

export function readLabRecord(lab: string): LabRecord | null {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(lab), 'utf8');
  } catch {
    return null;
  }
  const rec = JSON.parse(text) as LabRecord;
  if (rec.version !== LAB_STATE_VERSION || rec.name !== lab) return null;
  return rec;
}

/**
 * Write atomically (temp file + rename) so a killed agent never leaves half a state file.
 * `json`: the record already serialised (the agent reuses unchanged policies' text, bundle-json.ts).
 */
export function writeLabRecord(rec: LabRecord, json?: string): void {
  const file = stateFile(rec.name);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  // Compact: with a 10,000-rule bundle in it, indentation alone costs tens of milliseconds per apply.
  fs.writeFileSync(tmp, json ?? JSON.stringify(rec), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function removeLabRecord(lab: string): void {
  fs.rmSync(stateDir(lab), { recursive: true, force: true });
}
