/** clang diagnostics and verifier logs turned into structured results. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClangDiagnostics } from '../../src/agent/datapath/compiler-diagnostics';
import { parseVerifierStats, verifierFailureLocation } from '../../src/agent/datapath/verifier-log';

test('clang diagnostics are parsed with file, line, column and severity', () => {
  const out = [
    "/tmp/x/bpf_lxc.c:60:32: error: expected ';' after expression",
    '        counter_inc(COUNTER_PACKETS) oops;',
    '                                    ^',
    '/tmp/x/lib/ipv4.h:12:5: warning: unused variable \'x\' [-Wunused-variable]',
    '/tmp/x/lib/ipv4.h:3:1: note: expanded from here',
    'fatal error: too many errors emitted, stopping now',
    '/tmp/x/bpf_lxc.c:1:10: fatal error: \'vmlinux.h\' file not found',
    '2 errors generated.',
  ].join('\n');
  assert.deepEqual(parseClangDiagnostics(out), [
    { file: '/tmp/x/bpf_lxc.c', line: 60, column: 32, severity: 'error', message: "expected ';' after expression" },
    { file: '/tmp/x/lib/ipv4.h', line: 12, column: 5, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]" },
    { file: '/tmp/x/lib/ipv4.h', line: 3, column: 1, severity: 'note', message: 'expanded from here' },
    { file: '/tmp/x/bpf_lxc.c', line: 1, column: 10, severity: 'error', message: "'vmlinux.h' file not found" },
  ]);
});

test('verifier statistics (log level 4) are parsed', () => {
  const log = 'verification time 2704 usec\nstack depth 136+0\nprocessed 1272 insns (limit 1000000) max_states_per_insn 3 total_states 75 peak_states 75 mark_read 0\n';
  assert.deepEqual(parseVerifierStats('to_endpoint', log, 1272), {
    program: 'to_endpoint', insnsProcessed: 1272, states: 75, stackDepth: '136+0', verificationTimeUs: 2704, verifiedInsns: 1272,
  });
});

test('the failing source line is the last annotation before the error', () => {
  const log = [
    '0: R1=ctx() R10=fp0',
    '; int to_endpoint(struct __sk_buff *skb) @ bpf_lxc.c:117',
    '0: (bf) r6 = r1',
    '; tuple->sport = bpf_ntohs(th->source); @ ipv4.h:68',
    '42: (69) r1 = *(u16 *)(r3 +0)',
    'invalid access to packet, off=34 size=2, R3(id=0,off=34,r=34)',
  ].join('\n');
  assert.deepEqual(verifierFailureLocation(log), { file: 'ipv4.h', line: 68, source: 'tuple->sport = bpf_ntohs(th->source);' });
  assert.equal(verifierFailureLocation('no annotations'), undefined);
});
