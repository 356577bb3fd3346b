// The native boundary is one table (src/native/ops.ts): these tests fail when hako-init's side
// (native/ops.h, hako-init.c's dispatch table, the op_NAME functions) or native/README.md drift from it,
// and check that op() builds what the table says.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { minArgs, op, opsHeader, PLAN_OPS, rec, UNPACK_RECORDS, type OpName, type RecordName } from '../../../src/native/ops.js';

// build/test/unit/native -> the repository
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const native = (f: string) => readFileSync(join(repo, 'native', f), 'utf8');
const names = Object.keys(PLAN_OPS) as OpName[];

test('native/ops.h is what src/native/ops.ts generates (run `npm run build` and commit it)', () => {
  assert.equal(native('ops.h'), opsHeader());
});

test('hako-init.c builds its dispatch table from ops.h only, with no entry written by hand', () => {
  const c = native('hako-init.c');
  assert.match(c, /#include "ops\.h"/);
  const table = /static const struct op_def ops\[\] = \{([\s\S]*?)\n\};/.exec(c);
  assert.ok(table, 'the ops[] table is in hako-init.c');
  assert.equal(table[1].replace(/\s+/g, ' ').trim(), '#define X(name, min_args) {#name, min_args, op_##name}, HAKO_PLAN_OPS(X) #undef X');
});

test('every operation has its op_NAME in native/*.c, and every op_NAME there is in the table', () => {
  const sources = readdirSync(join(repo, 'native'))
    .filter((f) => f.endsWith('.c'))
    .map(native)
    .join('\n');
  const defined = new Set([...sources.matchAll(/^(?:static )?void op_(\w+)\(int argc, char \*\*argv\)\s*\{/gm)].map((m) => m[1]));
  for (const name of names) assert.ok(defined.has(name), `op_${name} is defined in native/*.c`);
  for (const name of defined) assert.ok(names.includes(name as OpName), `op_${name} (native/*.c) is in src/native/ops.ts`);
});

test('unpack.c builds its record table from ops.h, and every up_NAME there is a record of the table', () => {
  const c = native('unpack.c');
  assert.match(c, /#include "ops\.h"/);
  const table = /\} unpack_ops\[\] = \{([\s\S]*?)\n\};/.exec(c);
  assert.ok(table, 'the unpack_ops[] table is in unpack.c');
  assert.equal(table[1].replace(/\s+/g, ' ').trim(), '#define X(name, nargs) {#name, nargs, up_##name}, HAKO_UNPACK_RECORDS(X) #undef X');
  const records = Object.keys(UNPACK_RECORDS) as RecordName[];
  const defined = new Set([...c.matchAll(/^static void up_(\w+)\(struct rec \*r\)\s*\{/gm)].map((m) => m[1]));
  for (const name of records) assert.ok(defined.has(name), `up_${name} is defined in native/unpack.c`);
  for (const name of defined) assert.ok(records.includes(name as RecordName), `up_${name} (native/unpack.c) is in UNPACK_RECORDS`);
  for (const name of records) {
    assert.ok(
      UNPACK_RECORDS[name].every((a) => !a.endsWith('?') && !a.endsWith('...')),
      `${name}: records take exactly their arguments`,
    );
  }
  assert.deepEqual([...rec('xattr', 'f', 'user.x', Buffer.from('v'))], ['xattr', 'f', 'user.x', Buffer.from('v')]);
});

test('minimum argument counts: optional and variadic arguments are not counted', () => {
  assert.equal(minArgs('mount'), 7);
  assert.equal(minArgs('chdir'), 1);
  assert.equal(minArgs('exec'), 1);
  assert.equal(minArgs('reopen_stdio'), 0);
  assert.equal(minArgs('hook'), 3);
  for (const name of names) {
    const args = PLAN_OPS[name];
    const rest = args.findIndex((a) => a.endsWith('...'));
    assert.ok(rest === -1 || rest === args.length - 1, `${name}: a variadic argument is the last`);
    const firstOptional = args.findIndex((a) => a.endsWith('?'));
    assert.ok(firstOptional === -1 || args.slice(firstOptional).every((a) => a.endsWith('?')), `${name}: optional arguments are trailing`);
  }
});

test('op() writes numbers in decimal, keeps bytes, leaves out optional arguments not given', () => {
  assert.deepEqual([...op('rlimit', 7, -1, '1024')], ['rlimit', '7', '-1', '1024']);
  const filter = Buffer.from([0, 1, 2]);
  assert.equal(op('seccomp', filter)[1], filter);
  assert.deepEqual([...op('chdir', '/x')], ['chdir', '/x']);
  assert.deepEqual([...op('chdir', '/x', 'early')], ['chdir', '/x', 'early']);
  assert.deepEqual([...op('exec', 2, 'sh', '-c', 'A=1')], ['exec', '2', 'sh', '-c', 'A=1']);
});

test('native/README.md points to the table instead of copying it', () => {
  const readme = native('README.md');
  assert.match(readme, /src\/native\/ops\.ts/);
  assert.doesNotMatch(readme, /^\| operation \| arguments \|/m, 'no copy of the operations table');
  assert.doesNotMatch(readme, /^\| record \| what it does \|/m, "no copy of the layer worker's records");
});
