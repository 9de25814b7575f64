/**
 * The Docker target through the extension, in a real VS Code: the workspace
 * sets policyStudio.target=docker, the extension host talks to a real dockerd
 * this test starts (DOCKER_HOST), creates the labelled dev container, runs the
 * agent in it over docker exec, and the user's Deploy and Probe build and test
 * a lab INSIDE the container. The base image is the cached debootstrap one
 * (test/transport/support/dockerd.ts, keyed by version outside the clone).
 * The container and dockerd are removed afterwards, also on failure.
 * Screenshots in test-results/e2e/docker-deploy/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ensureDevImage } from '../../src/client/docker/dev-image';
import { findDevContainer, removeDevContainer } from '../../src/client/docker/dev-container';
import { runInContainer } from '../../src/client/docker/docker-agent';
import { netnsPrefix } from '../../src/agent/lab/names';
import { openE2eSession, probeFromUi } from '../harness/e2e-session';
import { labNamespaces } from '../harness/lab-cleanup';
import { REPO_ROOT } from '../harness/vscode-server';
import { ensureBaseImage, startDockerd } from '../transport/support/dockerd';

const LAB = `dkr${process.pid % 100_000}`;
const CONTAINER = `ps-e2e-${process.pid}`;

test('deploy to a Docker target from the UI', { timeout: 600_000 }, async (t) => {
  const dockerd = await startDockerd();
  // After hooks run in the order registered: this one goes once the session's (VS Code stopped, so no
  // reconnect can recreate the container), or alone when the session never opened.
  const removeContainerAndDaemon = async (): Promise<void> => {
    await removeDevContainer(dockerd.docker, CONTAINER).catch(() => undefined);
    await dockerd.stop();
  };
  let session: Awaited<ReturnType<typeof openE2eSession>>;
  try {
    const base = await ensureBaseImage(dockerd.docker);
    // This daemon has no bridge, so the image's apt steps need the host network, which the extension
    // does not ask for (a user's engine has a bridge): build it here, once per machine (cached data-root),
    // under the tag the extension computes from the same Dockerfile and base.
    await ensureDevImage(dockerd.docker, { dockerfile: path.join(REPO_ROOT, 'docker/Dockerfile'), baseImage: base, buildNetworkMode: 'host' });

    session = await openE2eSession(t, {
      name: 'docker-deploy', lab: LAB,
      settings: {
        'policyStudio.target': 'docker',
        'policyStudio.docker.baseImage': base,
        'policyStudio.docker.containerName': CONTAINER,
      },
      serverEnv: { DOCKER_HOST: `unix://${dockerd.socket}` },
    });
  } catch (error) {
    await removeContainerAndDaemon();
    throw error;
  }
  t.after(removeContainerAndDaemon);
  const { wb } = session;
  const labInContainer = async (): Promise<string[]> => {
    const info = await findDevContainer(dockerd.docker, CONTAINER);
    if (!info) return [];
    const out = await runInContainer(dockerd.docker.getContainer(info.Id), ['ip', 'netns', 'list']);
    return out.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(netnsPrefix(LAB)));
  };

  await wb.openFile('shop.policy');
  await wb.statusBarItem('policyStudio.status').filter({ hasText: new RegExp(`docker ${CONTAINER}`) }).waitFor({ timeout: 60_000 });
  await wb.screenshot('docker target in the status bar');

  await wb.runCommand('Policy Studio: Deploy');
  await wb.statusBarItem('policyStudio.status').filter({ hasText: /deployed/i }).waitFor({ timeout: 300_000 });
  await wb.screenshot('deployed into the container');

  const info = await findDevContainer(dockerd.docker, CONTAINER);
  assert.equal(info?.Labels['dev.policy-studio.container'], CONTAINER, 'the extension created its labelled dev container');
  assert.ok((await labInContainer()).length >= 4, 'the lab (a namespace per endpoint plus the node) is inside the container');
  assert.deepEqual(labNamespaces(LAB), [], 'and not on this host');

  await probeFromUi(wb, 'frontend', 'db', '5432/tcp', /5432.*denied/);
  await probeFromUi(wb, 'backend', 'db', '5432/tcp', /5432.*allowed/);
  await wb.screenshot('probes in the container');

  await wb.runCommand('Policy Studio: Tear Down Lab');
  const deadline = Date.now() + 60_000;
  while ((await labInContainer()).length > 0 && Date.now() < deadline) await wb.page.waitForTimeout(500);
  assert.deepEqual(await labInContainer(), [], 'Tear Down Lab removed the lab inside the container');
});
