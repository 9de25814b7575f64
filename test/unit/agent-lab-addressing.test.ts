import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool } from '../../src/agent/lab/addressing';
import { endpointNetnsName, hostIfname, LAB_NAME_PATTERN, nodeNetnsName } from '../../src/agent/lab/names';
import { bpffsMounted, kernelAtLeast } from '../../src/agent/host/capabilities';

test('host-side veth names fit IFNAMSIZ for the longest lab name and the largest endpoint id', () => {
  assert.ok(hostIfname('abcdefgh', 99_999_999).length <= 15);
  assert.match(hostIfname('studio', 1), /^lxc[0-9a-f]{4}1$/);
  assert.notEqual(hostIfname('a', 1), hostIfname('b', 1));
  assert.throws(() => hostIfname('studio', 100_000_000));
});

test('namespace names: per lab prefix, other Kubernetes namespaces cannot collide with the default one', () => {
  assert.equal(nodeNetnsName('studio'), 'ps-studio-node');
  assert.equal(endpointNetnsName('studio', 'default', 'web', 0), 'ps-studio-web-0');
  assert.equal(endpointNetnsName('studio', 'shop', 'web', 1), 'ps-studio-shop.web-1');
  assert.ok(!LAB_NAME_PATTERN.test('a;b') && !LAB_NAME_PATTERN.test('1ab') && LAB_NAME_PATTERN.test('lab1'));
});

test('addresses come from 10.244.0.0/16, never the node address, and are reused after release', () => {
  const pool = new AddressPool();
  const a = pool.allocate();
  const b = pool.allocate();
  assert.equal(a, '10.244.0.2');
  assert.equal(b, '10.244.0.3');
  pool.release(a);
  assert.equal(pool.allocate(), a);
  const busy = new AddressPool(Array.from({ length: 253 }, (_, i) => `10.244.0.${i + 2}`));
  assert.equal(busy.allocate(), '10.244.1.1', 'skips .255 and .0');
});

test('capability parsing: kernel versions for tcx and the bpffs mount line', () => {
  assert.ok(kernelAtLeast('6.18.0-1-amd64', 6, 6));
  assert.ok(!kernelAtLeast('6.1.0-27-amd64', 6, 6));
  assert.ok(kernelAtLeast('7.0.0', 6, 6));
  assert.ok(bpffsMounted('sysfs /sys sysfs rw 0 0\nbpf /sys/fs/bpf bpf rw,relatime 0 0\n'));
  assert.ok(!bpffsMounted('none /sys/fs/bpf tmpfs rw 0 0\n'));
});
