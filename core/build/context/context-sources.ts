/**
 * A SourceProvider (dispatch.ts) over a local build context directory: resolves sources
 * with resolve-sources.ts and hashes them as Docker does (source-hash.ts). It serves
 * ADD/COPY without `--from`; a `--from` source needs the lead's provider over stages
 * and images (it throws EBUILD here).
 */
import { ErrorCode, StrataError, isStrataError } from '../../errors.js';
import type { CopyInstruction, SourceProvider } from '../dispatch.js';
import { buildError } from '../parse-dockerfile.js';
import type { ContextFilter } from './dockerignore.js';
import type { ResolvedSource } from './resolve-sources.js';
import { resolveSources } from './resolve-sources.js';
import type { ContextHashCache } from './hash-cache.js';
import { combineSourceHashes, hashContextSource } from './source-hash.js';

export class ContextSources implements SourceProvider {
  /** `hashCache`: the context's remembered file hashes (hash-cache.ts), opened on first use. */
  constructor(readonly root: string, readonly filter?: ContextFilter, readonly file = 'Dockerfile', readonly hashCache?: () => Promise<ContextHashCache>) {}

  /**
   * `sources` is the ResolvedSource[] list. URL sources hash as `url:<url>` here (the
   * executor replaces it with the downloaded content's `file:` hash).
   */
  async resolve(inst: CopyInstruction, dest: string): Promise<{ hash: string; sources: ResolvedSource[] }> {
    if (inst.flags.from !== undefined) throw new StrataError(ErrorCode.EBUILD, `${this.file}:${inst.line}: ${inst.keyword}: --from needs the stage/image source provider`);
    try {
      const sources = await resolveSources(this.root, inst.sources, dest, inst.keyword, this.filter);
      const hashes: string[] = [];
      const cache = sources.some((s) => s.kind === 'path') ? await this.hashCache?.() : undefined;
      for (const s of sources) hashes.push(s.kind === 'url' ? `url:${s.url}` : await hashContextSource(this.root, s.rel, s.stat, this.filter, cache));
      return { hash: combineSourceHashes(hashes), sources };
    } catch (err) {
      if (isStrataError(err, ErrorCode.EBUILD)) throw buildError(this.file, inst.line, inst.keyword, err.message, err);
      throw err;
    }
  }
}
