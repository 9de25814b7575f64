/** operation-scheduler.ts: which agent operations overlap, observed as the order things start and end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperationScheduler, ReadWriteLock } from '../../src/agent/rpc/operation-scheduler';

/** An operation that records its start and end and finishes when `release()` is called. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => { release = r; });
  const op = async () => { log.push(`${name}+`); await done; log.push(`${name}-`); return name; };
  return { op, release };
}
const tick = () => new Promise((r) => setImmediate(r));

test('a policy change runs while a probe is in flight; changes stay one at a time', async () => {
  const s = new OperationScheduler();
  const log: string[] = [];
  const probe = gate(log, 'probe');
  const apply1 = gate(log, 'apply1');
  const apply2 = gate(log, 'apply2');
  const p = s.run('probe', probe.op);
  const a1 = s.run('change', apply1.op);
  const a2 = s.run('change', apply2.op);
  await tick();
  assert.deepEqual(log, ['probe+', 'apply1+'], 'the change does not wait for the probe; the second change waits for the first');
  apply1.release(); await a1; await tick();
  assert.deepEqual(log, ['probe+', 'apply1+', 'apply1-', 'apply2+']);
  apply2.release(); probe.release();
  assert.deepEqual(await Promise.all([p, a2]), ['probe', 'apply2']);
});

test('a lab change waits for running probes, and probes that come after it wait for it', async () => {
  const s = new OperationScheduler();
  const log: string[] = [];
  const probe1 = gate(log, 'probe1');
  const teardown = gate(log, 'teardown');
  const probe2 = gate(log, 'probe2');
  const p1 = s.run('probe', probe1.op);
  const t = s.run('lab', teardown.op);
  const p2 = s.run('probe', probe2.op);
  await tick();
  assert.deepEqual(log, ['probe1+']);
  probe1.release(); await p1; await tick();
  assert.deepEqual(log, ['probe1+', 'probe1-', 'teardown+'], 'probe2 is held back behind the waiting lab change');
  teardown.release(); await t; await tick();
  assert.deepEqual(log, ['probe1+', 'probe1-', 'teardown+', 'teardown-', 'probe2+']);
  probe2.release(); await p2;
});

test('a failed operation releases its lock and the next one runs', async () => {
  const lock = new ReadWriteLock();
  await assert.rejects(lock.write(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await lock.write(async () => 'after'), 'after');
  const s = new OperationScheduler();
  await assert.rejects(s.run('change', async () => { throw new Error('bad'); }), /bad/);
  assert.equal(await s.run('lab', async () => 'lab ok'), 'lab ok');
});
