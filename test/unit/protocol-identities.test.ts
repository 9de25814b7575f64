/** Cilium's identity numbers and IP protocol numbers, shared by the agent, the extension and the webviews. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_SCOPE_FIRST, ReservedIdentity, reservedIdentityLabels, reservedIdentityName } from '../../src/protocol/identities';
import { IpProtocol, protocolName } from '../../src/protocol/ip-protocols';

test('reserved identities have Cilium\'s numbers and reserved: labels', () => {
  assert.deepEqual([ReservedIdentity.Host, ReservedIdentity.World, ReservedIdentity.Health, ReservedIdentity.KubeApiserver], [1, 2, 4, 7]);
  assert.equal(reservedIdentityName(1), 'host');
  assert.deepEqual(reservedIdentityLabels(2), { 'reserved:world': '' });
  assert.equal(reservedIdentityName(0), undefined, '0 is no identity (a policy key\'s wildcard)');
  assert.equal(reservedIdentityLabels(256), undefined);
  assert.equal(LOCAL_SCOPE_FIRST, 16777217);
});

test('IP protocol numbers and names', () => {
  assert.deepEqual([IpProtocol.Icmp, IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Icmpv6], [1, 6, 17, 58]);
  assert.equal(protocolName(6), 'tcp');
  assert.equal(protocolName(47), '47');
});
