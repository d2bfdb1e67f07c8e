/**
 * The part of an image's config (`config` in the image JSON) that Dockerfile
 * instructions change. Field names and JSON shapes are Docker's, so a value can be
 * merged into core/images' full config as is. `null` and absent mean what they mean in
 * Docker's JSON (`Cmd: null` after an ENTRYPOINT dropped an inherited Cmd).
 */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", …argv]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  /** Nanoseconds; 0 or absent means the default. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface BuildConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>> | null;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig | null;
  Volumes?: Record<string, Record<string, never>> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  OnBuild?: string[] | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[] | null;
}

/** Docker's PATH for a Linux image whose config has no Env (FROM scratch among them). */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The shell for shell-form commands when SHELL was never used. */
export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The shell shell-form commands run with under `config`. */
export function shellOf(config: BuildConfig): string[] {
  return config.Shell && config.Shell.length ? [...config.Shell] : [...DEFAULT_SHELL];
}

/** `Env` with `key` set to `value`: replaced in place when present, else appended. */
export function withEnv(env: readonly string[] | null | undefined, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((kv) => kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')) === key);
  if (i >= 0) out[i] = `${key}=${value}`; else out.push(`${key}=${value}`);
  return out;
}

/** The names `Env` sets, in order. */
export function envKeys(env: readonly string[] | null | undefined): string[] {
  return (env ?? []).map((kv) => (kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : kv));
}

/**
 * The config a stage starts from: the base image's config (or `{}` for scratch) with
 * OnBuild cleared (the triggers run in this stage and are not inherited) and, when it
 * has no Env, Docker's default PATH. The input is not modified.
 */
export function stageStartConfig(base: BuildConfig | undefined): BuildConfig {
  const config: BuildConfig = structuredClone(base ?? {});
  config.OnBuild = null;
  if (!config.Env || config.Env.length === 0) config.Env = [DEFAULT_PATH_ENV];
  return config;
}
