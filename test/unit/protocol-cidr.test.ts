/** CIDR parsing for the language server, the agent and the datapath (src/protocol/cidr.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrText, ipv4ToBytes, parseCidr, tryParseCidr } from '../../src/protocol/cidr';

const error = (text: string): string => {
  const parsed = tryParseCidr(text);
  assert.ok(parsed instanceof Error, `${text} should not parse`);
  return parsed.message;
};

test('a CIDR is normalised to its network address; a bare address is /32', () => {
  assert.equal(cidrText(parseCidr('10.1.2.3/16')), '10.1.0.0/16');
  assert.equal(cidrText(parseCidr('10.244.1.7')), '10.244.1.7/32');
  assert.equal(cidrText(parseCidr('0.0.0.0/0')), '0.0.0.0/0');
  assert.equal(parseCidr('10.1.2.3/16').hostBits, true);
  assert.equal(parseCidr('10.1.0.0/16').hostBits, false);
});

test('what is wrong is said, naming the text', () => {
  assert.equal(error('10.0.300.0/8'), "'10.0.300.0/8' has an octet above 255");
  assert.equal(error('10.0.0.0/33'), "'10.0.0.0/33' has a prefix length above 32");
  assert.equal(error('fd00::/8'), "'fd00::/8' is IPv6; the lab datapath is IPv4-only for now");
  assert.match(error('10.0.0/8'), /^'10\.0\.0\/8' is not an IPv4 address or CIDR/);
  assert.match(error('$(reboot)'), /is not an IPv4 address or CIDR/);
  assert.match(error('0x0a.0.0.1/8'), /is not an IPv4 address or CIDR/, 'dotted decimal only, whatever inet_aton takes');
  assert.match(error('10.0.0.0/'), /is not an IPv4 CIDR/);
  assert.throws(() => parseCidr('10.0.0.0/33'), /prefix length above 32/);
});

test('containment is by prefix, both ways round', () => {
  assert.ok(cidrContains(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')));
  assert.ok(!cidrContains(parseCidr('10.1.0.0/16'), parseCidr('10.0.0.0/8')));
  assert.ok(cidrContains(parseCidr('0.0.0.0/0'), parseCidr('192.168.1.1')));
  assert.ok(!cidrContains(parseCidr('10.0.0.0/8'), parseCidr('11.0.0.0/16')));
  assert.ok(cidrContains(parseCidr('10.1.2.3/16'), parseCidr('10.1.255.255')), 'the prefix is what matches');
});

test('an address as the bytes a map key or a packet carries, in network order', () => {
  assert.deepEqual([...ipv4ToBytes('10.244.0.1')], [10, 244, 0, 1]);
  assert.throws(() => ipv4ToBytes('10.244.0'), /not an IPv4 address/);
});
