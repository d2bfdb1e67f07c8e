/**
 * Which instructions Docker expands variables in, and how (classic builder, Docker 20.10):
 * ADD, COPY (sources, destination, --chown), ENV and LABEL (keys and values), ARG (default
 * values), EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL — each word on its own with the
 * environment from before the instruction, so one ENV line's assignments do not see each
 * other. FROM is expanded with the global ARGs only (`expandFrom`). RUN, CMD, ENTRYPOINT,
 * SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are left as written (the shell sees them).
 *
 * Fails with EBUILD naming the file, line and instruction when a word does not expand.
 */
import { isStrataError } from '../errors.js';
import type { Instruction } from './instructions.js';
import { buildError } from './parse-dockerfile.js';
import { expandWord } from './shell-lex.js';
import type { Lookup } from './shell-lex.js';

/** The instruction with its variables expanded; instructions Docker does not expand are returned as is. */
export function expandInstruction<T extends Instruction>(inst: T, lookup: Lookup, escape: string, file = 'Dockerfile'): T {
  const x = (word: string): string => {
    try { return expandWord(word, lookup, escape); } catch (err) {
      if (isStrataError(err)) throw buildError(file, inst.line, inst.keyword, err.message, err);
      throw err;
    }
  };
  const i = inst as Instruction;
  switch (i.keyword) {
    case 'ADD': case 'COPY': {
      const flags = { ...i.flags };
      if (flags.chown !== undefined) flags.chown = x(flags.chown);
      return { ...i, sources: i.sources.map(x), dest: x(i.dest), flags } as T;
    }
    case 'ENV': case 'LABEL':
      return { ...i, pairs: i.pairs.map((p) => ({ key: x(p.key), value: x(p.value) })) } as T;
    case 'ARG':
      return { ...i, args: i.args.map((a) => (a.value === undefined ? a : { key: a.key, value: x(a.value) })) } as T;
    case 'EXPOSE':
      return { ...i, ports: i.ports.map(x) } as T;
    case 'VOLUME':
      return { ...i, paths: i.paths.map(x) } as T;
    case 'USER': case 'WORKDIR': case 'STOPSIGNAL':
      return { ...i, value: x(i.value) } as T;
    default:
      return inst;
  }
}

/** The FROM line's image expanded with the global ARGs (`globals`). */
export function expandFrom(inst: Extract<Instruction, { keyword: 'FROM' }>, globals: Lookup, escape: string, file = 'Dockerfile'): string {
  try { return expandWord(inst.image, globals, escape); } catch (err) {
    if (isStrataError(err)) throw buildError(file, inst.line, 'FROM', err.message, err);
    throw err;
  }
}
