/**
 * Where the agent gets its Datapath. The one seam to src/agent/datapath/, so
 * tests of the lab, compiler and probes run without BPF, and a different
 * datapath (e.g. a fake for UI work) can be passed in.
 */
import type { Datapath, DatapathOptions } from './datapath/types';

export type OpenDatapath = (opts: DatapathOptions) => Promise<Datapath>;

export function defaultOpenDatapath(): OpenDatapath | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('./datapath') as { openDatapath?: OpenDatapath };
    return mod.openDatapath;
  } catch {
    return undefined;
  }
}
