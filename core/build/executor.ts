/**
 * The StepExecutor (dispatch.ts) over a store: one per stage, it carries the stage's
 * current image from step to step. Every step makes an image, as Docker's classic
 * builder commits one per step: untagged, its parent the previous step's, its config the
 * previous one's with the step's config and one more history entry, and cached.
 *
 * Each step is keyed by stepCacheKey (parent image, created_by, config). A key in the
 * build cache (unless `noCache`) reuses that step's image (` ---> Using cache`).
 * Otherwise a file-system step (RUN, ADD/COPY, WORKDIR) runs on a new writable layer over
 * the current image (exec/step-layer.ts): RUN through the built-in runner
 * (exec/run-step.ts), ADD/COPY with the copy rules (exec/tree-copy.ts), WORKDIR creating
 * root-owned directories; an empty diff adds no layer, a non-empty one is committed in
 * place. A metadata step only makes its config: its image is known (the config's
 * digest) and printed at once, and registered with the run of metadata steps it belongs
 * to in one go (ImageStore.registerChain: a few syncs per run, not per step) before the
 * next file-system step, when the stage ends (`finish`) or fails.
 *
 * Output, as Docker 20.10: RUN, WORKDIR and metadata steps print ` ---> Running in <id>`
 * and `Removing intermediate container <id>`, ADD/COPY neither; every step but an ONBUILD
 * trigger prints ` ---> <image id>` (the FROM step prints it once its triggers ran).
 *
 * Errors: a RUN that exits non-zero fails with RunFailedError (EBUILD, Docker's message
 * `The command '…' returned a non-zero code: N`, and `status` N); the step's layer and
 * lease are given back, nothing stays mounted or running.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, StrataError } from '../errors.js';
import { randomId } from '../ids.js';
import type { HistoryEntry, ImageConfig } from '../images/image-config.js';
import type { ImageRecord } from '../store/image-rows.js';
import type { Store } from '../store/store.js';
import { stepCacheKey } from './cache-key.js';
import type { CommitRequest, CopyRequest, RunRequest, StepExecutor, StepOutcome, StepRequest, WorkdirRequest } from './dispatch.js';
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
  /** The stage's last registered image (undefined: scratch, nothing registered yet). */
  #record: ImageRecord | undefined;
  /** Metadata steps' images not registered yet, oldest first: config bytes, id, cache key. */
  readonly #pending: { bytes: Buffer; id: string; key: string }[] = [];
  /** The current image's config (history and diff_ids so far). */
  currentConfig: ImageConfig | undefined;

  constructor(readonly session: BuildSession, readonly stage: number, readonly base: ImageRecord | undefined, readonly baseConfig: ImageConfig | undefined) {
    this.#record = base;
    this.currentConfig = baseConfig;
  }

  /** The current image's id (hex; a metadata step's may not be registered yet), undefined for scratch. */
  get currentId(): string | undefined {
    return this.#pending.at(-1)?.id ?? this.#record?.id;
  }

  /** Registers the pending metadata steps' images; the stage's image (undefined: scratch, nothing built). */
  async finish(): Promise<ImageRecord | undefined> {
    await this.#flush();
    return this.#record;
  }

  beginTriggers(count: number): void {
    if (count > 0) this.session.out.line(`# Executing ${count} build trigger${count === 1 ? '' : 's'}`);
  }

  endFrom(): void {
    this.session.out.line(` ---> ${this.currentId?.slice(0, 12) ?? ''}`);
  }

  async run(request: RunRequest): Promise<StepOutcome> {
    this.session.printer.upTo(this.stage, request.instruction.line);
    return this.#step(request, true, async (rootfs, containerId) => {
      const status = await runStep({ rootfs, scratchDir: await this.session.store.root.scratch(), containerId, argv: request.argv, env: request.env, config: request.config, stdout: this.session.out.stdout, stderr: this.session.out.stderr });
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
    this.session.printer.upTo(this.stage, request.line);
    return this.#step(request, true, async (rootfs) => {
      await mkdirAllIn(rootfs, request.path);
    });
  }

  async commit(request: CommitRequest): Promise<void> {
    const { printer, out } = this.session;
    if (request.line === 0) printer.nextLabel();
    else printer.upTo(this.stage, request.line);
    const parent = this.currentId;
    const key = stepCacheKey({ parent: parent ? `sha256:${parent}` : '', createdBy: request.createdBy, config: request.config });
    const hit = this.#cached(key);
    if (hit !== undefined) {
      await this.#flush();
      await this.#use(hit, request);
      return;
    }
    const containerId = randomId();
    out.line(` ---> Running in ${containerId.slice(0, 12)}`);
    const created = formatCreated(new Date());
    const bytes = stepImageConfig({
      base: this.currentConfig,
      config: request.config,
      history: [...(this.currentConfig?.history ?? []), { created, created_by: request.createdBy, empty_layer: true }],
      diffIds: this.currentConfig?.rootfs.diff_ids ?? [],
      parent: parent ? `sha256:${parent}` : '',
      created,
      ...(request.author !== undefined ? { author: request.author } : {}),
      step: { cmd: request.cmd, isRun: false, container: containerId },
    });
    const id = createHash('sha256').update(bytes).digest('hex');
    this.#pending.push({ bytes, id, key });
    this.currentConfig = JSON.parse(bytes.toString('utf8')) as ImageConfig;
    out.line(`Removing intermediate container ${containerId.slice(0, 12)}`);
    if (!request.trigger) out.line(` ---> ${id.slice(0, 12)}`);
  }

  /** The image cached for `key`, unless the build ignores the cache. */
  #cached(key: string): string | undefined {
    return this.session.noCache ? undefined : this.session.cache.get(key);
  }

  /** Takes the cached image `id` as the step's result. */
  async #use(id: string, request: StepRequest): Promise<void> {
    this.#record = this.session.store.images.get(id);
    this.currentConfig = (await this.session.store.images.config(id)).config;
    this.session.out.line(' ---> Using cache');
    if (!request.trigger) this.session.out.line(` ---> ${id.slice(0, 12)}`);
  }

  /** Registers the pending metadata images (one registerChain) and their cache entries. */
  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const chain = this.#pending.splice(0);
    const { store, cache } = this.session;
    const ids = await store.images.registerChain(this.#record, chain.map((p) => p.bytes), () => {
      for (const p of chain) cache.put(p.key, p.id);
    });
    this.#record = store.images.get(ids.at(-1)!);
  }

  async #step(request: StepRequest, runsContainer: boolean, work: (rootfs: string, containerId: string) => Promise<boolean | void>): Promise<StepOutcome> {
    const { store, cache, out } = this.session;
    await this.#flush();
    const before = this.#record?.layers.length ?? 0;
    const key = stepCacheKey({ parent: this.#record ? `sha256:${this.#record.id}` : '', createdBy: request.createdBy, config: request.config });
    const hit = this.#cached(key);
    if (hit !== undefined) {
      await this.#use(hit, request);
      return { emptyLayer: this.#record!.layers.length === before };
    }
    const containerId = randomId();
    if (runsContainer) out.line(` ---> Running in ${containerId.slice(0, 12)}`);
    const { lease, diffId } = await withStepLayer(store, this.#record, (rootfs) => work(rootfs, containerId));
    const created = formatCreated(new Date());
    const entry: HistoryEntry = { created, created_by: request.createdBy, ...(diffId === undefined ? { empty_layer: true } : {}) };
    const bytes = stepImageConfig({
      base: this.currentConfig,
      config: request.config,
      history: [...(this.currentConfig?.history ?? []), entry],
      diffIds: [...(this.currentConfig?.rootfs.diff_ids ?? []), ...(diffId === undefined ? [] : [diffId])],
      parent: this.#record ? `sha256:${this.#record.id}` : '',
      created,
      ...(request.author !== undefined ? { author: request.author } : {}),
      step: { cmd: request.cmd, isRun: 'argv' in request, ...(runsContainer ? { container: containerId } : {}) },
    });
    const { id } = await store.images.register(lease, { config: bytes, ...(this.#record ? { parent: this.#record.id } : {}) }).catch(async (err: unknown) => {
      await store.root.lock.run('build', () => store.images.abandon(lease));
      throw err;
    });
    cache.put(key, id);
    this.#record = store.images.get(id);
    this.currentConfig = (await store.images.config(id)).config;
    if (runsContainer) out.line(`Removing intermediate container ${containerId.slice(0, 12)}`);
    if (!request.trigger) out.line(` ---> ${id.slice(0, 12)}`);
    return { emptyLayer: diffId === undefined };
  }
}
