/** policyStudio.datapathPath → the bpf/ directory the agent builds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { DatapathPathError, datapathDirFromSetting } from '../../src/extension/datapath/path-setting';

const EXT = '/opt/ext';
const WS = '/home/u/project';

test('unset (or blank) is the datapath the extension ships', () => {
  assert.equal(datapathDirFromSetting('', EXT, WS), '/opt/ext/bpf');
  assert.equal(datapathDirFromSetting('  ', EXT, undefined), '/opt/ext/bpf');
});

test('a relative path is the workspace folder\'s', () => {
  assert.equal(datapathDirFromSetting('bpf', EXT, WS), '/home/u/project/bpf');
  assert.equal(datapathDirFromSetting('./hack/../my-bpf/', EXT, WS), '/home/u/project/my-bpf');
});

test('absolute and ~/ paths are taken as they are', () => {
  assert.equal(datapathDirFromSetting('/src/datapath/', EXT, WS), '/src/datapath');
  assert.equal(datapathDirFromSetting('~/bpf', EXT, WS), path.join(os.homedir(), 'bpf'));
});

test('a relative path without a folder open is refused with the setting named', () => {
  assert.throws(() => datapathDirFromSetting('bpf', EXT, undefined), (e: Error) => e instanceof DatapathPathError && /policyStudio\.datapathPath/.test(e.message));
});
