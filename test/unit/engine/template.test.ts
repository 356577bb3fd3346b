// src/engine/template: docker's --format templates, each case checked against the output written
// here and, where Go is installed, against Go's own text/template with docker's functions
// (test/fixtures/gotemplate/main.go) run over the same cases; `table` against docker's tabwriter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatList, renderTemplate, tabwrite } from '../../../src/engine/template/index.js';

const ERROR = Symbol('error');
// [template, data, what Go prints (or ERROR)]: the expectations were printed by the Go reference.
const CASES: [string, unknown, string | typeof ERROR][] = [
  ['{{.ID}}\t{{.Names}}', { ID: 'abc', Names: 'web' }, 'abc\tweb'],
  ['{{json .}}', { ID: 'abc', L: ['a', '<b>'], N: 3 }, '{"ID":"abc","L":["a","<b>"],"N":3}'],
  ['{{.State.Status}} {{.State.ExitCode}}', { State: { Status: 'running', ExitCode: 0 } }, 'running 0'],
  ['{{.Missing}}', { ID: 'x' }, '<no value>'],
  [
    '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}',
    {
      Mounts: [
        { Source: '/a', Destination: '/b' },
        { Source: '/c', Destination: '/d' },
      ],
    },
    '/a:/b /c:/d ',
  ],
  ['{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', { Labels: { z: '1', a: '2' } }, 'a=2;z=1;'],
  ['{{index .Labels "com.x"}}', { Labels: { 'com.x': 'yes' } }, 'yes'],
  ['{{index .Args 1}}', { Args: ['a', 'b'] }, 'b'],
  ['{{join .Args " "}}', { Args: ['sh', '-c', 'x'] }, 'sh -c x'],
  ['{{if eq .State "running"}}up{{else if eq .State "exited"}}down{{else}}?{{end}}', { State: 'exited' }, 'down'],
  ['{{with .Net}}{{.IP}}{{else}}none{{end}}', { Net: null }, 'none'],
  ['{{with .Net}}{{.IP}}{{else}}none{{end}}', { Net: { IP: '10.0.0.2' } }, '10.0.0.2'],
  ['{{.Name | upper}} {{lower "ABC"}} {{title "hello world"}}', { Name: 'web' }, 'WEB abc Hello World'],
  ['{{printf "%s-%d-%q-%5.2f|%-6v|" .A .B .A 3.14159 .A}}', { A: 'x', B: 42 }, 'x-42-"x"- 3.14|x     |'],
  ['{{len .L}} {{len .M}} {{len .S}}', { L: [1, 2, 3], M: { a: 1 }, S: 'h\u00e9llo' }, '3 1 6'],
  ['{{range $i, $e := .L}}{{if $i}}, {{end}}{{$e}}{{end}}', { L: ['a', 'b', 'c'] }, 'a, b, c'],
  ['{{$x := .A}}{{$x}}-{{$x = "B"}}{{$x}}', { A: 'a' }, 'a-B'],
  ['{{- .A -}}  \n {{ .B }}', { A: 'a', B: 'b' }, 'ab'],
  ['{{/* a comment */}}{{.A}}', { A: 'a' }, 'a'],
  ['{{.L}} {{.M}} {{.N}} {{.T}} {{.F}}', { L: ['a', 'b'], M: { k: 'v', a: ['x'] }, N: null, T: true, F: 1.5 }, '[a b] map[a:[x] k:v] <no value> true 1.5'],
  ['{{(index .Ports 0).HostPort}}', { Ports: [{ HostPort: '8080' }] }, '8080'],
  ['{{range .L}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', { L: ['a', 'b', 'c'] }, 'a'],
  ['{{range .L}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', { L: ['a', 'b', 'c'] }, 'ac'],
  ['{{range .L}}x{{else}}empty{{end}}', { L: [] }, 'empty'],
  ['{{and .A .B}} {{or .A .B}} {{not .A}}', { A: '', B: 'b' }, ' b true'],
  ['{{if and (gt .N 1) (lt .N 10)}}mid{{end}} {{ge .N 5}} {{le .N 5}} {{ne .N 5}}', { N: 5 }, 'mid true true false'],
  ['{{split .S ","}} {{pad .A 2 1}}| {{truncate .S 3}}', { S: 'a,b,c', A: 'x' }, '[a b c]   x | a,b'],
  ['{{json .Config.Cmd}} {{json .Nope}}', { Config: { Cmd: ['sh', '-c'] } }, '["sh","-c"] null'],
  ['{{print "a" 1 2 "b"}} {{println .A}}', { A: 'z' }, 'a1 2b z\n'],
  ['{{$.Top}}{{range .L}}{{$.Top}}{{.}}{{end}}', { Top: 'T', L: ['1', '2'] }, 'TT1T2'],
  ['{{slice .S 1 3}} {{slice .L 1}}', { S: 'abcdef', L: ['a', 'b', 'c'] }, 'bc [b c]'],
  ['{{.A', {}, ERROR],
  ['{{nope .A}}', { A: 1 }, ERROR],
  ['{{if .A}}x', { A: 1 }, ERROR],
  ['{{end}}', {}, ERROR],
  ['{{index .L 5}}', { L: ['a'] }, ERROR],
  ['{{$u}}', {}, ERROR],
  ['{{.A.B}}', { A: 'str' }, ERROR],
];

const render = (tpl: string, data: unknown): string | typeof ERROR => {
  try {
    return renderTemplate(tpl, data);
  } catch (e) {
    assert.match((e as Error).message, /^template/, `${tpl}: an error worded as Go's`);
    return ERROR;
  }
};

test('templates print what Go prints', () => {
  for (const [tpl, data, want] of CASES) assert.equal(render(tpl, data), want, tpl);
});

test('the same cases through Go text/template itself', (t) => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../../test/fixtures/gotemplate');
  const input = JSON.stringify(CASES.map(([tpl, data]) => ({ tpl, data })));
  const r = spawnSync('go', ['run', 'main.go'], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'off' } });
  if (r.error || r.status !== 0) return t.skip(`go is needed for the comparison (${r.error?.message ?? r.stderr.trim()})`);
  const go = JSON.parse(r.stdout) as { out?: string; err?: string }[];
  CASES.forEach(([tpl, data], i) => assert.equal(render(tpl, data), go[i].out ?? ERROR, `${tpl}: Go said ${go[i].out ?? go[i].err}`));
});

test('table: a header from the same template, columns aligned as docker (min width 10, padding 3)', () => {
  const rows = [
    { ID: 'abc', Names: 'web', Status: 'Up 2 seconds' },
    { ID: 'de', Names: 'a-much-longer-name', Status: 'Exited (0) 1 second ago' },
  ];
  const list = { defaultTable: 'table {{.ID}}\t{{.Names}}', headers: { ID: 'CONTAINER ID', Names: 'NAMES', Status: 'STATUS' } };
  assert.equal(formatList(undefined, rows, list), 'CONTAINER ID   NAMES\nabc            web\nde             a-much-longer-name\n');
  assert.equal(
    formatList('table {{.Names}}\\t{{.Status | upper}}', rows, list),
    'NAMES                STATUS\nweb                  UP 2 SECONDS\na-much-longer-name   EXITED (0) 1 SECOND AGO\n',
  );
  assert.equal(formatList('{{.ID}}:{{.Names}}', rows, list), 'abc:web\nde:a-much-longer-name\n');
  assert.equal(formatList('json', rows.slice(0, 1), list), '{"ID":"abc","Names":"web","Status":"Up 2 seconds"}\n');
  // An empty column keeps its minimum width, as Go's tabwriter without DiscardEmptyColumns.
  assert.equal(tabwrite('A\t\tB\nx\t\ty\n'), 'A                   B\nx                   y\n');
});

test('methods with arguments, as ps rows have them ({{.Label "k"}})', () => {
  const row = { Labels: 'a=1', Label: (k: string) => ({ a: '1' })[k] ?? '' };
  assert.equal(renderTemplate('{{.Label "a"}}|{{.Label "b"}}', row), '1|');
  assert.equal(renderTemplate('{{json .}}', row), '{"Labels":"a=1"}');
});

test('hostile templates: huge ranges and deep nesting end with a result or one line', () => {
  assert.equal(renderTemplate('{{range .L}}{{.}}{{end}}', { L: Array.from({ length: 10_000 }, () => 'x') }).length, 10_000);
  assert.throws(() => renderTemplate('{{'.repeat(1000), {}), /template parsing error/);
  assert.throws(() => renderTemplate(`${'{{if .A}}'.repeat(200)}`, { A: 1 }), /unexpected EOF/);
  assert.equal(renderTemplate(`${'{{if .A}}'.repeat(200)}x${'{{end}}'.repeat(200)}`, { A: 1 }), 'x');
});

// docker's own formatter, on data it has without a daemon: contexts (`docker context ls`), whose
// rows it prints as JSON too. The same rows and templates through formatList must print the same.
test('table and templates as the docker CLI prints them (docker context ls)', (t) => {
  const probe = spawnSync('docker', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return t.skip('the docker CLI is needed for the comparison');
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-docker-config-'));
  const docker = (args: string[]) =>
    spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: config, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined } });
  try {
    for (const [name, desc] of [
      ['a-much-longer-context-name', 'first one'],
      ['b2', ''],
    ])
      assert.equal(docker(['context', 'create', name, '--description', desc, '--docker', `host=unix:///tmp/${name}.sock`]).status, 0);
    const rows = docker(['context', 'ls', '--format', '{{json .}}'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const headers = { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' };
    for (const format of [
      'table {{.Name}}\t{{.Description}}\t{{.DockerEndpoint}}',
      'table {{.Name}}\\t{{.DockerEndpoint}}',
      'table {{upper .Name}}\t{{.Description | lower}}\t{{json .Current}}',
      'table {{.Description}}\t{{.Name}}',
      '{{.Name}}{{if .Current}} (current){{end}}: {{printf "%-30s|" .DockerEndpoint}}',
      '{{range $i, $c := split .Name "-"}}{{if $i}}/{{end}}{{$c}}{{end}} {{len .Name}}',
    ]) {
      const want = docker(['context', 'ls', '--format', format]);
      assert.equal(want.status, 0, want.stderr);
      assert.equal(formatList(format, rows, { defaultTable: '', headers }), want.stdout, format);
    }
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
});
