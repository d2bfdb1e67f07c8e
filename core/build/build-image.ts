/**
 * `strata build`: a whole Dockerfile build against a store, as Docker 20.10's classic
 * builder does it (output, history, cache), with BuildKit's stage scheduling: only the
 * stages the target needs are built, independent ones concurrently.
 *
 * Each stage starts from its base (scratch, a store image, an earlier stage's result)
 * and is dispatched (dispatch.ts) with a StageExecutor, which makes an image per step as
 * Docker's classic builder does: the stage's image is its last step's (a fully cached
 * rebuild gives the same id). The target's image is tagged with every `tags` name only once the whole build
 * succeeded: a failure moves no tag and leaves no half image (leases), no container.
 *
 * Fails with EBUILD naming the Dockerfile, the line and the instruction (a failed RUN:
 * RunFailedError, whose `status` is the RUN's), ENOIMAGE for a base that is not in the
 * store (strata does not pull).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import type { ImageConfig } from '../images/image-config.js';
import { familiarString, withDefaultTag, type ImageReference } from '../images/reference.js';
import type { ImageRecord } from '../store/image-rows.js';
import type { Store } from '../store/store.js';
import { BuildArgs } from './build-args.js';
import { ContextFilter, parseDockerignore } from './context/dockerignore.js';
import { CONTEXT_HASH_DIR, ContextHashCache } from './context/hash-cache.js';
import { dispatchStage } from './dispatch.js';
import { BuildCache } from './exec/build-cache.js';
import { StepPrinter, type BuildOutput } from './exec/build-output.js';
import { StageSources } from './exec/stage-sources.js';
import { StageExecutor, type BuildSession } from './executor.js';
import type { BuildConfig } from './image-config.js';
import { parseDockerfile, buildError } from './parse-dockerfile.js';
import { planBuild, type BaseRef } from './plan.js';

export interface BuildImageOptions {
  /** The context directory; undefined for a Dockerfile read from stdin (no context). */
  contextDir?: string;
  /** The Dockerfile's text and its name in errors. */
  dockerfile: string;
  dockerfileName: string;
  tags?: readonly ImageReference[];
  buildArgs?: Readonly<Record<string, string>>;
  labels?: Readonly<Record<string, string>>;
  target?: string;
  noCache?: boolean;
  out: BuildOutput;
}

export interface BuildImageResult {
  /** The image id, hex. */
  id: string;
}

const BUILD_FIELDS = ['User', 'ExposedPorts', 'Env', 'Cmd', 'Healthcheck', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal', 'Shell'] as const;

/** The Dockerfile-level part of an image's config. */
function buildConfigOf(config: ImageConfig | undefined): BuildConfig | undefined {
  if (config === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of BUILD_FIELDS) if (config.config?.[key] !== undefined) out[key] = config.config[key];
  return out as BuildConfig;
}

/** Reads the context's .dockerignore, if any. */
export async function contextFilter(contextDir: string | undefined): Promise<ContextFilter | undefined> {
  if (contextDir === undefined) return undefined;
  const text = await readFile(join(contextDir, '.dockerignore'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : new ContextFilter(parseDockerignore(text));
}

export async function buildImage(store: Store, options: BuildImageOptions): Promise<BuildImageResult> {
  const df = parseDockerfile(options.dockerfile, options.dockerfileName);
  const args = new BuildArgs({ ...(options.buildArgs ?? {}) });
  const plan = planBuild(df, { buildArgs: args, ...(options.target !== undefined ? { target: options.target } : {}) });
  const labels = options.labels ?? {};
  const printer = new StepPrinter(df, plan.target, labels, options.out);
  const session: BuildSession = { store, cache: new BuildCache(store), noCache: options.noCache === true, out: options.out, printer, file: df.file };
  const filter = await contextFilter(options.contextDir);
  const contextDir = options.contextDir;
  let hashCache: Promise<ContextHashCache> | undefined;
  const openHashCache = (): Promise<ContextHashCache> => (hashCache ??= (async () => ContextHashCache.open(await store.root.dir(CONTEXT_HASH_DIR), contextDir!))());
  printer.upTo(-1, Number.MAX_SAFE_INTEGER);

  const results = new Map<number, Promise<ImageRecord | undefined>>();
  const imageOf = async (ref: BaseRef, line: number, keyword: string): Promise<ImageRecord | undefined> => {
    if (ref.kind === 'scratch') return undefined;
    if (ref.kind === 'stage') return results.get(ref.index)!;
    try {
      return store.images.get(ref.ref);
    } catch (err) {
      if (isStrataError(err, ErrorCode.ENOIMAGE)) throw buildError(df.file, line, keyword, `${err.message} (strata builds from images in its store: import, load or pull it first)`, err);
      throw err;
    }
  };

  const buildStage = async (index: number): Promise<ImageRecord | undefined> => {
    const planned = plan.stages[index]!;
    const stage = planned.stage;
    const base = await imageOf(planned.base, stage.from.line, 'FROM');
    const baseConfig = base === undefined ? undefined : (await store.images.config(base.id)).config;
    printer.upTo(index, stage.from.line);
    const executor = new StageExecutor(session, index, base, baseConfig);
    const sources = new StageSources(store, options.contextDir, filter, df.file, async (_from, inst) => {
      const found = planned.copyFrom.find((c) => c.instruction.line === inst.line);
      return found === undefined ? undefined : imageOf(found.source, inst.line, 'COPY');
    }, openHashCache);
    const isTarget = index === plan.target;
    await dispatchStage({
      dockerfile: df, stage, baseConfig: buildConfigOf(baseConfig), buildArgs: args, executor, sources,
      ...(isTarget ? { labels } : {}),
    }).catch(async (err: unknown) => {
      // The steps done before the failure keep their images, as Docker's.
      await executor.finish().catch(() => undefined);
      // The failing step's line is printed before the error, as Docker does.
      const line = err instanceof Error ? new RegExp(`^${escapeRegExp(df.file)}:(\\d+): `).exec(err.message)?.[1] : undefined;
      if (line !== undefined) printer.upTo(index, Number(line));
      throw err;
    });
    printer.rest(index, isTarget);
    return executor.finish();
  };

  try {
    for (const level of plan.levels) {
      for (const index of level) results.set(index, buildStage(index));
      const settled = await Promise.allSettled(level.map((i) => results.get(i)!));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
    }
  } finally {
    // The hashes learnt stay valid whether or not the build succeeded.
    await (await hashCache?.catch(() => undefined))?.save();
  }
  const target = await results.get(plan.target)!;
  if (target === undefined) throw new StrataError(ErrorCode.EBUILD, `${df.file}: No image was generated. Is your Dockerfile empty?`);
  const unconsumed = args.unconsumed();
  if (unconsumed.length > 0) options.out.line(`[Warning] One or more build-args [${unconsumed.join(' ')}] were not consumed`);
  options.out.line(`Successfully built ${target.id.slice(0, 12)}`);
  for (const tag of options.tags ?? []) {
    store.images.tag(target.id, tag);
    options.out.line(`Successfully tagged ${familiarString(withDefaultTag(tag))}`);
  }
  return { id: target.id };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
