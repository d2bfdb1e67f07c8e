/**
 * COPY/ADD source resolution inside a build context, with Docker's rules:
 *
 * - A source is relative to the context root (a leading `/` or `./` changes nothing);
 *   one that leaves it (`../x`) fails: nothing outside the context is ever read.
 * - A source containing `*`, `?` or `[` is a Go filepath.Match pattern matched against
 *   every context path with the same number of segments; otherwise the path is taken as
 *   is, its symlinks followed *inside* the context (an absolute link target is relative
 *   to the context root, `..` stops at the root): a link pointing out of the context thus
 *   names a context path, usually a missing one. Links found below a copied directory are
 *   copied as links, never followed (see source-hash.ts and the executor).
 * - Paths the .dockerignore excludes are not in the context.
 * - A missing source, no source at all after wildcards, or several sources to a destination
 *   without a trailing `/` fail. ADD also takes http(s) URLs; COPY does not.
 *
 * Failures are EBUILD errors with Docker's wording (callers prefix file:line: KEYWORD).
 */
import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';
import type { ContextFilter } from './dockerignore.js';
import { goMatch, hasWildcard } from './go-match.js';

export type ResolvedSource =
  | { kind: 'path'; pattern: string; rel: string; abs: string; stat: Stats }
  | { kind: 'url'; pattern: string; url: string };

const fail = (message: string): never => { throw new StrataError(ErrorCode.EBUILD, message); };

/** Whether Docker takes `source` as a URL (ADD only). */
export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * The files, directories and URLs `sources` name. `rel` is `/`-separated relative to the
 * root ('' for the root itself), after following links in scope; `stat` is its lstat.
 */
export async function resolveSources(root: string, sources: readonly string[], dest: string, keyword: 'ADD' | 'COPY', filter?: ContextFilter): Promise<ResolvedSource[]> {
  const out: ResolvedSource[] = [];
  for (const pattern of sources) {
    if (isUrl(pattern)) {
      if (keyword === 'COPY') fail('source can\'t be a URL for COPY');
      out.push({ kind: 'url', pattern, url: pattern });
      continue;
    }
    const clean = contextRelative(pattern);
    if (hasWildcard(clean)) {
      for (const rel of await walkContext(root, filter)) {
        if (goMatch(clean, rel)) out.push({ kind: 'path', pattern, rel, abs: join(root, rel), stat: await lstat(join(root, rel)) });
      }
      continue;
    }
    const rel = await followInScope(root, clean);
    const abs = join(root, rel);
    const stat = await lstat(abs).catch((err: unknown) => (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR' ? undefined : Promise.reject(err)));
    if (!stat || (filter && filter.excludes(rel) && !(stat.isDirectory() && (await walkContext(abs, undefined)).some((r) => !filter.excludes(posix.join(rel, r)))))) {
      fail(`file not found in build context or excluded by .dockerignore: stat ${clean}: file does not exist`);
    }
    out.push({ kind: 'path', pattern, rel, abs, stat: stat! });
  }
  if (out.length === 0) fail('no source files were specified');
  if (out.length > 1 && !dest.endsWith('/')) fail(`When using ${keyword} with more than one source file, the destination must be a directory and end with a /`);
  return out;
}

/** `source` relative to the context root, cleaned; fails when it leaves the context. */
export function contextRelative(source: string): string {
  const clean = posix.normalize(source.replace(/^\/+/, '') || '.');
  if (clean === '..' || clean.startsWith('../')) fail(`forbidden path outside the build context: ${source}`);
  return clean === '.' ? '' : clean.replace(/\/$/, '');
}

/** Resolves the links of `rel` inside `root` (see above); the result is relative, `/`-separated. */
export async function followInScope(root: string, rel: string): Promise<string> {
  const todo = rel.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    const candidate = [...done, part].join('/');
    let target: string | undefined;
    try { target = await readlink(join(root, candidate)); } catch { target = undefined; }
    if (target === undefined) { done.push(part); continue; }
    if (++links > 255) fail(`too many links in ${rel}`);
    if (target.startsWith('/')) done.length = 0;
    todo.unshift(...target.split('/').filter(Boolean));
  }
  return done.join('/');
}

/**
 * Every path below `dir` (relative, `/`-separated, sorted, directories included) that the
 * filter does not exclude; links are listed, not followed.
 */
export async function walkContext(dir: string, filter?: ContextFilter, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const names = (await readdir(join(dir, prefix), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const excluded = filter?.excludes(rel) ?? false;
    if (!excluded) out.push(rel);
    if (entry.isDirectory() && (!excluded || filter!.mayIncludeBelow(rel))) out.push(...await walkContext(dir, filter, rel));
  }
  return out;
}
