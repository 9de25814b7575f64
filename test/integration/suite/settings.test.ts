/**
 * The settings that reach the target, on the real agent and datapath:
 * policyStudio.datapathPath builds the workspace's own copy of bpf/ (and its
 * errors land in Problems on that copy), policyStudio.traceAll turns on flows
 * for every packet of an established connection while connected; and every
 * component's log has its command.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { suite, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { DatapathBuildResult, ProbeResult } from '../../../src/protocol/agent-rpc';
import type { FlowEvent } from '../../../src/protocol/flow-event';
import { nodeForwardedDatagrams } from '../../harness/node-counters';
import { EXTENSION_ID, openShopPolicy, waitFor, workspaceRoot } from './helpers';

/** What these tests read of the extension's exports (its Ctx). */
interface ExtensionApi { session?: { datapathDir: string; lab?: { nodeNetns: string } }; flows: { all(): FlowEvent[] } }

const api = (): ExtensionApi => vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.exports;
const config = () => vscode.workspace.getConfiguration('policyStudio');
const COPY = 'it-datapath';

/** Waits until no session runs on other sources than `dir` (a datapathPath change restarts it). */
async function sessionOn(dir: string): Promise<void> {
  await waitFor(`the agent on ${dir}`, () => (!api().session || api().session?.datapathDir === dir ? true : undefined));
}

/** IPv4 datagrams the deployed lab's node namespace has routed. */
function nodeForwarded(): number {
  const netns = api().session?.lab?.nodeNetns;
  assert.ok(netns, 'a deployed lab');
  return nodeForwardedDatagrams(netns);
}

suite('settings: datapathPath, traceAll, localDelivery, component logs', function () {
  this.timeout(240_000);
  const copy = path.join(workspaceRoot().fsPath, COPY);
  const source = path.join(copy, 'bpf_lxc.c');
  suiteTeardown(async () => {
    await config().update('datapathPath', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('traceAll', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('localDelivery', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('policyStudio.teardown');
    fs.rmSync(copy, { recursive: true, force: true });
  });

  test('each component log has a command that shows it', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['policyStudio.showLog', 'policyStudio.showAgentLog', 'policyStudio.showTargetLog', 'policyStudio.showLanguageServerLog', 'policyStudio.showDatapathLog']) {
      assert.ok(commands.includes(id), `${id} is registered`);
      await vscode.commands.executeCommand(id);
    }
  });

  test('datapathPath: Build Datapath compiles the workspace copy, and its error is a Problem on that copy', async () => {
    await openShopPolicy();
    const extensionBpf = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'bpf');
    fs.cpSync(extensionBpf, copy, { recursive: true });
    const lines = fs.readFileSync(source, 'utf8').split('\n');
    const at = lines.findIndex((l) => /^int tail_verdict\(/.test(l)) + 2; // inside the body, after its opening brace
    lines.splice(at, 0, '\tint it_datapath_broken = ;');
    fs.writeFileSync(source, lines.join('\n'));
    await config().update('datapathPath', COPY, vscode.ConfigurationTarget.Workspace);
    await sessionOn(copy);

    const result = await vscode.commands.executeCommand<DatapathBuildResult | undefined>('policyStudio.buildDatapath');
    assert.ok(result, 'Build Datapath returns the build result');
    assert.equal(result.ok, false);
    assert.equal(result.stage, 'compile');
    const problems = await waitFor('the clang error in Problems', () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(source)).filter((p) => p.severity === vscode.DiagnosticSeverity.Error);
      return d.length ? d : undefined;
    });
    assert.equal(problems[0].range.start.line, at, `on the inserted line ${at + 1} of ${COPY}/bpf_lxc.c`);
    assert.equal(vscode.languages.getDiagnostics(vscode.Uri.file(path.join(extensionBpf, 'bpf_lxc.c'))).length, 0, 'nothing on the shipped copy');

    fs.writeFileSync(source, lines.filter((l) => !l.includes('it_datapath_broken')).join('\n'));
    const mended = await vscode.commands.executeCommand<DatapathBuildResult | undefined>('policyStudio.buildDatapath');
    assert.equal(mended?.ok, true, mended?.verifierLog);
    await waitFor('Problems cleared', () => (vscode.languages.getDiagnostics(vscode.Uri.file(source)).length === 0 ? true : undefined));
  });

  test('traceAll: established packets become flows only while it is on, switched live', async () => {
    const deployed = await vscode.commands.executeCommand<{ ok: boolean }>('policyStudio.deploy');
    assert.equal(deployed?.ok, true);
    /** Flows of one probe's connection that the conntrack fast path forwarded (no policy lookup). */
    const establishedOf = async (): Promise<FlowEvent[]> => {
      const probe = await vscode.commands.executeCommand<ProbeResult | undefined>('policyStudio.probe', { from: 'backend', to: 'db', port: 5432, protocol: 'tcp' });
      assert.equal(probe?.verdict, 'allowed');
      const client = probe?.flow?.src.port;
      assert.ok(client, 'the probe reports its flow');
      await new Promise((r) => setTimeout(r, 1000)); // a flows/batchPacked goes out every 100 ms
      return api().flows.all().filter((f) => (f.match === 'ct-established' || f.match === 'ct-reply')
        && ((f.src.port === client && f.dst.port === 5432) || (f.src.port === 5432 && f.dst.port === client)));
    };
    assert.equal(config().get('traceAll'), false);
    assert.deepEqual(await establishedOf(), [], 'off: only the new connection is a flow');

    await config().update('traceAll', true, vscode.ConfigurationTarget.Workspace);
    const seen = await waitFor('established flows with traceAll on', async () => {
      const flows = await establishedOf();
      return flows.length ? flows : undefined;
    }, 20_000);
    assert.ok(seen.every((f) => f.verdict === 'forwarded'));

    await config().update('traceAll', false, vscode.ConfigurationTarget.Workspace);
    await waitFor('no established flows once traceAll is off again', async () => ((await establishedOf()).length === 0 ? true : undefined), 20_000);
  });

  test('localDelivery: routed sends the lab\'s packets through the node, direct (the default) past it, switched live', async () => {
    const deployed = await vscode.commands.executeCommand<{ ok: boolean }>('policyStudio.deploy');
    assert.equal(deployed?.ok, true);
    /** A TCP probe the policy allows, and how many of its packets the node routed. */
    const probeRouted = async (): Promise<number> => {
      const before = nodeForwarded();
      const probe = await vscode.commands.executeCommand<ProbeResult | undefined>('policyStudio.probe', { from: 'backend', to: 'db', port: 5432, protocol: 'tcp' });
      assert.equal(probe?.verdict, 'allowed');
      return nodeForwarded() - before;
    };
    assert.equal(config().get('localDelivery'), 'direct');
    assert.equal(await probeRouted(), 0, 'direct: the node routes none of the connection');

    await config().update('localDelivery', 'routed', vscode.ConfigurationTarget.Workspace);
    await waitFor('the node routing the probe', async () => ((await probeRouted()) > 0 ? true : undefined), 20_000);

    await config().update('localDelivery', 'direct', vscode.ConfigurationTarget.Workspace);
    await waitFor('direct again', async () => ((await probeRouted()) === 0 ? true : undefined), 20_000);

    // Changed while no datapath is loaded: the next deploy sends it.
    await vscode.commands.executeCommand('policyStudio.teardown');
    await config().update('localDelivery', 'routed', vscode.ConfigurationTarget.Workspace);
    const redeployed = await vscode.commands.executeCommand<{ ok: boolean }>('policyStudio.deploy');
    assert.equal(redeployed?.ok, true);
    assert.ok((await probeRouted()) > 0, 'the deploy sent routed');
    await config().update('localDelivery', 'direct', vscode.ConfigurationTarget.Workspace);
    await waitFor('direct after the deploy', async () => ((await probeRouted()) === 0 ? true : undefined), 20_000);
  });
});
