/**
 * A subset of Go's text/template, as the docker CLI's `--format` uses it
 * (docker/cli templates/templates.go): `{{.Field}}` and chains, pipelines,
 * literals, variables, `if`/`else if`/`else`, `range`/`else` (with `break` and
 * `continue`), `with`/`else`, trim markers `{{-` `-}}`, comments, Go's
 * built-in functions and Docker's (cli/format/go-template-functions.ts).
 * Not supported: `define`, `template`, `block`, `call`, `html`, `js`,
 * `urlquery`, `slice` (a parse error says so). Values: cli/format/go-value.ts.
 *
 * `parseGoTemplate` fails with GoTemplateError kind 'parse', `execute` with
 * kind 'exec'; both carry Go's message text.
 */
import { Executor, type ExecOptions } from './go-template-exec.js';
import { FUNCTIONS, type GoFunction } from './go-template-functions.js';
import { parseTemplate, type TemplateNode } from './go-template-parse.js';

export { GoTemplateError } from './go-template-error.js';
export { HEADER_FUNCTIONS } from './go-template-functions.js';
export { GoStruct, goJSON, goNilSlice, formatGoValue } from './go-value.js';

export interface ExecuteOptions extends ExecOptions {
  /** Functions that replace the standard ones of the same name (Docker's header functions). */
  readonly functions?: ReadonlyMap<string, GoFunction>;
}

export class GoTemplate {
  readonly #text: string;
  readonly #root: readonly TemplateNode[];

  private constructor(text: string, root: readonly TemplateNode[]) {
    this.#text = text;
    this.#root = root;
  }

  /** Parses `text`. Fails with GoTemplateError ('parse'). */
  static parse(text: string): GoTemplate {
    return new GoTemplate(text, parseTemplate(text, new Set(FUNCTIONS.keys())));
  }

  /** Runs the template over `data` and returns what it printed. Fails with GoTemplateError ('exec'). */
  execute(data: unknown, options: ExecuteOptions = {}): string {
    const functions = options.functions === undefined ? FUNCTIONS : new Map([...FUNCTIONS, ...options.functions]);
    return new Executor(this.#text, functions, options).run(this.#root, data);
  }
}

/** Parses `text` (see GoTemplate.parse). */
export function parseGoTemplate(text: string): GoTemplate {
  return GoTemplate.parse(text);
}
