/**
 * Replays a corpus case through the pure build modules: parse, plan, dispatch every stage
 * up to the target (in Dockerfile order, as the classic builder does) with a recording
 * executor and the context source provider. Optionally builds a second time after the
 * case's `rebuild` script/options, in the same context copy.
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BuildArgs } from '../../core/build/build-args.js';
import { ContextFilter, parseDockerignore } from '../../core/build/context/dockerignore.js';
import { ContextSources } from '../../core/build/context/context-sources.js';
import { combineSourceHashes } from '../../core/build/context/source-hash.js';
import { urlDestination, urlSourceHash } from '../../core/build/context/url-source.js';
import { dispatchStage } from '../../core/build/dispatch.js';
import type { HistoryEntry, StageResult, StepExecutor } from '../../core/build/dispatch.js';
import type { BuildConfig } from '../../core/build/image-config.js';
import { parseDockerfile } from '../../core/build/parse-dockerfile.js';
import { planBuild } from '../../core/build/plan.js';
import { prepareCase } from './corpus.js';
import type { CaseOptions } from './corpus.js';

const exec = promisify(execFile);

/** The busybox base's config as `docker import -c` gives it (busybox-base.ts). */
export const BASE_CONFIG: BuildConfig = { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] };

const recorder: StepExecutor = {
  run: async () => ({ emptyLayer: false }),
  copy: async () => ({ emptyLayer: false }),
  workdir: async () => ({ emptyLayer: true }),
  commit: async () => undefined,
  beginTriggers: () => undefined,
  endFrom: () => undefined,
};

export interface Replayed {
  result: StageResult;
  /** The target's history after the base image's (earlier stages it is built on included). */
  history: HistoryEntry[];
  /** The target's chain starts FROM scratch (no base history entry). */
  scratch: boolean;
  /** Every stage built, in Dockerfile order: its base reference and its own history (one entry per instruction). */
  stages: { base: string; history: HistoryEntry[] }[];
}

async function build(ctx: string, options: CaseOptions): Promise<Replayed> {
  const dfName = options.dockerfile ?? 'Dockerfile';
  const df = parseDockerfile(await readFile(join(ctx, dfName), 'utf8'), dfName);
  const ignore = await readFile(join(ctx, '.dockerignore'), 'utf8').then(parseDockerignore, () => []);
  const buildArgs = new BuildArgs(options.serve ? { BASEURL: 'http://served.invalid', ...options.buildArgs } : options.buildArgs);
  const plan = planBuild(df, { target: options.target, buildArgs });
  const context = new ContextSources(ctx, new ContextFilter(ignore), dfName);
  const sources = {
    resolve: async (inst: Parameters<ContextSources['resolve']>[0], dest: string) => {
      if (inst.flags.from !== undefined) return { hash: 'from:?', sources: [] };
      const resolved = await context.resolve(inst, dest);
      if (!resolved.sources.some((s) => s.kind === 'url')) return resolved;
      // URLs: hash what the recorder's HTTP server served (case.json `serve`), as Docker does.
      const hashes = await Promise.all(resolved.sources.map(async (s) => {
        if (s.kind !== 'url') throw new Error('mixed sources');
        const body = Buffer.from(options.serve![new URL(s.url).pathname]!.content, 'latin1');
        return urlSourceHash(urlDestination(s.url, dest.endsWith('/') ? dest : '/'), body.length, async function* () { yield body; });
      }));
      return { hash: combineSourceHashes(hashes), sources: resolved.sources };
    },
  };
  const results = new Map<number, Replayed>();
  const stages: Replayed['stages'] = [];
  for (let i = 0; i <= plan.target; i++) {
    const p = plan.stages[i]!;
    const base = p.base.kind === 'stage' ? results.get(p.base.index)! : undefined;
    const baseConfig = p.base.kind === 'scratch' ? undefined : base ? base.result.config : BASE_CONFIG;
    const result = await dispatchStage({ dockerfile: df, stage: p.stage, baseConfig, buildArgs, executor: recorder, sources, labels: i === plan.target ? options.labels : undefined });
    results.set(i, { result, history: [...(base?.history ?? []), ...result.history], scratch: base ? base.scratch : p.base.kind === 'scratch', stages: [] });
    stages.push({ base: p.base.kind === 'stage' ? `stage:${p.base.index}` : p.base.kind === 'image' ? p.base.ref : 'scratch', history: result.history });
  }
  return { ...results.get(plan.target)!, stages };
}

export async function replayCase(name: string): Promise<{ first: Replayed; again?: Replayed }> {
  const { ctx, options } = await prepareCase(name);
  try {
    const first = await build(ctx, options);
    if (!options.rebuild) return { first };
    if (options.rebuild.script) await exec('sh', ['-c', options.rebuild.script], { cwd: ctx });
    const again = await build(ctx, { ...options, ...options.rebuild, buildArgs: { ...options.buildArgs, ...options.rebuild.buildArgs } });
    return { first, again };
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
