/**
 * The fast hex forms of policy keys and values (hex-keys.ts) must be byte for
 * byte what the layout encoders produce, for every field at its edges, or
 * the agent's diff would rewrite (or miss) entries.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyEntryHex, policyKeyHex } from '../../src/agent/datapath/hex-keys';
import { encodePolicyEntry, encodePolicyKey, toHex } from '../../src/agent/datapath/layouts';

test('policyKeyHex equals toHex(encodePolicyKey) across field edges', () => {
  const edges = { u32: [0, 1, 255, 256, 0x12345678, 0xfffffffe, 0xffffffff], u8: [0, 1, 6, 17, 255], u16: [0, 1, 80, 255, 256, 9100, 0xffff] };
  for (const prefixlen of [0, 96, 104, 120]) {
    for (const endpointId of edges.u32) {
      for (const identity of edges.u32) {
        for (const direction of [0, 1]) {
          for (const protocol of edges.u8) {
            for (const port of edges.u16) {
              const key = { prefixlen, endpointId, identity, direction, protocol, port };
              assert.equal(policyKeyHex(key), toHex(encodePolicyKey(key)), JSON.stringify(key));
            }
          }
        }
      }
    }
  }
});

test('policyEntryHex equals toHex(encodePolicyEntry) for allow and deny', () => {
  for (const cookie of [1, 255, 256, 50551964, 0x7fffffff, 0xffffffff]) {
    for (const deny of [false, true]) {
      assert.equal(policyEntryHex({ deny, cookie }), toHex(encodePolicyEntry({ deny, cookie })));
    }
  }
});
