/**
 * The SourceProvider of a build (dispatch.ts): context sources through ContextSources,
 * `ADD <url>` downloaded here (so that created_by carries the content's hash), and
 * `COPY --from=<stage|index|image>` from the named image's top layer, mounted read-only
 * for the step and unmounted by `release`. The `sources` it returns are `CopySources`.
 */
import { createReadStream, type Stats } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { resolveInRoot } from '../../containers/runner/root-path.js';
import { ErrorCode, StrataError, isStrataError } from '../../errors.js';
import type { ImageRecord } from '../../store/image-rows.js';
import type { Store } from '../../store/store.js';
import type { ContextFilter } from '../context/dockerignore.js';
import { ContextSources } from '../context/context-sources.js';
import type { ContextHashCache } from '../context/hash-cache.js';
import { contextRelative, followInScope, walkContext } from '../context/resolve-sources.js';
import { combineSourceHashes, dirSourceHash, entryHash, type EntryType } from '../context/source-hash.js';
import { mtimeFromLastModified, URL_FILE_MODE, urlDestination, urlSourceHash } from '../context/url-source.js';
import type { SourceOrigin } from '../copy-rules.js';
import type { CopyInstruction, SourceProvider } from '../dispatch.js';
import type { BuildConfig } from '../image-config.js';
import { buildError } from '../parse-dockerfile.js';

/** One source to copy: a host path and how to treat it. */
export interface CopySource {
  host: string;
  stat: Stats;
  origin: SourceOrigin;
  /** Where a file goes: the base name used under a directory destination. */
  name: string;
  /** A fixed destination (ADD <url>), overriding the rules. */
  dest?: string;
  /** Forced mode (ADD <url>: 0600). */
  mode?: number;
  /** For context directories: the filter and the source's context-relative path. */
  filter?: ContextFilter;
  filterRel?: string;
}

export interface CopySources {
  items: CopySource[];
  /** Gives back mounts and temporary files; called once the step is done. */
  release(): Promise<void>;
}

/** Resolves `COPY --from`'s value to an image: a stage's result (after it is built) or a store image. */
export type FromResolver = (from: string, inst: CopyInstruction) => Promise<ImageRecord | undefined>;

export class StageSources implements SourceProvider {
  readonly #context: ContextSources | undefined;

  /** `hashCache`: the context's remembered file hashes (context/hash-cache.ts), opened on first use. */
  constructor(readonly store: Store, readonly contextDir: string | undefined, readonly filter: ContextFilter | undefined, readonly file: string, readonly from: FromResolver, hashCache?: () => Promise<ContextHashCache>) {
    this.#context = contextDir === undefined ? undefined : new ContextSources(contextDir, filter, file, hashCache);
  }

  async resolve(inst: CopyInstruction, dest: string, _config: BuildConfig): Promise<{ hash: string; sources: CopySources }> {
    try {
      if (inst.flags.from !== undefined) return await this.#fromImage(inst);
      if (this.#context === undefined) {
        if (inst.sources.every((s) => /^https?:\/\//i.test(s))) return await this.#urls(inst, dest, []);
        throw buildError(this.file, inst.line, inst.keyword, 'no build context: a Dockerfile read from stdin cannot ' + inst.keyword.toLowerCase() + ' local files');
      }
      const { hash, sources } = await this.#context.resolve(inst, dest);
      if (sources.some((s) => s.kind === 'url')) return await this.#urls(inst, dest, sources.filter((s) => s.kind === 'path').map((s) => this.#contextItem(s.abs, s.rel, s.stat)));
      return { hash, sources: { items: sources.map((s) => (s.kind === 'path' ? this.#contextItem(s.abs, s.rel, s.stat) : undefined!)), release: async () => undefined } };
    } catch (err) {
      if (isStrataError(err, ErrorCode.EBUILD) && !/^[^:]+:\d+: /.test(err.message)) throw buildError(this.file, inst.line, inst.keyword, err.message, err);
      throw err;
    }
  }

  #contextItem(abs: string, rel: string, stat: Stats): CopySource {
    return { host: abs, stat, origin: 'context', name: posix.basename(rel), ...(this.filter ? { filter: this.filter } : {}), filterRel: rel };
  }

  /** Context items plus downloaded URLs; the hash is recomputed over all sources. */
  async #urls(inst: CopyInstruction, dest: string, contextItems: CopySource[]): Promise<{ hash: string; sources: CopySources }> {
    const tmp = await mkdtemp(join(tmpdir(), 'strata-add-url-'));
    const items: CopySource[] = [];
    const hashes: string[] = [];
    let i = 0;
    for (const source of inst.sources) {
      if (!/^https?:\/\//i.test(source)) continue;
      const response = await fetch(source).catch((err: unknown) => { throw new StrataError(ErrorCode.EBUILD, `failed to GET ${source}: ${(err as Error).message}`); });
      if (!response.ok) throw new StrataError(ErrorCode.EBUILD, `failed to GET ${source} with status ${response.status} ${response.statusText}`);
      const host = join(tmp, String(i++));
      await writeFile(host, Buffer.from(await response.arrayBuffer()), { mode: URL_FILE_MODE });
      const mtime = mtimeFromLastModified(response.headers.get('last-modified'));
      await utimes(host, mtime, mtime);
      const target = urlDestination(source, dest);
      const stat = await lstat(host);
      // Docker's created_by shows a URL's hash without the `file:` prefix, over the URL's own file name.
      hashes.push(await urlSourceHash(urlDestination(source, '/'), stat.size, () => createReadStream(host)));
      items.push({ host, stat, origin: 'context', name: posix.basename(target), dest: target, mode: URL_FILE_MODE });
    }
    for (const item of contextItems) hashes.unshift(item.filterRel !== undefined ? await contextHash(item) : '');
    return { hash: combineSourceHashes(hashes), sources: { items: [...contextItems, ...items], release: () => rm(tmp, { recursive: true, force: true }) } };
  }

  async #fromImage(inst: CopyInstruction): Promise<{ hash: string; sources: CopySources }> {
    const image = await this.from(inst.flags.from!, inst);
    const { layers } = this.store;
    const top = image?.layers.at(-1);
    const root = top === undefined ? await mkdtemp(join(tmpdir(), 'strata-scratch-')) : await layers.mount(top);
    const release = async (): Promise<void> => {
      if (top === undefined) await rm(root, { recursive: true, force: true });
      else await layers.unmount(top);
    };
    try {
      const items: CopySource[] = [];
      const hashes: string[] = [];
      for (const pattern of inst.sources) {
        const clean = contextRelative(pattern);
        const r = await resolveInRoot(root, '/' + clean);
        if (!r.exists) throw new StrataError(ErrorCode.EBUILD, `COPY failed: stat ${clean}: file does not exist`);
        const stat = await lstat(r.host);
        // A link given as the source is copied as its target, under the link's own name.
        items.push({ host: r.host, stat, origin: 'stage', name: posix.basename(clean) || posix.basename(r.inRoot) });
        hashes.push(await imageSourceHash(root, r.inRoot.slice(1), stat));
      }
      return { hash: combineSourceHashes(hashes), sources: { items, release } };
    } catch (err) {
      await release();
      throw err;
    }
  }
}

async function contextHash(item: CopySource): Promise<string> {
  const { hashContextSource } = await import('../context/source-hash.js');
  const root = item.host.slice(0, item.host.length - (item.filterRel ?? '').length).replace(/\/$/, '') || '/';
  return hashContextSource(root, item.filterRel ?? '', item.stat, item.filter);
}

function typeOf(st: Stats): EntryType {
  return st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : 'file';
}

let hostNames: Promise<{ users: Map<number, string>; groups: Map<number, string> }> | undefined;
/** The host's user and group names by id (Docker's daemon names image entries' owners with them). */
function namesOnHost(): Promise<{ users: Map<number, string>; groups: Map<number, string> }> {
  const table = async (file: string): Promise<Map<number, string>> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const map = new Map<number, string>();
    for (const f of text.split('\n').map((l) => l.split(':'))) if (f.length > 2 && /^\d+$/.test(f[2]!) && !map.has(Number(f[2]))) map.set(Number(f[2]), f[0]!);
    return map;
  };
  hostNames ??= (async () => ({ users: await table('/etc/passwd'), groups: await table('/etc/group') }))();
  return hostNames;
}

async function hashHostEntry(host: string, name: string, st: Stats): Promise<string> {
  const type = typeOf(st);
  const names = await namesOnHost();
  const uname = names.users.get(st.uid);
  const gname = names.groups.get(st.gid);
  return entryHash({
    name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: type === 'file' ? st.size : 0,
    ...(uname !== undefined ? { uname } : {}), ...(gname !== undefined ? { gname } : {}),
    ...(type === 'symlink' ? { linkname: await readlink(host) } : {}),
    ...(type === 'file' ? { content: () => createReadStream(host) } : {}),
  });
}

/**
 * `file:`/`dir:` hash of the image path `resolved` (relative, links already followed; lstat `st`), owners included
 * (the content of COPY --from), as Docker 20.10's lazy source over the image's root: every
 * entry is named by its path from the image's root (`d/sub/f`, not from the source), a
 * directory's walk includes the directory itself, and each walked entry is hashed as what
 * its path resolves to inside the root (a link as its target, under the target's path; a
 * dangling one as that path alone).
 */
async function imageSourceHash(root: string, resolved: string, st: Stats): Promise<string> {
  if (!st.isDirectory()) return 'file:' + await hashHostEntry(join(root, resolved), resolved, st);
  const hashes: string[] = [];
  const walked = await walkContext(root, undefined, resolved);
  for (const p of resolved === '' ? walked : [resolved, ...walked]) {
    const target = await followInScope(root, p);
    const tst = await lstat(join(root, target)).catch(() => undefined);
    hashes.push(tst === undefined ? target : await hashHostEntry(join(root, target), target, tst));
  }
  return dirSourceHash(hashes);
}
