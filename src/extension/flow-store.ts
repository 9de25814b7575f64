/**
 * The ring of recent flows, kept in the extension host so that webviews can be
 * closed, hidden or reloaded without losing anything: they are refilled from here.
 */
import * as vscode from 'vscode';
import type { FlowEvent } from '../protocol/flow-event';

export class FlowStore implements vscode.Disposable {
  private readonly ring: FlowEvent[] = [];
  private start = 0;
  private readonly appended = new vscode.EventEmitter<FlowEvent[]>();
  private readonly cleared = new vscode.EventEmitter<void>();
  /** Events the datapath lost to ring-buffer overflow, as the agent reported them. */
  lost = 0;

  readonly onDidAppend = this.appended.event;
  readonly onDidClear = this.cleared.event;

  constructor(readonly capacity = 100_000) {}

  append(flows: FlowEvent[], lost = 0): void {
    this.lost += lost;
    for (const flow of flows) {
      if (this.ring.length < this.capacity) this.ring.push(flow);
      else {
        this.ring[this.start] = flow;
        this.start = (this.start + 1) % this.capacity;
      }
    }
    if (flows.length) this.appended.fire(flows);
  }

  /** Oldest first. */
  all(): FlowEvent[] {
    return this.ring.slice(this.start).concat(this.ring.slice(0, this.start));
  }

  get size(): number {
    return this.ring.length;
  }

  clear(): void {
    this.ring.length = 0;
    this.start = 0;
    this.lost = 0;
    this.cleared.fire();
  }

  dispose(): void {
    this.appended.dispose();
    this.cleared.dispose();
  }
}
