/**
 * `.dockerignore` with Docker's matcher (`@balena/dockerignore`, a port of moby's
 * fileutils.PatternMatcher): lines trimmed, `#` comments and blank lines skipped, a leading
 * `/` dropped, `**` across directories, `!` re-includes, the last matching rule wins, and a
 * path is excluded when one of its parent directories is.
 *
 * The Dockerfile and .dockerignore are read by the builder whatever the rules say; they
 * are part of the context that COPY/ADD see unless a rule excludes them (then `COPY .`
 * leaves them out, as Docker does).
 */
import dockerignoreModule from '@balena/dockerignore';
import { posix } from 'node:path';

// The package is CommonJS (module.exports = factory) while its typings declare a default export.
const dockerignore = ((dockerignoreModule as unknown as { default?: unknown }).default ?? dockerignoreModule) as unknown as typeof dockerignoreModule.default;

/** The patterns of a .dockerignore text, as Docker reads them. */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = posix.normalize(line);
    if (line.startsWith('/') && line !== '/') line = line.slice(1);
    if (line === '') continue;
    patterns.push(negate ? `!${line}` : line);
  }
  return patterns;
}

/** Decides which context paths COPY/ADD can see. */
export class ContextFilter {
  readonly #matcher: ReturnType<typeof dockerignoreModule.default>;
  constructor(readonly patterns: readonly string[]) {
    this.#matcher = dockerignore().add([...patterns]);
  }

  /** Whether `rel` (a path relative to the context root, `/`-separated, no leading `./`) is excluded. */
  excludes(rel: string): boolean {
    const clean = posix.normalize(rel).replace(/^\/+/, '');
    if (clean === '.' || clean === '') return false;
    return this.#matcher.ignores(clean);
  }

  /**
   * Whether a walk must still enter the excluded directory `rel`, as Docker's CLI decides
   * it: some `!` pattern starts with `rel/`. (So a `!` pattern starting with a wildcard re-includes nothing below an
   * excluded directory, as in Docker.)
   */
  mayIncludeBelow(rel: string): boolean {
    const dir = `${rel}/`;
    return this.patterns.some((p) => p.startsWith('!') && `${p.slice(1)}/`.startsWith(dir));
  }
}
