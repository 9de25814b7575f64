/**
 * The ring of recent flows, kept in the extension host so that webviews can be
 * closed, hidden or reloaded without losing anything: they are refilled from
 * here. Flows are kept as columns (FlowColumnRing: no object per retained
 * flow), as many as the `policyStudio.flowRetention` setting says, applied
 * live (a smaller retention keeps the newest).
 */
import * as vscode from 'vscode';
import type { FlowBatchPacked } from '../protocol/agent-rpc';
import { FlowColumnRing } from '../protocol/flow-column-ring';
import { unpackFlowBatch } from '../protocol/flow-packed';
import { FlowCursor } from '../protocol/flow-cursor';
import type { FlowEvent } from '../protocol/flow-event';

export const RETENTION_SETTING = 'flowRetention';
const RETENTION_DEFAULT = 100_000;
const RETENTION_MIN = 1_000;
const RETENTION_MAX = 1_000_000;

/** The setting's value, clamped to what package.json allows (a hand-edited settings.json may say anything). */
export function configuredRetention(): number {
  const value = vscode.workspace.getConfiguration('policyStudio').get<number>(RETENTION_SETTING, RETENTION_DEFAULT);
  return Number.isFinite(value) ? Math.min(RETENTION_MAX, Math.max(RETENTION_MIN, Math.floor(value))) : RETENTION_DEFAULT;
}

export class FlowStore implements vscode.Disposable {
  /** The retained flows; the flows panel posts slices of it to its webview. */
  readonly ring: FlowColumnRing;
  private readonly appended = new vscode.EventEmitter<void>();
  private readonly cleared = new vscode.EventEmitter<void>();
  private readonly resized = new vscode.EventEmitter<number>();
  private readonly watcher: vscode.Disposable;
  /** Events the datapath lost to ring-buffer overflow, as the agent reported them. */
  lost = 0;

  /** Flows arrived: they are the newest of `ring` (rule counts read its columns; nothing is made an object here). */
  readonly onDidAppend = this.appended.event;
  readonly onDidClear = this.cleared.event;
  /** The retention setting changed; the argument is the new capacity. */
  readonly onDidResize = this.resized.event;

  constructor(capacity = configuredRetention()) {
    this.ring = new FlowColumnRing(capacity);
    this.watcher = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`policyStudio.${RETENTION_SETTING}`)) this.resize(configuredRetention());
    });
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  /** A flows/batchPacked notification (the one form the agent sends): its typed columns go into the ring as they are. */
  append(batch: FlowBatchPacked): void {
    this.lost += batch.lost;
    if (!batch.count) return;
    this.ring.append(unpackFlowBatch(batch));
    this.appended.fire();
  }

  /** Oldest first, as objects (made on each call: for tests and on-demand consumers, not per frame). */
  all(): FlowEvent[] {
    return this.ring.events();
  }

  /**
   * Every retained flow, oldest first, through one cursor (no object per flow):
   * for consumers that read each flow once and keep none (the service map).
   */
  *scan(): IterableIterator<FlowEvent> {
    const cursor = new FlowCursor(this.ring);
    for (let seq = this.ring.base; seq < this.ring.end; seq++) yield cursor.at(seq)!;
  }

  /** The newest `limit` dropped flows, newest first, made into objects without decoding the rest. */
  recentDrops(limit: number): FlowEvent[] {
    const out: FlowEvent[] = [];
    const verdict = this.ring.columns.verdict;
    for (let seq = this.ring.end - 1; seq >= this.ring.base && out.length < limit; seq--) {
      if (verdict[this.ring.slotOf(seq)]) out.push(this.ring.event(seq)!);
    }
    return out;
  }

  get size(): number {
    return this.ring.length;
  }

  resize(capacity: number): void {
    if (capacity === this.ring.capacity) return;
    this.ring.resize(capacity);
    this.resized.fire(capacity);
  }

  clear(): void {
    this.ring.clear();
    this.lost = 0;
    this.cleared.fire();
  }

  dispose(): void {
    this.watcher.dispose();
    this.appended.dispose();
    this.cleared.dispose();
    this.resized.dispose();
  }
}
