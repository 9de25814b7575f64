/**
 * What a test client makes of a flows/batchPacked notification: its events
 * as objects, read through the same FlowColumnRing the extension keeps them
 * in, so a test asserts on what the extension would show.
 */
import type { FlowBatchPacked } from '../../src/protocol/agent-rpc';
import { FlowColumnRing } from '../../src/protocol/flow-column-ring';
import type { FlowEvent } from '../../src/protocol/flow-event';
import { unpackFlowBatch } from '../../src/protocol/flow-packed';

export interface ReceivedFlows {
  flows: FlowEvent[];
  /** Events lost since the batch before (FlowBatchPacked.lost). */
  lost: number;
}

export function receivedFlows(batch: FlowBatchPacked): ReceivedFlows {
  const ring = new FlowColumnRing(Math.max(1, batch.count));
  ring.append(unpackFlowBatch(batch));
  return { flows: ring.events(), lost: batch.lost };
}
