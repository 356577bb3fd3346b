// Checks the test files against two of the project's rules (see test/README.md):
// - no silent skip: a `return` at a test body's own level (not in a nested function) before the
//   test has checked anything must be `return t.skip('reason')`/`t.todo(...)`, or follow a
//   `t.skip(...)` call in the same block, so a missing prerequisite shows up as a skip with its
//   reason instead of as a pass. Allowed too: a return after an assertion (the test has checked
//   what it is for), and `return t.diagnostic('reason')`, for an optional part left out with its
//   reason in the output (e.g. the comparison with runc when runc is not installed);
// - no test without a check: a test body must call something that can fail it (an `assert`/`t.assert`
//   call, `throw`, `t.skip`, or a helper whose name says it checks: expect*/check*/verify*/must*,
//   or a call given `assert`) — a body with none of these is reported.
// Exits 1 when anything is found. Uses the TypeScript parser (a dev dependency).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function* testFiles(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* testFiles(file);
    else if (ent.name.endsWith('.test.ts')) yield file;
  }
}

/** `test(...)`, `it(...)`, `t.test(...)`, `describe(...)`, `test.only(...)`: the body function, if any. */
function testBody(node) {
  if (!ts.isCallExpression(node)) return undefined;
  const callee = node.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  const base = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression.text : '';
  const isTest = ['test', 'it', 'describe', 'suite'].includes(name) || (['test', 'it', 'describe'].includes(base) && name === 'only');
  if (!isTest) return undefined;
  const fn = node.arguments[node.arguments.length - 1];
  return fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) ? fn : undefined;
}

const isSkipCall = (node) =>
  ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['skip', 'todo'].includes(node.expression.name.text);

/** Where the first check (assert call, throw, asserting helper) of the body is, or Infinity. */
function firstCheck(body, helpers) {
  let first = Number.POSITIVE_INFINITY;
  const visit = (node) => {
    if (node.pos >= first) return;
    if (ts.isThrowStatement(node) || (ts.isCallExpression(node) && isCheckCall(node, helpers))) first = node.pos;
    ts.forEachChild(node, visit);
  };
  visit(body.body);
  return first;
}

const isDiagnosticCall = (node) => ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'diagnostic';

/** Returns at the body's own level, before any check, that do not report a skip. */
function silentReturns(body, helpers) {
  const found = [];
  const checked = firstCheck(body, helpers);
  const visit = (node) => {
    if (ts.isFunctionLike(node)) return; // a nested function's return is its own business
    if (ts.isReturnStatement(node)) {
      const skipped = node.expression && (isSkipCall(node.expression) || isDiagnosticCall(node.expression));
      const block = node.parent;
      const before = ts.isBlock(block) ? block.statements.slice(0, block.statements.indexOf(node)) : [];
      const afterSkip = before.some((s) => ts.isExpressionStatement(s) && isSkipCall(s.expression));
      if (!skipped && !afterSkip && node.pos < checked) found.push(node);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body.body, visit);
  return found;
}

const CHECKING = /^(assert|expect|check|verify|must|ok$|equal|deepEqual|match|throws|rejects)/i;

/** An assert call, a helper whose name says it checks (or one of `helpers`), or a call given `assert`. */
function isCheckCall(node, helpers = new Set()) {
  const callee = node.expression;
  const last = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
  if (/^(assert|t\.assert)\b/.test(callee.getText()) || CHECKING.test(last)) return true;
  if (ts.isIdentifier(callee) && helpers.has(callee.text)) return true;
  return node.arguments.some((a) => ts.isIdentifier(a) && a.text === 'assert');
}

/** Whether the body (nested functions included: a helper callback may hold the assertion) can fail. */
function checksSomething(body) {
  let found = false;
  const visit = (node) => {
    if (found) return;
    if (ts.isThrowStatement(node)) found = true;
    else if (ts.isCallExpression(node) && (isCheckCall(node) || isSkipCall(node))) found = true;
    ts.forEachChild(node, visit);
  };
  visit(body.body);
  return found;
}

/** Names of functions declared in the file whose bodies assert: calling one counts as a check. */
function assertingHelpers(source) {
  const names = new Set();
  const visit = (node) => {
    const named =
      (ts.isFunctionDeclaration(node) && node.name) || (ts.isVariableDeclaration(node) && node.initializer && ts.isFunctionLike(node.initializer) && node.name);
    const fn = ts.isFunctionDeclaration(node) ? node : node.initializer;
    if (named && ts.isIdentifier(named) && fn?.body && checksSomething(fn)) names.add(named.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

function callsOneOf(body, names) {
  let found = false;
  const visit = (node) => {
    if (found) return;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && names.has(node.expression.text)) found = true;
    ts.forEachChild(node, visit);
  };
  visit(body.body);
  return found;
}

const problems = [];
for (const file of testFiles(path.join(root, 'test'))) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const helpers = assertingHelpers(source);
  const where = (node) => `${path.relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const visit = (node) => {
    const body = testBody(node);
    if (body) {
      for (const r of silentReturns(body, helpers)) problems.push(`${where(r)}: a test returns early without t.skip('reason')`);
      const isSuite = ['describe', 'suite'].includes(node.expression.getText().split('.')[0]);
      if (!isSuite && !checksSomething(body) && !callsOneOf(body, helpers)) problems.push(`${where(node)}: a test with no assertion`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const p of problems) console.log(p);
if (problems.length) console.log(`${problems.length} test convention problem(s); see test/README.md`);
else console.log('tests: no silent skip, every test checks something');
process.exit(problems.length ? 1 : 0);
