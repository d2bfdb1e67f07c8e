/**
 * The parser of the Go text/template subset: the lexer's items into a tree of
 * text, actions, `if`/`else if`/`else`, `range`/`else`, `with`/`else`,
 * `break`/`continue`, pipelines with declarations (`$x := …`, `$i, $e := …`)
 * and assignments, commands and their operands. Checks, as Go does, that
 * functions are defined and variables declared before use. Fails with
 * GoTemplateError (kind 'parse') in Go's words: `template: :1: unexpected {{end}}`.
 */
import { GoTemplateError } from './go-template-error.js';
import { lex, lineOf, type Item } from './go-template-lex.js';

export type Operand =
  | { readonly kind: 'field'; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: 'variable'; readonly name: string; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: 'dot'; readonly pos: number }
  | { readonly kind: 'identifier'; readonly name: string; readonly pos: number }
  | { readonly kind: 'chain'; readonly node: Operand; readonly names: readonly string[]; readonly pos: number }
  | { readonly kind: 'pipe'; readonly pipe: Pipe; readonly pos: number }
  | { readonly kind: 'literal'; readonly value: unknown; readonly text: string; readonly pos: number };

export interface Command {
  readonly args: readonly Operand[];
  readonly pos: number;
}

export interface Pipe {
  readonly decl: readonly string[];
  readonly isAssign: boolean;
  readonly cmds: readonly Command[];
  readonly pos: number;
}

export interface ControlNode {
  readonly kind: 'if' | 'with' | 'range';
  readonly pipe: Pipe;
  readonly list: readonly TemplateNode[];
  readonly elseList: readonly TemplateNode[] | undefined;
}

export type TemplateNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipe }
  | ControlNode
  | { readonly kind: 'break' | 'continue' };

/** Parses `text`; `functions` is the set of names a command may call. */
export function parseTemplate(text: string, functions: ReadonlySet<string>): TemplateNode[] {
  return new Parser(text, lex(text), functions).parseRoot();
}

class Parser {
  #i = 0;
  readonly #vars: string[][] = [['$']];
  #rangeDepth = 0;

  constructor(
    readonly text: string,
    readonly items: readonly Item[],
    readonly functions: ReadonlySet<string>,
  ) {}

  error(pos: number, message: string): GoTemplateError {
    return new GoTemplateError('parse', `template: :${lineOf(this.text, pos)}: ${message}`);
  }

  peek(): Item {
    return this.items[this.#i]!;
  }

  next(): Item {
    return this.items[this.#i++]!;
  }

  /** The next item that is not a space (consumed). */
  nextNonSpace(): Item {
    let item = this.next();
    while (item.type === 'space') item = this.next();
    return item;
  }

  peekNonSpace(): Item {
    const at = this.#i;
    const item = this.nextNonSpace();
    this.#i = at;
    return item;
  }

  parseRoot(): TemplateNode[] {
    const { list, end } = this.itemList();
    if (end !== 'eof') throw this.error(this.items[this.#i - 1]!.pos, `unexpected {{${end}}}`);
    return list;
  }

  /** Nodes up to `{{end}}`, `{{else …}}` or the end of the text; says which ended them (the keyword consumed, not its right delimiter). */
  itemList(): { list: TemplateNode[]; end: 'eof' | 'end' | 'else' } {
    const list: TemplateNode[] = [];
    for (;;) {
      const item = this.next();
      if (item.type === 'eof') return { list, end: 'eof' };
      if (item.type === 'text') {
        list.push({ kind: 'text', text: item.val });
        continue;
      }
      // item is a left delimiter
      const word = this.peekNonSpace();
      if (word.type === 'keyword') {
        this.nextNonSpace();
        switch (word.val) {
          case 'end':
            this.expectRight('end');
            return { list, end: 'end' };
          case 'else':
            return { list, end: 'else' };
          case 'if':
          case 'with':
          case 'range':
            list.push(this.control(word.val));
            continue;
          case 'break':
          case 'continue':
            if (this.#rangeDepth === 0) throw this.error(word.pos, `{{${word.val}}} outside {{range}}`);
            this.expectRight(word.val);
            list.push({ kind: word.val });
            continue;
          default:
            throw this.error(word.pos, `{{${word.val}}} is not supported by strata's templates`);
        }
      }
      const pipe = this.pipeline('command', true);
      list.push({ kind: 'action', pipe });
    }
  }

  expectRight(context: string): void {
    const item = this.nextNonSpace();
    if (item.type !== 'right') throw this.error(item.pos, `unexpected ${describe(item)} in ${context}`);
  }

  /** `if`, `with` or `range` after its keyword, up to and including its `{{end}}`. */
  control(kind: 'if' | 'with' | 'range'): TemplateNode {
    this.#vars.push([]);
    const pipe = this.pipeline(kind, kind === 'range' ? 'range' : true);
    if (kind === 'range') this.#rangeDepth++;
    const body = this.itemList();
    if (kind === 'range') this.#rangeDepth--;
    let elseList: TemplateNode[] | undefined;
    if (body.end === 'else') {
      const after = this.peekNonSpace();
      // `{{else if …}}` / `{{else with …}}`: a nested control that shares this one's {{end}}.
      if ((kind === 'if' && after.type === 'keyword' && after.val === 'if') || (kind === 'with' && after.type === 'keyword' && after.val === 'with')) {
        this.nextNonSpace();
        elseList = [this.control(after.val)];
      } else {
        this.expectRight('else');
        const rest = this.itemList();
        if (rest.end !== 'end') throw this.error(this.items[this.#i - 1]!.pos, rest.end === 'eof' ? 'unexpected EOF' : 'expected end; found {{else}}');
        elseList = rest.list;
      }
    } else if (body.end === 'eof') {
      throw this.error(this.text.length, 'unexpected EOF');
    }
    this.#vars.pop();
    return { kind, pipe, list: body.list, elseList };
  }

  declared(name: string): boolean {
    return this.#vars.some((scope) => scope.includes(name));
  }

  /** A pipeline up to the right delimiter (or `)` when `context` is 'paren'). `decls`: 'range' allows two variables. */
  pipeline(context: string, decls: boolean | 'range'): Pipe {
    const start = this.peekNonSpace().pos;
    const decl: string[] = [];
    let isAssign = false;
    if (decls !== false) {
      const at = this.#i;
      const first = this.nextNonSpace();
      if (first.type === 'variable') {
        const after = this.nextNonSpace();
        if (after.type === 'declare' || after.type === 'assign') {
          decl.push(first.val);
          isAssign = after.type === 'assign';
        } else if (after.type === 'comma' && decls === 'range') {
          const second = this.nextNonSpace();
          const op = this.nextNonSpace();
          if (second.type !== 'variable' || (op.type !== 'declare' && op.type !== 'assign')) throw this.error(second.pos, 'range can only initialize variables');
          decl.push(first.val, second.val);
          isAssign = op.type === 'assign';
        } else this.#i = at;
      } else this.#i = at;
      if (isAssign) {
        for (const name of decl) if (!this.declared(name)) throw this.error(start, `undefined variable "${name}"`);
      } else {
        this.#vars.at(-1)!.push(...decl);
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      const item = this.peekNonSpace();
      if (item.type === 'right' || item.type === 'rparen') {
        if ((item.type === 'rparen') !== (context === 'paren')) throw this.error(item.pos, `unexpected ${describe(item)} in ${context}`);
        this.nextNonSpace();
        break;
      }
      if (item.type === 'eof') throw this.error(item.pos, `unclosed action`);
      cmds.push(this.command(context));
      const after = this.peekNonSpace();
      if (after.type === 'pipe') this.nextNonSpace();
    }
    if (cmds.length === 0) throw this.error(start, `missing value for ${context}`);
    cmds.slice(1).forEach((c) => {
      if (c.args[0]!.kind === 'literal') throw this.error(c.pos, `non executable command in pipeline stage ${cmds.indexOf(c) + 1}`);
    });
    return { decl, isAssign, cmds, pos: start };
  }

  /** Operands separated by spaces up to `|`, `)` or the right delimiter. */
  command(context: string): Command {
    const args: Operand[] = [];
    const pos = this.peekNonSpace().pos;
    for (;;) {
      const item = this.peekNonSpace();
      if (item.type === 'pipe' || item.type === 'right' || item.type === 'rparen') break;
      if (item.type === 'eof') throw this.error(item.pos, 'unclosed action');
      this.nextNonSpace();
      args.push(this.operand(item, context));
      const sep = this.peek();
      if (sep.type !== 'space' && sep.type !== 'pipe' && sep.type !== 'right' && sep.type !== 'rparen') throw this.error(sep.pos, `unexpected ${describe(sep)} in operand`);
    }
    if (args.length === 0) throw this.error(pos, 'missing value for command');
    return { args, pos };
  }

  /** One term and the fields chained to it (`.A.B`, `$x.A`, `(…).A`). */
  operand(item: Item, context: string): Operand {
    let node: Operand;
    switch (item.type) {
      case 'field': {
        const names = [item.val.slice(1)];
        let pos = item.pos;
        while (this.peek().type === 'field') {
          pos = this.peek().pos;
          names.push(this.next().val.slice(1));
        }
        return { kind: 'field', names, pos };
      }
      case 'variable':
        if (!this.declared(item.val)) throw this.error(item.pos, `undefined variable "${item.val}"`);
        node = { kind: 'variable', name: item.val, names: [], pos: item.pos };
        break;
      case 'dot':
        node = { kind: 'dot', pos: item.pos };
        break;
      case 'identifier':
        if (!this.functions.has(item.val)) throw this.error(item.pos, `function "${item.val}" not defined`);
        node = { kind: 'identifier', name: item.val, pos: item.pos };
        break;
      case 'lparen':
        node = { kind: 'pipe', pipe: this.pipeline('paren', true), pos: item.pos };
        break;
      case 'string':
        node = { kind: 'literal', value: item.val, text: JSON.stringify(item.val), pos: item.pos };
        break;
      case 'char':
        node = { kind: 'literal', value: Number(item.val), text: item.val, pos: item.pos };
        break;
      case 'number':
        node = { kind: 'literal', value: numberValue(item.val, () => this.error(item.pos, `bad number syntax: "${item.val}"`)), text: item.val, pos: item.pos };
        break;
      case 'bool':
        node = { kind: 'literal', value: item.val === 'true', text: item.val, pos: item.pos };
        break;
      case 'nil':
        node = { kind: 'literal', value: null, text: 'nil', pos: item.pos };
        break;
      default:
        throw this.error(item.pos, `unexpected ${describe(item)} in ${context}`);
    }
    if (this.peek().type !== 'field') return node;
    const names: string[] = [];
    let pos = this.peek().pos;
    while (this.peek().type === 'field') {
      pos = this.peek().pos;
      names.push(this.next().val.slice(1));
    }
    if (node.kind === 'variable') return { ...node, names, pos };
    if (node.kind === 'literal' || node.kind === 'identifier' || node.kind === 'dot') throw this.error(item.pos, `unexpected . after term "${item.val}"`);
    return { kind: 'chain', node, names, pos };
  }
}

function numberValue(text: string, fail: () => Error): number {
  const clean = text.replace(/_/g, '');
  const sign = clean.startsWith('-') ? -1 : 1;
  const body = clean.replace(/^[-+]/, '');
  const value = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : /^0[bB]/.test(body) ? parseInt(body.slice(2), 2) : /^0[oO]/.test(body) ? parseInt(body.slice(2), 8) : Number(body);
  if (body === '' || body === '.' || Number.isNaN(value)) throw fail();
  return sign * value;
}

function describe(item: Item): string {
  if (item.type === 'right') return '"}}"';
  if (item.type === 'eof') return 'EOF';
  return `<${item.val}>`;
}
