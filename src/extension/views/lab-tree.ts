/**
 * The Lab view: the target and its health, the lab's workloads (endpoints with
 * addresses, identities and labels), the policies applied, and the datapath's
 * programs from the last deploy. Context actions: probe from a workload, show
 * its flows, open a policy.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { DatapathBuildResult, EndpointState } from '../../protocol/agent-rpc';
import type { PolicyIR } from '../../protocol/policy-ir';

export type LabNode =
  | { kind: 'target' }
  | { kind: 'section'; section: 'workloads' | 'policies' | 'datapath' }
  | { kind: 'workload'; workload: string; endpoints: EndpointState[] }
  | { kind: 'endpoint'; endpoint: EndpointState }
  | { kind: 'label'; key: string; value: string }
  | { kind: 'policy'; policy: PolicyIR }
  | { kind: 'program'; name: string; detail: string }
  | { kind: 'info'; text: string; command?: vscode.Command };

export class LabTreeProvider implements vscode.TreeDataProvider<LabNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LabNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The last deploy's datapath result (programs and verifier statistics). */
  datapath?: DatapathBuildResult;

  constructor(private readonly ctx: Ctx) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: LabNode): vscode.TreeItem {
    switch (node.kind) {
      case 'target': {
        const item = new vscode.TreeItem(`Target: ${this.ctx.target.label}`, vscode.TreeItemCollapsibleState.None);
        item.description = this.ctx.status.health;
        item.iconPath = new vscode.ThemeIcon(this.ctx.status.health === 'error' ? 'error' : this.ctx.session ? 'vm-active' : 'vm-outline');
        item.tooltip = this.ctx.session ? `Agent ${this.ctx.session.hello.agentVersion} on ${this.ctx.session.hello.hostname}, kernel ${this.ctx.session.hello.kernel}` : 'Not connected';
        item.contextValue = 'target';
        item.command = { command: 'policyStudio.showLog', title: 'Show Log' };
        return item;
      }
      case 'section': {
        const titles = { workloads: 'Workloads', policies: 'Policies applied', datapath: 'Datapath' };
        const icons = { workloads: 'server-environment', policies: 'shield', datapath: 'circuit-board' };
        const item = new vscode.TreeItem(titles[node.section], vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon(icons[node.section]);
        item.id = `section:${node.section}`;
        return item;
      }
      case 'workload': {
        const item = new vscode.TreeItem(node.workload, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `workload:${node.workload}`;
        item.description = node.endpoints.map((e) => e.ip).join(', ');
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'workload';
        item.tooltip = `${node.endpoints.length} endpoint(s); identity ${[...new Set(node.endpoints.map((e) => e.identity))].join(', ')}`;
        return item;
      }
      case 'endpoint': {
        const e = node.endpoint;
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `endpoint:${e.name}`;
        item.description = `${e.ip} · identity ${e.identity}`;
        item.tooltip = `netns ${e.netns}, host interface ${e.ifname}, endpoint id ${e.endpointId}`;
        item.iconPath = new vscode.ThemeIcon('circle-filled');
        return item;
      }
      case 'label': {
        const item = new vscode.TreeItem(`${node.key}: ${node.value}`);
        item.iconPath = new vscode.ThemeIcon('tag');
        return item;
      }
      case 'policy': {
        const item = new vscode.TreeItem(node.policy.name);
        item.description = [node.policy.ingress && `ingress ${node.policy.ingress.length}`, node.policy.egress && `egress ${node.policy.egress.length}`].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon('law');
        item.contextValue = 'policy';
        item.command = { command: 'policyStudio.lab.openPolicy', title: 'Open Policy', arguments: [node] };
        return item;
      }
      case 'program': {
        const item = new vscode.TreeItem(node.name);
        item.description = node.detail;
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        return item;
      }
      case 'info': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon('info');
        item.command = node.command;
        return item;
      }
    }
  }

  getChildren(node?: LabNode): LabNode[] {
    if (!node) {
      if (!this.ctx.session) return []; // the welcome view (viewsWelcome) shows instead
      return [{ kind: 'target' }, { kind: 'section', section: 'workloads' }, { kind: 'section', section: 'policies' }, { kind: 'section', section: 'datapath' }];
    }
    const lab = this.ctx.session?.lab;
    switch (node.kind) {
      case 'section':
        if (node.section === 'workloads') {
          if (!lab?.endpoints.length) return [{ kind: 'info', text: 'No lab yet: deploy the workspace', command: { command: 'policyStudio.deploy', title: 'Deploy' } }];
          const byWorkload = new Map<string, EndpointState[]>();
          for (const e of lab.endpoints) byWorkload.set(`${e.namespace}/${e.workload}`, [...(byWorkload.get(`${e.namespace}/${e.workload}`) ?? []), e]);
          return [...byWorkload].sort(([a], [b]) => a.localeCompare(b)).map(([workload, endpoints]) => ({ kind: 'workload', workload, endpoints }));
        }
        if (node.section === 'policies') {
          const policies = this.ctx.session?.bundle?.policies ?? [];
          return policies.length ? policies.map((policy) => ({ kind: 'policy', policy })) : [{ kind: 'info', text: 'No policy applied' }];
        }
        if (!this.datapath) return [{ kind: 'info', text: 'Loaded on the next deploy' }];
        return this.datapath.programs.map((p) => ({
          kind: 'program', name: p.program,
          detail: [p.insnsProcessed !== undefined && `${p.insnsProcessed} insns`, p.states !== undefined && `${p.states} states`, p.stackDepth && `stack ${p.stackDepth}`].filter(Boolean).join(' · '),
        }));
      case 'workload':
        return node.endpoints.map((endpoint) => ({ kind: 'endpoint', endpoint }));
      case 'endpoint':
        return Object.entries(node.endpoint.labels).sort().map(([key, value]) => ({ kind: 'label', key, value }));
      default:
        return [];
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
