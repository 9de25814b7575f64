/**
 * One flow of a FlowColumnRing read through the FlowEvent interface, without
 * making an object per flow: a cursor is moved to a sequence number and its
 * getters read the columns there. The flows view filters and renders rows
 * through one cursor, so the filter and row code work on objects and columns
 * alike. A cursor is valid until it is moved or the ring changes.
 */
import { OPTIONAL_NUMBER_FIELDS } from './flow-columns';
import type { FlowColumnRing } from './flow-column-ring';
import type { FlowEndpoint, FlowEvent, FlowMatch, Verdict } from './flow-event';
import type { Direction, SourceLocation } from './policy-ir';

type Cols = FlowColumnRing['columns'];

class EndpointCursor implements FlowEndpoint {
  constructor(private readonly flow: FlowCursor, private readonly side: 'src' | 'dst') {}
  get ip(): string { return this.flow.str(this.side === 'src' ? this.flow.cols.srcIp : this.flow.cols.dstIp)!; }
  get port(): number { return (this.side === 'src' ? this.flow.cols.srcPort : this.flow.cols.dstPort)[this.flow.slot]!; }
  get identity(): number { return (this.side === 'src' ? this.flow.cols.srcIdentity : this.flow.cols.dstIdentity)[this.flow.slot]!; }
  get workload(): string | undefined { return this.flow.str(this.side === 'src' ? this.flow.cols.srcWorkload : this.flow.cols.dstWorkload); }
}

export class FlowCursor implements FlowEvent {
  /** @internal the columns and slot the getters read. */
  cols!: Cols;
  slot = -1;
  readonly src: FlowEndpoint = new EndpointCursor(this, 'src');
  readonly dst: FlowEndpoint = new EndpointCursor(this, 'dst');

  constructor(private readonly ring: FlowColumnRing) {}

  /** Moves to flow `seq`; returns this cursor, or undefined when the flow is not retained. */
  at(seq: number): this | undefined {
    this.slot = this.ring.slotOf(seq);
    this.cols = this.ring.columns;
    return this.slot < 0 ? undefined : this;
  }

  /** @internal */
  str(column: Int32Array): string | undefined { return this.ring.stringAt(column[this.slot]!); }

  get time(): number { return this.cols.time[this.slot]!; }
  get verdict(): Verdict { return this.cols.verdict[this.slot] ? 'dropped' : 'forwarded'; }
  get dropReason(): number { return this.cols.dropReason[this.slot]!; }
  get dropReasonText(): string | undefined { return this.str(this.cols.dropReasonText); }
  get direction(): Direction { return this.cols.direction[this.slot] ? 'egress' : 'ingress'; }
  get endpoint(): string | undefined { return this.str(this.cols.endpoint); }
  get protocol(): string { return this.str(this.cols.protocol)!; }
  get match(): FlowMatch { return this.str(this.cols.match) as FlowMatch; }
  get cookie(): number { return this.cols.cookie[this.slot]!; }
  get ruleId(): string | undefined { return this.str(this.cols.ruleId); }
  get policyId(): string | undefined { return this.str(this.cols.policyId); }
  get ruleText(): string | undefined { return this.str(this.cols.ruleText); }
  get tcpFlags(): string | undefined { return this.str(this.cols.tcpFlags); }
  get length(): number | undefined { return this.optional('length'); }
  get ifindex(): number | undefined { return this.optional('ifindex'); }
  get source(): SourceLocation | undefined { const v = this.cols.source[this.slot]!; return v < 0 ? undefined : this.ring.sources[v]; }

  /** An optional number field: its column's value, or undefined where it holds the field's "absent" (flow-columns.ts). */
  private optional(field: keyof typeof OPTIONAL_NUMBER_FIELDS): number | undefined {
    const v = this.cols[field][this.slot]!;
    return v === OPTIONAL_NUMBER_FIELDS[field] ? undefined : v;
  }
}
