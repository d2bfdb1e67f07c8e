/**
 * The executor of the Go text/template subset: walks a parsed template over a
 * value (cli/format/go-value.ts says how JavaScript values stand for Go's) and
 * returns the text. Fails with GoTemplateError (kind 'exec') in Go's words:
 * `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type T`.
 */
import { GoTemplateError } from './go-template-error.js';
import { FuncError, type GoFunction } from './go-template-functions.js';
import type { Command, ControlNode, Operand, Pipe, TemplateNode } from './go-template-parse.js';
import { GoStruct, NO_VALUE, formatGoValue, goTruth, goTypeName, isPlainObject } from './go-value.js';

export interface ExecOptions {
  /** 'error': a missing key of a plain object fails (`map has no entry for key "K"`); default: it is `<no value>`. */
  readonly missingKey?: 'default' | 'error';
}

class BreakSignal {}
class ContinueSignal {}

/** Go's String() of an operand, for `at <…>`. */
function operandText(node: Operand): string {
  switch (node.kind) {
    case 'field':
      return node.names.map((n) => `.${n}`).join('');
    case 'variable':
      return node.name + node.names.map((n) => `.${n}`).join('');
    case 'dot':
      return '.';
    case 'identifier':
      return node.name;
    case 'chain':
      return operandText(node.node) + node.names.map((n) => `.${n}`).join('');
    case 'pipe':
      return `(${pipeText(node.pipe)})`;
    case 'literal':
      return node.text;
  }
}

function commandText(cmd: Command): string {
  return cmd.args.map(operandText).join(' ');
}

function pipeText(pipe: Pipe): string {
  const decl = pipe.decl.length > 0 ? `${pipe.decl.join(', ')} ${pipe.isAssign ? '=' : ':='} ` : '';
  return decl + pipe.cmds.map(commandText).join(' | ');
}

export class Executor {
  readonly #vars: { name: string; value: unknown }[] = [];
  #out = '';

  constructor(
    readonly text: string,
    readonly functions: ReadonlyMap<string, GoFunction>,
    readonly options: ExecOptions = {},
  ) {}

  run(root: readonly TemplateNode[], dot: unknown): string {
    this.#vars.push({ name: '$', value: dot });
    try {
      this.walk(root, dot);
    } catch (err) {
      if (err instanceof GoTemplateError) err.partial = this.#out;
      throw err;
    }
    return this.#out;
  }

  error(pos: number, at: string, message: string): GoTemplateError {
    const before = this.text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - (before.lastIndexOf('\n') + 1);
    return new GoTemplateError('exec', `template: :${line}:${column}: executing "" at <${at}>: ${message}`);
  }

  walk(list: readonly TemplateNode[], dot: unknown): void {
    for (const node of list) {
      switch (node.kind) {
        case 'text':
          this.#out += node.text;
          break;
        case 'action': {
          const value = this.pipe(node.pipe, dot);
          if (node.pipe.decl.length === 0) this.#out += formatGoValue(value);
          break;
        }
        case 'if':
        case 'with': {
          const mark = this.#vars.length;
          const value = this.pipe(node.pipe, dot);
          if (goTruth(value)) this.walk(node.list, node.kind === 'with' ? value : dot);
          else if (node.elseList) this.walk(node.elseList, dot);
          this.#vars.length = mark;
          break;
        }
        case 'range':
          this.range(node, dot);
          break;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
      }
    }
  }

  range(node: ControlNode, dot: unknown): void {
    const mark = this.#vars.length;
    const value = this.pipe({ ...node.pipe, decl: [] }, dot);
    let pairs: [unknown, unknown][];
    if (Array.isArray(value)) pairs = value.map((v, i) => [i, v]);
    else if (value instanceof Map || isPlainObject(value)) {
      const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
      pairs = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    } else if (typeof value === 'number' && Number.isInteger(value)) pairs = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else if (value === null || value === undefined || value === NO_VALUE) pairs = [];
    else throw this.error(node.pipe.pos, pipeText(node.pipe), `range can't iterate over ${formatGoValue(value)}`);
    if (pairs.length === 0) {
      if (node.elseList) this.walk(node.elseList, dot);
      this.#vars.length = mark;
      return;
    }
    for (const [key, element] of pairs) {
      const inner = this.#vars.length;
      if (node.pipe.decl.length === 1) this.#vars.push({ name: node.pipe.decl[0]!, value: element });
      if (node.pipe.decl.length === 2) this.#vars.push({ name: node.pipe.decl[0]!, value: key }, { name: node.pipe.decl[1]!, value: element });
      try {
        this.walk(node.list, element);
      } catch (signal) {
        if (signal instanceof BreakSignal) break;
        if (!(signal instanceof ContinueSignal)) throw signal;
      } finally {
        this.#vars.length = inner;
      }
    }
    this.#vars.length = mark;
  }

  pipe(pipe: Pipe, dot: unknown): unknown {
    let value: unknown;
    let final = false;
    for (const cmd of pipe.cmds) {
      value = this.command(cmd, dot, final ? [value] : []);
      final = true;
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const slot = [...this.#vars].reverse().find((v) => v.name === name)!;
        slot.value = value;
      } else this.#vars.push({ name, value });
    }
    return value;
  }

  /** One command; `final` holds the previous pipeline stage's value, if any. */
  command(cmd: Command, dot: unknown, final: readonly unknown[]): unknown {
    const [first, ...rest] = cmd.args as [Operand, ...Operand[]];
    if (first.kind === 'identifier') {
      if (first.name === 'and' || first.name === 'or') return this.andOr(first.name, cmd, rest, dot, final);
      // A missing value reaches a function as nil (Go passes the zero value of its parameter).
      const args = [...rest.map((a) => this.operand(a, dot)), ...final].map((a) => (a === NO_VALUE ? null : a));
      try {
        return this.functions.get(first.name)!(args);
      } catch (err) {
        if (!(err instanceof FuncError)) throw err;
        const message = err.calling && !err.message.startsWith('error calling') ? `error calling ${first.name}: ${err.message}` : err.message;
        // Go names an argument that does not fit (`at <.Tag>`), else the call.
        const arg = err.arg >= 0 && err.arg < rest.length ? rest[err.arg]! : undefined;
        if (arg === undefined) throw this.error(cmd.pos, commandText(cmd), message);
        if (arg.kind === 'literal') throw this.error(arg.pos, operandText(arg), message.replace(/^wrong type for value; expected (\S+); got .*$/, (_m, type: string) => `expected ${type === 'int' ? 'integer' : type}; found ${arg.text}`));
        throw this.error(arg.pos, operandText(arg), message);
      }
    }
    if (first.kind === 'literal' && first.value === null) throw this.error(first.pos, 'nil', 'nil is not a command');
    const args = [...rest.map((a) => this.operand(a, dot)), ...final];
    if (first.kind === 'field' || first.kind === 'variable' || first.kind === 'chain') return this.operand(first, dot, args);
    if (args.length > 0) throw this.error(first.pos, operandText(first), `can't give argument to non-function ${operandText(first)}`);
    return this.operand(first, dot);
  }

  andOr(name: 'and' | 'or', cmd: Command, rest: readonly Operand[], dot: unknown, final: readonly unknown[]): unknown {
    if (rest.length + final.length === 0) throw this.error(cmd.pos, commandText(cmd), `wrong number of args for ${name}: want at least 1 got 0`);
    let value: unknown;
    for (const arg of rest) {
      value = this.operand(arg, dot);
      if (goTruth(value) === (name === 'or')) return value;
    }
    return final.length > 0 ? final[0] : value;
  }

  /** An operand's value; `args` go to the method its last field names. */
  operand(node: Operand, dot: unknown, args: readonly unknown[] = []): unknown {
    switch (node.kind) {
      case 'field':
        return this.fields(dot, node.names, node, args);
      case 'variable': {
        const slot = [...this.#vars].reverse().find((v) => v.name === node.name)!;
        return node.names.length === 0 ? slot.value : this.fields(slot.value, node.names, node, args);
      }
      case 'chain':
        return this.fields(this.operand(node.node, dot), node.names, node, args);
      case 'dot':
        return dot;
      case 'pipe':
        return this.pipe(node.pipe, dot);
      case 'identifier':
        return this.command({ args: [node], pos: node.pos }, dot, []);
      case 'literal':
        return node.value;
    }
  }

  fields(receiver: unknown, names: readonly string[], node: Operand, args: readonly unknown[]): unknown {
    let value = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      value = this.field(value, name, node, last ? args : []);
    });
    return value;
  }

  field(receiver: unknown, name: string, node: Operand, args: readonly unknown[]): unknown {
    const at = operandText(node);
    if (receiver instanceof GoStruct) {
      if (!receiver.has(name)) throw this.error(node.pos, at, `can't evaluate field ${name} in type ${receiver.typeName}`);
      const member = receiver.fields[name];
      if (typeof member === 'function') {
        if (args.length !== member.length) throw this.error(node.pos, at, `wrong number of args for ${name}: want ${member.length} got ${args.length}`);
        return (member as (...a: unknown[]) => unknown)(...args);
      }
      if (args.length > 0) throw this.error(node.pos, at, `${name} is not a method but has arguments`);
      return member;
    }
    if (args.length > 0) throw this.error(node.pos, at, `${name} is not a method but has arguments`);
    if (receiver instanceof Map) return receiver.has(name) ? receiver.get(name) : NO_VALUE;
    if (isPlainObject(receiver)) {
      // A JSON null in a map is Go's nil interface: printed `<no value>`, as Docker's raw inspect prints it.
      if (Object.prototype.hasOwnProperty.call(receiver, name)) return receiver[name] ?? NO_VALUE;
      if (this.options.missingKey === 'error') throw this.error(node.pos, at, `map has no entry for key "${name}"`);
      return NO_VALUE;
    }
    if (receiver === NO_VALUE) return NO_VALUE;
    if (receiver === null || receiver === undefined) throw this.error(node.pos, at, `nil pointer evaluating interface {}.${name}`);
    throw this.error(node.pos, at, `can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }
}
