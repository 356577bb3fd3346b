import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreLauncherEnv } from '../../../src/util/launcher-env.js';

test('the CLI gives the programs it starts the GLIBC_TUNABLES the user had, set, empty or unset', () => {
  const cases: Array<[NodeJS.ProcessEnv, NodeJS.ProcessEnv]> = [
    [{ HAKO_GLIBC_TUNABLES: '', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, {}],
    [{ HAKO_GLIBC_TUNABLES: '=', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, { GLIBC_TUNABLES: '' }],
    [{ HAKO_GLIBC_TUNABLES: '=glibc.pthread.rseq=0', GLIBC_TUNABLES: 'glibc.pthread.rseq=0:glibc.malloc.hugetlb=1' }, { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }],
    // Not started through bin/hako (the library, or node dist/hako.cjs): nothing to undo.
    [{ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }],
    [{ HAKO_EXTRA_CA_CERTS: '/etc/x.pem', HAKO_GLIBC_TUNABLES: '' }, { NODE_EXTRA_CA_CERTS: '/etc/x.pem' }],
  ];
  for (const [env, want] of cases) {
    restoreLauncherEnv(env);
    assert.deepEqual(env, want);
  }
  restoreLauncherEnv({}); // forget the deferred CA file again
});
