// Lists the functions in src/ longer than a limit (default 80 lines, the project's rule of thumb):
// `npm run lint` runs it with --fail (none is left since issue 15): it then exits 1 when any
// is listed. Uses the TypeScript compiler's parser (a dev dependency), so arrow functions, methods,
// getters and constructors count too; a function's lines include its nested functions.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const limit = Number(args[args.indexOf('--max') + 1]) || 80;
const fail = args.includes('--fail');

function* tsFiles(dir) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* tsFiles(file);
    else if (ent.name.endsWith('.ts') && !ent.name.endsWith('.d.ts')) yield file;
  }
}

/** `Class.method`, `name`, or `(anonymous)` with the variable it is assigned to when there is one. */
function nameOf(node) {
  const own = node.name && ts.isIdentifier(node.name) ? node.name.text : undefined;
  if (ts.isConstructorDeclaration(node)) return `${node.parent.name?.text ?? '(class)'}.constructor`;
  if (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) return `${node.parent.name?.text ?? '(class)'}.${node.name.getText()}`;
  if (own) return own;
  if (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent)) return node.parent.name.getText();
  return '(anonymous)';
}

const found = [];
for (const file of tsFiles(path.join(root, 'src'))) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      const end = source.getLineAndCharacterOfPosition(node.end).line + 1;
      if (end - start + 1 > limit) found.push({ where: `${path.relative(root, file)}:${start}`, name: nameOf(node), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
if (found.length) {
  console.log(`functions in src/ over ${limit} lines (${found.length}):`);
  for (const f of found) console.log(`  ${String(f.lines).padStart(4)}  ${f.where}  ${f.name}`);
} else console.log(`no function in src/ is over ${limit} lines`);
process.exit(fail && found.length ? 1 : 0);
