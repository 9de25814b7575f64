/**
 * The agent's entry point to the eBPF datapath. Everything else in this
 * folder is behind openDatapath() and the Datapath interface (types.ts).
 */
import { EbpfDatapath } from './ebpf-datapath';
import type { Datapath, DatapathOptions } from './types';

export type * from './types';
export { EbpfDatapath } from './ebpf-datapath';
export { FlowRecordReader, ipv4Text } from './flow-record-reader';
export { MapName } from './layouts';

/**
 * Opens (or re-adopts) the datapath pinned under opts.pinDir: builds the
 * loader, starts it in opts.nodeNetns, compiles and loads bpf/. A build that
 * clang or the verifier rejects does not throw; see `initialBuild` and
 * state().loaded.
 */
export async function openDatapath(opts: DatapathOptions): Promise<Datapath & EbpfDatapath> {
  return EbpfDatapath.open(opts);
}
