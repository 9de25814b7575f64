/**
 * A traffic source for the event pipeline that real packets cannot be on
 * this machine: BPF_PROG_TEST_RUN of the lab's real endpoint program with
 * `repeat`, in paced bursts. Real 64-byte UDP between two lab namespaces tops
 * out around 100k packets/s on 2 cores before the pipeline gets any CPU, so
 * it cannot offer 200k events/s.
 *
 * The source is a ps-loader of its own (not the agent's), in the lab's node
 * namespace, that loads the same object against the agent's pinned maps
 * without swapping any link (`load … noswap`): its programs share ps_events,
 * conntrack and policy with the attached ones, so every run emits a real flow
 * event into the ring buffer the agent watches, and its CPU is not the agent's.
 * The packet is a lab flow (client → server, UDP to the sink port) run on the
 * server's to_endpoint: after the first run the flow is established, and in
 * trace-all mode each repetition is one event.
 */
import path from 'node:path';
import { LoaderProcess } from '../../src/agent/datapath/loader-process';
import { currentMapSet } from '../../src/agent/datapath/map-sets';
import { craftTestPacket } from '../../src/agent/datapath/test-packet';
import { buildLoader, compileBpfObject } from '../../src/agent/datapath/toolchain';
import { toHex } from '../../src/agent/datapath/layouts';
import { pinDir, stateDir } from '../../src/agent/lab/names';
import type { EndpointState } from '../../src/protocol/agent-rpc';

export interface TestRunSource {
  /** Runs the program `repeat` times on the packet; resolves when the kernel is done. */
  fire(repeat: number): Promise<void>;
  pid: number | undefined;
  close(): Promise<void>;
}

export async function openTestRunSource(lab: string, nodeNetns: string, bpfDir: string, from: EndpointState, to: EndpointState, dport: number): Promise<TestRunSource> {
  const buildDir = path.join(stateDir(lab), 'build');
  const object = await compileBpfObject(bpfDir, buildDir);
  if (!object.ok) throw new Error(`bpf/ does not compile:\n${object.output}`);
  const loader = await LoaderProcess.start(await buildLoader(bpfDir, buildDir), nodeNetns, (_level, msg) => process.stderr.write(`test-run source: ${msg}\n`));
  try {
    await loader.request('pin-dir', path.join(stateDir(lab), 'testrun-source'), currentMapSet(pinDir(lab)).dir);
    await loader.request('load', object.objectPath, 'noswap');
    const ifindex = String((await loader.request('ifindex', to.ifname)).ifindex);
    const packet = toHex(craftTestPacket({ src: from.ip, dst: to.ip, protocol: 'udp', sport: 45000, dport }));
    return {
      pid: loader.pid,
      async fire(repeat) { await loader.request('test-run', 'to_endpoint', ifindex, packet, String(repeat)); },
      close: () => loader.stop(),
    };
  } catch (err) {
    await loader.stop();
    throw err;
  }
}
