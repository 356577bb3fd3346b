// Executes a parsed template against JSON-shaped data (and row objects whose methods, such as ps's
// `.Label "k"`, are functions called with the arguments given, as Go calls methods).
import { type Fn, goString, truthy } from './funcs.js';
import { TemplateError } from './lex.js';
import type { Arg, Node, Pipeline } from './parse.js';

class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

const execError = (why: string) => new TemplateError(`template: :1: executing "" at ${why}`);

export class Executor {
  private vars: [string, unknown][][] = [];

  /** `header`: a table header's run over column names, where `.Label "k"` is the name LABEL. */
  constructor(
    private readonly funcs: Record<string, Fn>,
    private readonly header = false,
  ) {}

  run(nodes: Node[], data: unknown): string {
    this.vars = [[['$', data]]];
    return this.list(nodes, data);
  }

  private list(nodes: Node[], dot: unknown): string {
    let out = '';
    for (const n of nodes) out += this.node(n, dot);
    return out;
  }

  private node(n: Node, dot: unknown): string {
    switch (n.k) {
      case 'text':
        return n.v;
      case 'action': {
        const v = this.pipeline(n.pipe, dot);
        // Go prints a nil value (a missing map key, JSON's null) in an action as <no value>.
        if (n.pipe.decl.length) return '';
        // docker's header context is a map[string]string: a column it does not name is "".
        if (this.header && v === undefined) return '';
        return v === null ? '<no value>' : goString(v);
      }
      case 'break':
      case 'continue':
        throw new LoopSignal(n.k);
      case 'range':
        return this.scoped(() => this.range(n.pipe, n.list, n.elseList, dot));
      default: {
        const v = this.scoped(() => this.pipeline(n.pipe, dot));
        if (!truthy(v)) return this.list(n.elseList, dot);
        return this.scoped(() => {
          if (n.pipe.decl.length) this.declare(n.pipe.decl[0], v);
          return this.list(n.list, n.k === 'with' ? v : dot);
        });
      }
    }
  }

  private scoped<T>(fn: () => T): T {
    this.vars.push([]);
    try {
      return fn();
    } finally {
      this.vars.pop();
    }
  }

  private range(pipe: Pipeline, list: Node[], elseList: Node[], dot: unknown): string {
    const decl = pipe.decl;
    const v = this.pipeline({ ...pipe, decl: [] }, dot);
    let entries: [unknown, unknown][];
    if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
    else if (typeof v === 'number' && Number.isInteger(v)) entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v && typeof v === 'object')
      entries = Object.keys(v)
        .sort()
        .map((k) => [k, (v as Record<string, unknown>)[k]]);
    else if (v === undefined || v === null) entries = [];
    else throw execError(`<range>: range can't iterate over ${goString(v)}`);
    if (!entries.length) return this.list(elseList, dot);
    let out = '';
    for (const [k, x] of entries) {
      if (decl.length === 1) this.declare(decl[0], x);
      if (decl.length === 2) {
        this.declare(decl[0], k);
        this.declare(decl[1], x);
      }
      try {
        out += this.list(list, x);
      } catch (e) {
        if (!(e instanceof LoopSignal)) throw e;
        if (e.kind === 'break') break;
      }
    }
    return out;
  }

  private declare(name: string, v: unknown): void {
    this.vars[this.vars.length - 1].push([name, v]);
  }

  private variable(name: string): unknown {
    for (let s = this.vars.length - 1; s >= 0; s--) {
      const found = lastNamed(this.vars[s], name);
      if (found) return found[1];
    }
    throw new TemplateError(`template parsing error: template: :1: undefined variable "${name}"`);
  }

  private assign(name: string, v: unknown): void {
    for (let s = this.vars.length - 1; s >= 0; s--) {
      const found = lastNamed(this.vars[s], name);
      if (found) {
        found[1] = v;
        return;
      }
    }
    throw new TemplateError(`template parsing error: template: :1: undefined variable "${name}"`);
  }

  pipeline(pipe: Pipeline, dot: unknown): unknown {
    let v: unknown;
    pipe.cmds.forEach((cmd, i) => {
      v = this.command(cmd, dot, i > 0 ? [v] : []);
    });
    if (pipe.decl.length) {
      if (pipe.assign) this.assign(pipe.decl[0], v);
      else this.declare(pipe.decl[0], v);
    }
    return v;
  }

  private command(cmd: Arg[], dot: unknown, piped: unknown[]): unknown {
    const [head, ...rest] = cmd;
    const args = () => [...rest.map((a) => this.arg(a, dot)), ...piped];
    if (head.k === 'ident') {
      const fn = this.funcs[head.name];
      if (!fn) throw new TemplateError(`template parsing error: template: :1: function "${head.name}" not defined`);
      return fn(...args());
    }
    if (head.k === 'field' || (head.k === 'var' && head.names.length) || (head.k === 'pipe' && head.names.length)) {
      const base = head.k === 'field' ? dot : head.k === 'var' ? this.variable(head.name) : this.pipeline(head.pipe, dot);
      return this.fieldChain(base, head.names, args());
    }
    if (rest.length || piped.length) throw execError(`<${describe(head)}>: can't give argument to non-function ${describe(head)}`);
    return this.arg(head, dot);
  }

  private arg(a: Arg, dot: unknown): unknown {
    switch (a.k) {
      case 'dot':
        return dot;
      case 'literal':
        return a.v;
      case 'var':
        return this.fieldChain(this.variable(a.name), a.names, []);
      case 'field':
        return this.fieldChain(dot, a.names, []);
      case 'pipe':
        return this.fieldChain(this.pipeline(a.pipe, dot), a.names, []);
      default:
        throw execError(`<${a.name}>: ${a.name} is a function: it needs parentheses as an argument`);
    }
  }

  /** `.A.B.C` from `base`; the last may be a method (a function) taking `args`. */
  private fieldChain(base: unknown, names: string[], args: unknown[]): unknown {
    let v = base;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      if (v === undefined || v === null) {
        if (i === 0 && v === undefined) return;
        throw execError(`<.${names.slice(0, i + 1).join('.')}>: nil pointer evaluating interface {}.${name}`);
      }
      if (typeof v !== 'object') throw execError(`<.${name}>: can't evaluate field ${name} in type ${typeof v}`);
      const f = (v as Record<string, unknown>)[name];
      if (typeof f === 'function') v = (f as Fn).apply(v, last ? args : []);
      else {
        if (last && args.length && !this.header) throw execError(`<.${name}>: ${name} has arguments but cannot be invoked as function`);
        v = f;
      }
    });
    if (!names.length && args.length) throw execError(`<.>: can't give argument to non-function .`);
    return v;
  }
}

function describe(a: Arg): string {
  if (a.k === 'literal') return goString(a.v);
  if (a.k === 'var') return a.name;
  return a.k === 'dot' ? '.' : a.k;
}

function lastNamed(scope: [string, unknown][], name: string): [string, unknown] | undefined {
  for (let i = scope.length - 1; i >= 0; i--) if (scope[i][0] === name) return scope[i];
  return undefined;
}
