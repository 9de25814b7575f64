/**
 * Where the agent gets its Datapath: the one seam to src/agent/datapath/.
 * NodeAgent takes the opener as an option, so another datapath (e.g. a fake
 * for UI work) can be passed in without touching the rest of the agent.
 */
import type { DatapathBuildResult } from '../../protocol/agent-rpc';
import { openDatapath } from './';
import type { Datapath, DatapathOptions } from './types';

/** A datapath may have built once while opening; then `initialBuild` holds that result. */
export type OpenedDatapath = Datapath & { initialBuild?: DatapathBuildResult };

export type OpenDatapath = (opts: DatapathOptions) => Promise<OpenedDatapath>;

export function defaultOpenDatapath(): OpenDatapath {
  return openDatapath;
}
