/**
 * `expect` lines in the Test Explorer, one test per line grouped by file. Two
 * run profiles: Static (the language server's evaluator, default) and Live
 * (real probes in the lab through the agent). A failure is shown at the
 * expect line, naming the deciding rule, with the rule's line as a stack frame.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { ExpectIR, SourceLocation } from '../../protocol/policy-ir';
import type { PolicyBundleCache } from '../editor/policy-bundle-cache';
import { decisionText, flowDecision } from '../../protocol/decision-text';

export class ExpectTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('policyStudio.expects', 'Policy expectations');
  private readonly expects = new Map<string, ExpectIR>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx, private readonly bundle: PolicyBundleCache) {
    this.controller.resolveHandler = async () => { await this.discover(); };
    this.controller.refreshHandler = async () => { await this.discover(); };
    this.controller.createRunProfile('Static (evaluator)', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token, 'static'), true);
    this.controller.createRunProfile('Live (probes in the lab)', vscode.TestRunProfileKind.Run, (req, token) => this.run(req, token, 'live'), false);
    this.subscriptions.push(bundle.onDidChange(() => void this.discover()));
  }

  /** Rebuilds the tree from the compiled workspace: file items, then one item per expect. */
  async discover(): Promise<number> {
    const compiled = await this.bundle.get();
    if (!compiled) return 0;
    this.expects.clear();
    const files = new Map<string, vscode.TestItem>();
    for (const expect of compiled.bundle.expects) {
      const uri = vscode.Uri.parse(expect.source.uri);
      let file = files.get(expect.source.uri);
      if (!file) {
        file = this.controller.items.get(expect.source.uri) ?? this.controller.createTestItem(expect.source.uri, vscode.workspace.asRelativePath(uri), uri);
        file.children.replace([]);
        files.set(expect.source.uri, file);
      }
      const id = `${expect.source.uri}#${expect.source.range.start.line}`;
      const item = this.controller.createTestItem(id, expect.text.replace(/^expect\s+/, ''), uri);
      item.range = range(expect.source);
      file.children.add(item);
      this.expects.set(id, expect);
    }
    this.controller.items.replace([...files.values()]);
    return this.expects.size;
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken, mode: 'static' | 'live'): Promise<void> {
    await this.discover();
    const run = this.controller.createTestRun(request, `expects (${mode})`, true);
    const queue: vscode.TestItem[] = [];
    const collect = (item: vscode.TestItem): void => {
      if (request.exclude?.includes(item)) return;
      if (this.expects.has(item.id)) queue.push(item);
      item.children.forEach(collect);
    };
    if (request.include) request.include.forEach(collect); else this.controller.items.forEach(collect);
    for (const item of queue) run.enqueued(item);
    try {
      if (mode === 'live' && !(await this.ensureLab(run))) {
        for (const item of queue) run.skipped(item);
        return;
      }
      for (const item of queue) {
        if (token.isCancellationRequested) { run.skipped(item); continue; }
        const expect = this.expects.get(item.id)!;
        run.started(item);
        const t0 = Date.now();
        try {
          const outcome = mode === 'static' ? await this.runStatic(expect) : await this.runLive(expect);
          if (outcome.ok) run.passed(item, Date.now() - t0);
          else {
            const message = new vscode.TestMessage(outcome.message);
            message.location = new vscode.Location(item.uri!, item.range!);
            message.expectedOutput = expect.verdict;
            message.actualOutput = outcome.actual;
            if (outcome.deciding) {
              message.stackTrace = [new vscode.TestMessageStackFrame(outcome.decidingLabel ?? 'deciding rule', vscode.Uri.parse(outcome.deciding.uri), position(outcome.deciding))];
            }
            run.failed(item, message, Date.now() - t0);
          }
        } catch (error) {
          run.errored(item, new vscode.TestMessage(error instanceof Error ? error.message : String(error)));
        }
      }
    } finally {
      run.end();
    }
  }

  private async runStatic(expect: ExpectIR): Promise<Outcome> {
    if (expect.protocol === 'any') return { ok: false, actual: '?', message: 'An expect needs tcp, udp or icmp.' };
    const result = await this.bundle.trace({ from: expect.from, to: expect.to, port: expect.port, protocol: expect.protocol, icmpType: expect.icmpType });
    if ('error' in result) return { ok: false, actual: 'error', message: result.error };
    if (result.verdict === expect.verdict) return { ok: true, actual: result.verdict, message: '' };
    const d = result.decidedBy;
    const why = decisionText(result);
    return {
      ok: false, actual: result.verdict, deciding: d.kind === 'default-allow' ? undefined : d.source, decidingLabel: why,
      message: `Expected ${expect.verdict}, but ${why}.\n${result.steps.join('\n')}`,
    };
  }

  private async runLive(expect: ExpectIR): Promise<Outcome> {
    if (expect.protocol === 'any' || expect.to.includes(':')) {
      return { ok: false, actual: 'skipped', message: 'Only workload-to-workload expects with tcp, udp or icmp run live.' };
    }
    const session = await this.ctx.ensureSession();
    const result = await session.probe({ from: expect.from, to: expect.to, protocol: expect.protocol, port: expect.port });
    if (result.verdict === expect.verdict) return { ok: true, actual: result.verdict, message: '' };
    const flow = result.flow;
    const why = flow ? decisionText(flowDecision(flow)) : 'no flow event';
    return {
      ok: false, actual: result.verdict, deciding: flow?.source, decidingLabel: flow ? why : undefined,
      message: `Expected ${expect.verdict}, but the real packet was ${result.verdict} (${result.outcome}): ${why}.`,
    };
  }

  /** Live runs need a deployed lab: offer to deploy when there is none. */
  private async ensureLab(run: vscode.TestRun): Promise<boolean> {
    if (!vscode.workspace.isTrusted) {
      run.appendOutput('Live tests send packets on a target: trust this workspace first.\r\n');
      return false;
    }
    const session = await this.ctx.ensureSession();
    if (session.lab?.endpoints.length) return true;
    run.appendOutput('No lab is deployed: deploying the workspace first.\r\n');
    const outcome = await vscode.commands.executeCommand<{ ok: boolean } | undefined>('policyStudio.deploy');
    return !!outcome?.ok;
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.controller.dispose();
  }
}

interface Outcome { ok: boolean; actual: string; message: string; deciding?: SourceLocation; decidingLabel?: string }

function position(source: SourceLocation): vscode.Position {
  return new vscode.Position(source.range.start.line, source.range.start.character);
}

function range(source: SourceLocation): vscode.Range {
  const r = source.range;
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}
