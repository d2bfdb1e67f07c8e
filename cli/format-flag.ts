import type { FormatErrorWords, FormatSource } from './format/docker-format.js';

/**
 * Docker's `--format` flag on list commands and `inspect`. The template engine
 * (cli/format/go-template.ts and what it imports) loads only when the flag is
 * given: a command's start does not pay for it.
 */

/** The flag's help text (Docker's words). */
export const FORMAT_HELP = "format output using a custom template: 'table' (the default), 'table TEMPLATE' (a header row, then the template per row), 'json' (a JSON object per row), or 'TEMPLATE' (a Go template)";

/** Whether `format` asks for a template (`table` alone, or '', is the default table, as Docker's). */
export function templateFormat(format: string | undefined): format is string {
  return format !== undefined && format !== '' && format !== 'table';
}

type Contexts = typeof import('./format/docker-contexts.js');

/** Prints the rows `build` makes (with the contexts module) under `format`. Fails with EUSAGE on a bad template. */
export async function printFormatted(format: string, build: (contexts: Contexts) => FormatSource, words?: FormatErrorWords): Promise<void> {
  const [contexts, { renderFormat }] = await Promise.all([import('./format/docker-contexts.js'), import('./format/docker-format.js')]);
  process.stdout.write(renderFormat(format, build(contexts), words));
}

/**
 * Prints one template result per document (`inspect --format`), each followed
 * by a newline. `strict` documents are tried first (Docker's typed structs);
 * when that fails, `raw` (the plain JSON) with missing keys as errors, as
 * Docker's inspect falls back. Fails with EUSAGE on a bad template or a
 * document it fails on (after printing the others).
 */
export async function printInspectFormatted(format: string, docs: readonly { typed: unknown; raw: unknown }[]): Promise<void> {
  const { inspectFormat } = await import('./format/inspect-format.js');
  const { text, error } = inspectFormat(format, docs);
  process.stdout.write(text);
  if (error !== undefined) throw error;
}
