/**
 * The StepExecutor (dispatch.ts) over a store: one per stage, it carries the stage's
 * current image from step to step.
 *
 * Each file-system step (RUN, ADD/COPY, WORKDIR) is keyed by stepCacheKey (parent image,
 * created_by, config). A key in the build cache (unless `noCache`) reuses that step's
 * image (` ---> Using cache`). Otherwise the step runs on a new writable layer over the
 * current image (exec/step-layer.ts): RUN through the built-in runner (exec/run-step.ts),
 * ADD/COPY with the copy rules (exec/tree-copy.ts), WORKDIR creating root-owned
 * directories; an empty diff adds no layer, a non-empty one is committed in place. The
 * step's result is registered as an untagged image whose parent is the previous one,
 * and cached.
 *
 * Errors: a RUN that exits non-zero fails with RunFailedError (EBUILD, Docker's message
 * `The command '…' returned a non-zero code: N`, and `status` N); the step's layer and
 * lease are given back, nothing stays mounted or running.
 */
import { ErrorCode, StrataError } from '../errors.js';
import { randomId } from '../ids.js';
import type { HistoryEntry, ImageConfig } from '../images/image-config.js';
import type { ImageRecord } from '../store/image-rows.js';
import type { Store } from '../store/store.js';
import { stepCacheKey } from './cache-key.js';
import type { CopyRequest, RunRequest, StepExecutor, StepOutcome, StepRequest, WorkdirRequest } from './dispatch.js';
import { buildError } from './parse-dockerfile.js';
import type { BuildCache } from './exec/build-cache.js';
import type { BuildOutput, StepPrinter } from './exec/build-output.js';
import { copyStep } from './exec/copy-step.js';
import { mkdirAllIn } from './exec/root-write.js';
import { runStep } from './exec/run-step.js';
import type { CopySources } from './exec/stage-sources.js';
import { stepImageConfig } from './exec/step-image.js';
import { withStepLayer } from './exec/step-layer.js';
import { formatCreated } from '../images/config-json.js';

/** A RUN exited non-zero; `status` is its exit status (the build's). */
export class RunFailedError extends StrataError {
  constructor(message: string, readonly status: number) {
    super(ErrorCode.EBUILD, message);
  }
}

export interface BuildSession {
  store: Store;
  cache: BuildCache;
  noCache: boolean;
  out: BuildOutput;
  printer: StepPrinter;
  /** The Dockerfile's name in errors. */
  file: string;
}

export class StageExecutor implements StepExecutor {
  /** The stage's current image (undefined: scratch, nothing built yet). */
  current: ImageRecord | undefined;
  /** The current image's config (history and diff_ids so far). */
  currentConfig: ImageConfig | undefined;

  constructor(readonly session: BuildSession, readonly stage: number, readonly base: ImageRecord | undefined, readonly baseConfig: ImageConfig | undefined) {
    this.current = base;
    this.currentConfig = baseConfig;
  }

  async run(request: RunRequest): Promise<StepOutcome> {
    this.session.printer.upTo(this.stage, request.instruction.line);
    return this.#step(request, true, async (rootfs, containerId) => {
      const status = await runStep({ rootfs, containerId, argv: request.argv, env: request.env, config: request.config, stdout: this.session.out.stdout, stderr: this.session.out.stderr });
      if (status !== 0) {
        const message = `The command '${request.argv.join(' ')}' returned a non-zero code: ${status}`;
        throw new RunFailedError(`${this.session.file}:${request.instruction.line}: RUN: ${message}`, status);
      }
    });
  }

  async copy(request: CopyRequest): Promise<StepOutcome> {
    this.session.printer.upTo(this.stage, request.instruction.line);
    const sources = request.sources as CopySources;
    try {
      return await this.#step(request, false, async (rootfs) => {
        try {
          return await copyStep(rootfs, request, sources);
        } catch (err) {
          if (err instanceof StrataError && err.code === ErrorCode.EBUILD && !err.message.startsWith(`${this.session.file}:`)) {
            throw buildError(this.session.file, request.instruction.line, request.instruction.keyword, err.message, err);
          }
          throw err;
        }
      });
    } finally {
      await sources.release();
    }
  }

  async workdir(request: WorkdirRequest): Promise<StepOutcome> {
    this.session.printer.upToNext(this.stage, 'WORKDIR');
    return this.#step(request, false, async (rootfs) => {
      await mkdirAllIn(rootfs, request.path);
    });
  }

  async #step(request: StepRequest, isRun: boolean, work: (rootfs: string, containerId: string) => Promise<boolean | void>): Promise<StepOutcome> {
    const { store, cache, out } = this.session;
    const before = this.current?.layers.length ?? 0;
    const key = stepCacheKey({ parent: this.current ? `sha256:${this.current.id}` : '', createdBy: request.createdBy, config: request.config });
    const hit = this.session.noCache ? undefined : cache.get(key);
    if (hit !== undefined) {
      this.current = store.images.get(hit);
      this.currentConfig = (await store.images.config(hit)).config;
      out.line(' ---> Using cache');
      out.line(` ---> ${hit.slice(0, 12)}`);
      return { emptyLayer: this.current.layers.length === before };
    }
    const containerId = randomId();
    if (isRun) out.line(` ---> Running in ${containerId.slice(0, 12)}`);
    const { lease, diffId } = await withStepLayer(store, this.current, (rootfs) => work(rootfs, containerId));
    const created = formatCreated(new Date());
    const entry: HistoryEntry = { created, created_by: request.createdBy, ...(diffId === undefined ? { empty_layer: true } : {}) };
    const bytes = stepImageConfig({
      base: this.currentConfig,
      config: request.config,
      history: [...(this.currentConfig?.history ?? []), entry],
      diffIds: [...(this.currentConfig?.rootfs.diff_ids ?? []), ...(diffId === undefined ? [] : [diffId])],
      parent: this.current ? `sha256:${this.current.id}` : '',
      created,
    });
    const { id } = await store.images.register(lease, { config: bytes, ...(this.current ? { parent: this.current.id } : {}) }).catch(async (err: unknown) => {
      await store.root.lock.run('build', () => store.images.abandon(lease));
      throw err;
    });
    cache.put(key, id);
    this.current = store.images.get(id);
    this.currentConfig = (await store.images.config(id)).config;
    if (isRun) out.line(`Removing intermediate container ${containerId.slice(0, 12)}`);
    out.line(` ---> ${id.slice(0, 12)}`);
    return { emptyLayer: diffId === undefined };
  }
}
