/**
 * Docker's `--format` for list commands (docker/cli cli/command/formatter/
 * formatter.go): `json` prints each row as `{{json .}}`; `table …` prints a
 * header row (the template run over the column titles with Docker's header
 * functions) and the rows, aligned as Docker's tabwriter aligns them; anything
 * else is a template run once per row, each followed by a newline. In the
 * template text, leading and trailing spaces are trimmed and the two-character
 * escapes `\t` and `\n` become a tab and a newline.
 *
 * Loaded only when `--format` is given (the template engine is not part of a
 * command's start). Fails with StrataError EUSAGE, `template parsing error:
 * <Go's message>`, when the template does not parse or fails on a row.
 */
import { ErrorCode, StrataError } from '../../core/errors.js';
import { GoTemplate, GoTemplateError, HEADER_FUNCTIONS, type GoStruct } from './go-template.js';
import { formatDockerTable } from './table.js';

/** What a list command hands over: its rows as Go structs, the column title of each field, its default table. */
export interface FormatSource {
  readonly rows: readonly GoStruct[];
  /** Field name to column title (Docker's SubHeaderContext). */
  readonly headers: Readonly<Record<string, string>>;
  /** The format `--format table` stands for (Docker's default table format). */
  readonly defaultTable: string;
  /** Rewrites a custom format first (`images --digests` adds a DIGEST column to a table). */
  readonly adjustFormat?: (format: string) => string;
}

/** Docker's prefix for a template error (`docker ps` says `failed to execute template:` for a failing row). */
export interface FormatErrorWords {
  readonly exec?: string;
}

/** The template text of a format: Docker's templateString. */
export function templateText(format: string): string {
  if (format === 'json') return '{{json .}}';
  const body = format.startsWith('table') ? format.slice('table'.length) : format;
  return body.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** Parses a template; a parse error is a usage error with Docker's words. */
export function parseFormat(text: string): GoTemplate {
  try {
    return GoTemplate.parse(text);
  } catch (err) {
    throw usage(err, 'template parsing error');
  }
}

function usage(err: unknown, prefix: string): unknown {
  if (!(err instanceof GoTemplateError)) return err;
  return new StrataError(ErrorCode.EUSAGE, `${prefix}: ${err.message}`, { cause: err });
}

/** The output of `source` under `format` (see the module comment). */
export function renderFormat(format: string, source: FormatSource, words: FormatErrorWords = {}): string {
  const effective = format === 'table' ? source.defaultTable : (source.adjustFormat?.(format) ?? format);
  const table = effective.startsWith('table');
  const template = parseFormat(templateText(effective));
  let body = '';
  for (const row of source.rows) {
    try {
      body += template.execute(row) + '\n';
    } catch (err) {
      throw usage(err, words.exec ?? 'template parsing error');
    }
  }
  if (!table) return body;
  let header: string;
  try {
    header = template.execute({ ...source.headers }, { functions: HEADER_FUNCTIONS });
  } catch (err) {
    if (!(err instanceof GoTemplateError)) throw err;
    header = err.partial; // Docker ignores the error: the header is what was printed before it
  }
  return tabAlign(`${header}\n${body}`);
}

/** Go tabwriter (minwidth 10, padding 3, spaces) over text whose cells end in tabs. */
export function tabAlign(text: string): string {
  const lines = text.split('\n');
  const last = lines.pop();
  const aligned = formatDockerTable(lines.map((line) => line.split('\t')));
  return aligned + (last ?? '');
}

/** Runs `format` once over `value` (`docker system df -v --format`): no header, no newline added; an error in Go's words alone. */
export function renderOnce(format: string, value: unknown): string {
  const template = parseFormat(templateText(format));
  try {
    return template.execute(value);
  } catch (err) {
    if (!(err instanceof GoTemplateError)) throw err;
    throw new StrataError(ErrorCode.EUSAGE, err.message, { cause: err });
  }
}
