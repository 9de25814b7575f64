/**
 * The last datapath build (from Deploy or Build Datapath), kept in the
 * extension host so the verifier-log view and the Problems panel show the
 * same result, and a reloaded view gets it again.
 */
import * as vscode from 'vscode';
import type { DatapathBuildResult } from '../../protocol/agent-rpc';

export interface DatapathBuild { result: DatapathBuildResult; time: number }

export class DatapathBuilds implements vscode.Disposable {
  private current?: DatapathBuild;
  private readonly changed = new vscode.EventEmitter<DatapathBuild>();
  readonly onDidChange = this.changed.event;

  get last(): DatapathBuild | undefined {
    return this.current;
  }

  publish(result: DatapathBuildResult | undefined): void {
    if (!result) return;
    this.current = { result, time: Date.now() };
    this.changed.fire(this.current);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
