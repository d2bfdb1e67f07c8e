/**
 * The image configs a build registers: one per step (an intermediate image, untagged,
 * whose parent is the previous step's; the stage's result is its last step's). Shaped as
 * Docker's classic builder writes them: the base's platform, the container config with
 * Docker's zero fields and `Image` naming the parent image, the base's history followed
 * by the build's entries, and the base's diff_ids followed by the steps' layers.
 */
import { serializeImageConfig } from '../../images/config-json.js';
import { hostPlatform, type ContainerConfig, type HistoryEntry, type ImageConfig } from '../../images/image-config.js';
import type { BuildConfig } from '../image-config.js';

export interface StepImageInput {
  /** The base image's config; undefined for scratch. */
  base: ImageConfig | undefined;
  config: BuildConfig;
  /** The whole history (base entries included), `created` set. */
  history: HistoryEntry[];
  diffIds: string[];
  /** The parent image (`sha256:…`), '' for none. */
  parent: string;
  author?: string;
  created: string;
  /**
   * What `container_config` holds instead of the step's config, as Docker's: the step's
   * command as Cmd (created-by.ts), no Entrypoint for a RUN, and the id of the step's
   * container (`container`; none for ADD/COPY, which run none).
   */
  step?: { cmd: string[]; isRun: boolean; container?: string };
}

/** Docker's container config for `config`, every field present. */
export function containerConfigOf(config: BuildConfig, parent: string): ContainerConfig {
  return {
    Hostname: '', Domainname: '', User: config.User ?? '',
    AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: config.Env ?? null, Cmd: config.Cmd ?? null,
    ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
    Image: parent,
    Volumes: config.Volumes ?? null, WorkingDir: config.WorkingDir ?? '', Entrypoint: config.Entrypoint ?? null,
    OnBuild: config.OnBuild ?? null, Labels: config.Labels ?? null,
    ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
    ...(config.Shell && config.Shell.length ? { Shell: config.Shell } : {}),
  } as ContainerConfig;
}

/** The config bytes of a build image. */
export function stepImageConfig(input: StepImageInput): Buffer {
  const platform = input.base ?? { ...hostPlatform() };
  const config = containerConfigOf(input.config, input.parent);
  const step = input.step;
  const image: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    ...(input.author ? { author: input.author } : {}),
    config,
    ...(step?.container ? { container: step.container } : {}),
    container_config: step === undefined ? config : { ...config, Cmd: step.cmd, ...(step.isRun && step.cmd.length > 0 ? { Entrypoint: null } : {}) },
    created: input.created,
    history: input.history,
    rootfs: { type: 'layers', diff_ids: input.diffIds },
  };
  return serializeImageConfig(image);
}
