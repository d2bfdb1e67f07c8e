/**
 * Walks one stage's instructions with Docker's classic-builder semantics, computing the
 * image config and history; every step is handed to a {@link StepExecutor}, which owns
 * containers, layers, images and the cache: the steps that change the file system (RUN,
 * ADD, COPY and a WORKDIR whose directory may need creating) to run, the metadata steps
 * (ARG in a stage, ENV, LABEL, CMD, …) to commit, each as its own image as Docker's
 * classic builder does. Everything else is decided here:
 *
 * 1. The stage starts from the base's config (`stageStartConfig`: OnBuild cleared,
 *    default PATH when the base has no Env), then runs the base's ONBUILD triggers
 *    (between the executor's `beginTriggers` and `endFrom`).
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
import { cliLabelComments, copyCmd, nopCmd, runArgv, runCmd } from './created-by.js';
import { expandInstruction } from './expand.js';
import type { BuildConfig } from './image-config.js';
import { stageStartConfig } from './image-config.js';
import type { Dockerfile, Instruction, Stage } from './instructions.js';
import type { MetadataInstruction, StageMeta } from './metadata.js';
import { applyMetadata } from './metadata.js';
import { parseTriggers } from './onbuild.js';
import { buildError } from './parse-dockerfile.js';

export type CopyInstruction = Extract<Instruction, { sources: string[] }>;
export type RunInstruction = Extract<Instruction, { keyword: 'RUN' }>;

/** One history entry of the new image (Docker's `history[]` item). */
export interface HistoryEntry {
  created_by: string;
  empty_layer?: true;
  author?: string;
}

export interface StepRequest {
  /** The created_by string (`cmd` joined by spaces); with the parent image id and `config` it is the cache key (cache-key.ts). */
  createdBy: string;
  /** The step's command as the image's container_config.Cmd holds it (created-by.ts). */
  cmd: string[];
  /** The config the step runs under (Env, User, WorkingDir, Volumes, Shell…), or, for a metadata step, the config it makes. */
  config: BuildConfig;
  /** The image's author so far (MAINTAINER). */
  author?: string;
  /** The step is one of the base's ONBUILD triggers (part of the FROM step's output). */
  trigger?: true;
}

export interface CommitRequest extends StepRequest {
  /** The instruction's line; 0 for a `--label` of the command line. */
  line: number;
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
  /** The instruction's line. */
  line: number;
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
  /** A metadata step: an image with the new config and history entry, no layer. */
  commit(request: CommitRequest): Promise<void>;
  /** The base's `count` ONBUILD triggers are about to run (none: 0). */
  beginTriggers(count: number): void;
  /** The FROM step is done (its triggers ran). */
  endFrom(): void;
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
  const triggers = parseTriggers(input.baseConfig?.OnBuild, stage, df.file);
  let done = 0;
  /** What every request of the current step carries. */
  const common = (): { author?: string; trigger?: true } => ({
    ...(meta.author !== undefined ? { author: meta.author } : {}), ...(done < triggers.length ? { trigger: true as const } : {}),
  });
  const nop = async (comment: string, line: number): Promise<void> => {
    const cmd = nopCmd(config, comment);
    const createdBy = cmd.join(' ');
    history.push({ created_by: createdBy, empty_layer: true });
    await executor.commit({ createdBy, cmd, config, line, ...common() });
  };
  const step = (createdBy: string, outcome: StepOutcome): void => {
    history.push(outcome.emptyLayer ? { created_by: createdBy, empty_layer: true } : { created_by: createdBy });
  };
  executor.beginTriggers(triggers.length);
  if (triggers.length === 0) executor.endFrom();
  for (const raw of [...triggers, ...stage.instructions]) {
    const inst = expandInstruction(raw, args.lookup(config.Env), df.escape, df.file);
    switch (inst.keyword) {
      case 'FROM':
        break;
      case 'ARG':
        for (const a of inst.args) args.declare(a.key, a.value);
        await nop(applyMetadata(config, meta, inst, df.file).comment, inst.line);
        break;
      case 'RUN': {
        if (inst.flags.mount !== undefined) throw buildError(df.file, inst.line, 'RUN', 'the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled');
        const cmd = runCmd(config, inst.command, args);
        const createdBy = cmd.join(' ');
        const argv = runArgv(config, inst.command);
        const env = [...(config.Env ?? []), ...args.runEnv(config.Env)];
        step(createdBy, await executor.run({ instruction: inst, argv, env, createdBy, cmd, config, ...common() }));
        break;
      }
      case 'ADD': case 'COPY': {
        const dest = absoluteDest(config.WorkingDir, inst.dest);
        const { hash, sources } = await input.sources.resolve(inst, dest, config);
        const chown = inst.flags.chown ? `--chown=${inst.flags.chown}` : '';
        const cmd = copyCmd(config, inst.keyword, chown + hash, inst.dest);
        const createdBy = cmd.join(' ');
        step(createdBy, await executor.copy({ instruction: inst, dest, sources, createdBy, cmd, config, ...common() }));
        break;
      }
      case 'WORKDIR': {
        const r = applyMetadata(config, meta, inst, df.file);
        config = r.config;
        const cmd = nopCmd(config, r.comment);
        const createdBy = cmd.join(' ');
        step(createdBy, await executor.workdir({ path: config.WorkingDir!, createdBy, cmd, config, line: inst.line, ...common() }));
        break;
      }
      default: {
        const r = applyMetadata(config, meta, inst as MetadataInstruction, df.file);
        config = r.config;
        meta = r.meta;
        await nop(r.comment, inst.line);
      }
    }
    if (done < triggers.length && ++done === triggers.length) executor.endFrom();
  }
  for (const label of cliLabelComments(input.labels ?? {})) {
    config = { ...config, Labels: { ...(config.Labels ?? {}), [label.key]: label.value } };
    await nop(label.comment, 0);
  }
  return { config, history, ...(meta.author !== undefined ? { author: meta.author } : {}) };
}

/** COPY/ADD destination against WorkingDir, as Docker's normalizeDest (a trailing `/` kept). */
export function absoluteDest(workingDir: string | undefined, dest: string): string {
  if (dest.startsWith('/')) return dest;
  const joined = posix.join('/', workingDir || '/', dest);
  return dest.endsWith('/') && !joined.endsWith('/') ? `${joined}/` : joined;
}
