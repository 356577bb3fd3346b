// The parser of hako's Go text/template subset: text, actions with pipelines and variables, if/else
// if/else, range (with `$i, $v :=`, else, break, continue), with/else; no define/template/block.
import { type Token, lex, parseError } from './lex.js';

export type Arg =
  | { k: 'field'; names: string[] }
  | { k: 'dot' }
  | { k: 'var'; name: string; names: string[] }
  | { k: 'ident'; name: string }
  | { k: 'literal'; v: unknown }
  | { k: 'pipe'; pipe: Pipeline; names: string[] };

export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Arg[][];
}

export type Node =
  | { k: 'text'; v: string }
  | { k: 'action'; pipe: Pipeline }
  | { k: 'if' | 'with' | 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] }
  | { k: 'break' | 'continue' };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

export function parseTemplate(src: string): Node[] {
  const p = new Parser(lex(src));
  const { list, end } = p.list(0);
  if (end) throw parseError(`unexpected {{${end}}}`);
  return list;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private next(): Token {
    const t = this.toks[this.i++];
    if (!t) throw parseError('unexpected EOF');
    return t;
  }

  /** Nodes up to `{{end}}`/`{{else…}}` (returned as `end`) or the end of input. */
  list(depth: number): { list: Node[]; end?: 'end' | 'else'; elseIf?: string } {
    const list: Node[] = [];
    while (this.peek()) {
      const t = this.next();
      if (t.t === 'text') {
        list.push({ k: 'text', v: t.v });
        continue;
      }
      const kw = this.peek();
      if (kw?.t === 'ident' && KEYWORDS.has(kw.v)) {
        this.i++;
        if (kw.v === 'end' || kw.v === 'else') {
          if (!depth) throw parseError(`unexpected {{${kw.v}}}`);
          const elseIf = kw.v === 'else' && this.peek()?.t === 'ident' ? (this.peek() as { v: string }).v : undefined;
          if (elseIf === 'if' || elseIf === 'with') this.i++;
          else this.expectClose();
          return { list, end: kw.v, elseIf };
        }
        list.push(this.control(kw.v, depth));
        continue;
      }
      list.push({ k: 'action', pipe: this.pipeline(true) });
    }
    if (depth) throw parseError('unexpected EOF');
    return { list };
  }

  private control(kw: string, depth: number): Node {
    if (kw === 'break' || kw === 'continue') {
      this.expectClose();
      return { k: kw };
    }
    if (kw !== 'if' && kw !== 'range' && kw !== 'with') throw parseError(`{{${kw}}} is not supported`);
    const pipe = this.pipeline(kw === 'range' || kw === 'with' || kw === 'if');
    const body = this.list(depth + 1);
    let elseList: Node[] = [];
    if (body.end === 'else') {
      if (body.elseIf) elseList = [this.control(body.elseIf, depth)];
      else {
        const rest = this.list(depth + 1);
        if (rest.end !== 'end') throw parseError(`expected end; found {{else}}`);
        elseList = rest.list;
      }
    }
    return { k: kw, pipe, list: body.list, elseList };
  }

  private expectClose(): void {
    const t = this.next();
    if (t.t !== 'close') throw parseError(`unexpected ${describe(t)} in action`);
  }

  /** A pipeline up to `}}` (or `)` when nested): `$x := cmd arg | cmd`. */
  pipeline(toClose: boolean): Pipeline {
    const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
    this.declarations(pipe);
    let cmd: Arg[] = [];
    for (;;) {
      const t = this.next();
      if ((toClose && t.t === 'close') || (!toClose && t.t === 'rparen')) break;
      if (t.t === 'pipe') {
        if (!cmd.length) throw parseError('missing command');
        pipe.cmds.push(cmd);
        cmd = [];
        continue;
      }
      cmd.push(this.operand(t));
    }
    if (cmd.length) pipe.cmds.push(cmd);
    if (!pipe.cmds.length) throw parseError('missing value for command');
    return pipe;
  }

  /** `$x :=`, `$i, $v :=` or `$x =` at the start of a pipeline. */
  private declarations(pipe: Pipeline): void {
    const save = this.i;
    const names: string[] = [];
    while (this.peek()?.t === 'var') {
      const v = this.next() as { name: string; names: string[] };
      if (v.names.length) break;
      names.push(v.name);
      const sep = this.peek();
      if (sep?.t === 'comma') {
        this.i++;
        continue;
      }
      if (sep?.t === 'declare' || sep?.t === 'assign') {
        this.i++;
        pipe.decl = names;
        pipe.assign = sep.t === 'assign';
        return;
      }
      break;
    }
    this.i = save;
  }

  private operand(t: Token): Arg {
    switch (t.t) {
      case 'field':
        return { k: 'field', names: t.names };
      case 'dot':
        return { k: 'dot' };
      case 'var':
        return { k: 'var', name: t.name, names: t.names };
      case 'ident':
        return { k: 'ident', name: t.v };
      case 'string':
      case 'number':
      case 'bool':
        return { k: 'literal', v: t.v };
      case 'nil':
        return { k: 'literal', v: null };
      case 'lparen': {
        const pipe = this.pipeline(false);
        const after = this.peek();
        if (after?.t !== 'field' || !after.glued) return { k: 'pipe', pipe, names: [] };
        this.i++;
        return { k: 'pipe', pipe, names: after.names };
      }
      default:
        throw parseError(`unexpected ${describe(t)} in operand`);
    }
  }
}

function describe(t: Token): string {
  return t.t === 'close' ? '"}}"' : t.t === 'rparen' ? '")"' : `<${t.t}>`;
}
