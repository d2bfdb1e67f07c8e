/**
 * Walks one stage's instructions with Docker's classic-builder semantics, computing the
 * image config and history; the steps that change the file system (RUN, ADD, COPY and a
 * WORKDIR whose directory may need creating) are handed to a {@link StepExecutor}, which
 * owns containers, layers and the cache. Everything else is decided here:
 *
 * 1. The stage starts from the base's config (`stageStartConfig`: OnBuild cleared,
 *    default PATH when the base has no Env), then runs the base's ONBUILD triggers.
 * 2. Each instruction is expanded (expand.ts) with the config's Env and the ARGs in
 *    scope, then ARG declares, metadata instructions change the config (metadata.ts)
 *    and add an empty-layer history entry, RUN/ADD/COPY/WORKDIR go to the executor.
 * 3. For the target stage, `--label`s are applied last, one LABEL entry each, sorted.
 *
 * The executor answers whether the step's diff was empty (then the history entry is an
 * empty layer and no layer is added, as Docker does). Errors are EBUILD naming the file,
 * the line and the instruction; an executor's own errors pass through unchanged.
 */
import { posix } from 'node:path';
import type { BuildArgs, StageArgs } from './build-args.js';
import { cliLabelComments, createdByCopy, createdByNop, createdByRun, runArgv } from './created-by.js';
import { expandInstruction } from './expand.js';
import type { BuildConfig } from './image-config.js';
import { stageStartConfig } from './image-config.js';
import type { Dockerfile, Instruction, Stage } from './instructions.js';
import type { MetadataInstruction, StageMeta } from './metadata.js';
import { applyMetadata } from './metadata.js';
import { withTriggers } from './onbuild.js';

export type CopyInstruction = Extract<Instruction, { sources: string[] }>;
export type RunInstruction = Extract<Instruction, { keyword: 'RUN' }>;

/** One history entry of the new image (Docker's `history[]` item). */
export interface HistoryEntry {
  created_by: string;
  empty_layer?: true;
  author?: string;
}

export interface StepRequest {
  /** The created_by string; with the parent image id and `config` it is the cache key (cache-key.ts). */
  createdBy: string;
  /** The config the step runs under (Env, User, WorkingDir, Volumes, Shell…). */
  config: BuildConfig;
}

export interface RunRequest extends StepRequest {
  instruction: RunInstruction;
  argv: string[];
  /** The config's Env followed by the build args that reach this RUN (proxies included). */
  env: string[];
}

export interface CopyRequest extends StepRequest {
  instruction: CopyInstruction;
  /** Destination made absolute against WorkingDir; a trailing `/` is kept. */
  dest: string;
  /** The sources as the SourceProvider resolved them. */
  sources: unknown;
}

export interface WorkdirRequest extends StepRequest {
  /** The absolute directory to create (root-owned) if missing. */
  path: string;
}

/** What a file-system step did. */
export interface StepOutcome {
  /** The diff was empty: no layer, and the history entry is an empty layer. */
  emptyLayer: boolean;
}

/** Runs the file-system steps (the lead's builder: containers, layers, cache). */
export interface StepExecutor {
  run(request: RunRequest): Promise<StepOutcome>;
  copy(request: CopyRequest): Promise<StepOutcome>;
  workdir(request: WorkdirRequest): Promise<StepOutcome>;
}

/** Resolves ADD/COPY sources (build context, an earlier stage, an image) and their hash. */
export interface SourceProvider {
  /** `hash` is `file:…`, `dir:…` or `multi:…` (source-hash.ts). */
  resolve(instruction: CopyInstruction, dest: string, config: BuildConfig): Promise<{ hash: string; sources: unknown }>;
}

export interface StageInput {
  dockerfile: Dockerfile;
  stage: Stage;
  /** The base image's config; undefined for scratch. */
  baseConfig: BuildConfig | undefined;
  buildArgs: BuildArgs;
  executor: StepExecutor;
  sources: SourceProvider;
  /** `--label`s, for the target stage only. */
  labels?: Readonly<Record<string, string>>;
}

export interface StageResult {
  config: BuildConfig;
  /** The entries this stage adds after the base's history. */
  history: HistoryEntry[];
  /** MAINTAINER's value, if any. */
  author?: string;
}

/** Dispatches the stage (see above). */
export async function dispatchStage(input: StageInput): Promise<StageResult> {
  const { dockerfile: df, stage, executor } = input;
  const args: StageArgs = input.buildArgs.stage();
  let config = stageStartConfig(input.baseConfig);
  let meta: StageMeta = { cmdSet: false };
  const history: HistoryEntry[] = [];
  const nop = (createdBy: string): void => { history.push({ created_by: createdBy, empty_layer: true }); };
  const step = (createdBy: string, outcome: StepOutcome): void => {
    history.push(outcome.emptyLayer ? { created_by: createdBy, empty_layer: true } : { created_by: createdBy });
  };
  for (const raw of withTriggers(stage, input.baseConfig?.OnBuild, df.file)) {
    const inst = expandInstruction(raw, args.lookup(config.Env), df.escape, df.file);
    switch (inst.keyword) {
      case 'FROM':
        break;
      case 'ARG':
        for (const a of inst.args) args.declare(a.key, a.value);
        nop(createdByNop(config, applyMetadata(config, meta, inst, df.file).comment));
        break;
      case 'RUN': {
        const createdBy = createdByRun(config, inst.command, args);
        const argv = runArgv(config, inst.command);
        const env = [...(config.Env ?? []), ...args.runEnv(config.Env)];
        step(createdBy, await executor.run({ instruction: inst, argv, env, createdBy, config }));
        break;
      }
      case 'ADD': case 'COPY': {
        const dest = absoluteDest(config.WorkingDir, inst.dest);
        const { hash, sources } = await input.sources.resolve(inst, dest, config);
        const chown = inst.flags.chown ? `--chown=${inst.flags.chown}` : '';
        const createdBy = createdByCopy(config, inst.keyword, chown + hash, inst.dest);
        step(createdBy, await executor.copy({ instruction: inst, dest, sources, createdBy, config }));
        break;
      }
      case 'WORKDIR': {
        const r = applyMetadata(config, meta, inst, df.file);
        config = r.config;
        const createdBy = createdByNop(config, r.comment);
        step(createdBy, await executor.workdir({ path: config.WorkingDir!, createdBy, config }));
        break;
      }
      default: {
        const r = applyMetadata(config, meta, inst as MetadataInstruction, df.file);
        config = r.config;
        meta = r.meta;
        nop(createdByNop(config, r.comment));
      }
    }
  }
  for (const label of cliLabelComments(input.labels ?? {})) {
    config = { ...config, Labels: { ...(config.Labels ?? {}), [label.key]: label.value } };
    nop(createdByNop(config, label.comment));
  }
  return { config, history, ...(meta.author !== undefined ? { author: meta.author } : {}) };
}

/** COPY/ADD destination against WorkingDir, as Docker's normalizeDest (a trailing `/` kept). */
export function absoluteDest(workingDir: string | undefined, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = posix.join('/', workingDir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}
