import { ErrorCode, StrataError } from '../errors.js';
import type { ContainerConfig } from '../images/image-config.js';

/** A bind mount as `-v HOST:CTR[:ro]` gives it. */
export interface BindSpec {
  readonly source: string;
  readonly destination: string;
  readonly readonly: boolean;
}

/** What a container runs, merged from its image and the `create`/`run` flags (Docker's rules). */
export interface RunConfig {
  readonly Entrypoint: string[] | null;
  readonly Cmd: string[] | null;
  readonly Env: string[];
  readonly WorkingDir: string;
  readonly User: string;
  readonly Hostname: string;
  readonly Network: 'host' | 'none';
  readonly Binds: readonly BindSpec[];
  readonly Tty: boolean;
  readonly OpenStdin: boolean;
  readonly Runtime: 'builtin' | 'runc';
  readonly AutoRemove: boolean;
}

/** The `create`/`run` flags that shape the configuration. */
export interface RunFlags {
  /** Arguments after the image: they replace the image's Cmd. */
  readonly command?: readonly string[];
  /** `--entrypoint`: replaces the image's Entrypoint and drops its Cmd; '' clears it. */
  readonly entrypoint?: string;
  /** `-e K=V` (and `--env-file` lines), added to the image's Env; later wins. */
  readonly env?: readonly string[];
  readonly workdir?: string;
  readonly user?: string;
  readonly hostname?: string;
  readonly network?: string;
  readonly volumes?: readonly string[];
  readonly tty?: boolean;
  readonly interactive?: boolean;
  readonly runtime?: string;
  readonly autoRemove?: boolean;
}

/** Env lists merged by name, later entries winning, order of first appearance kept. */
export function mergeEnv(...lists: readonly (readonly string[])[]): string[] {
  const merged = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list) {
      const eq = entry.indexOf('=');
      const key = eq < 0 ? entry : entry.slice(0, eq);
      merged.set(key, entry);
    }
  }
  return [...merged.values()];
}

/** `-e` values: `K=V`, or `K` alone taking the value from strata's own environment (skipped when unset), as Docker. */
export function envFlags(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (v.startsWith('=') || v === '') throw new StrataError(ErrorCode.EINVALID, `invalid environment variable: ${v}`);
    if (v.includes('=')) out.push(v);
    else if (process.env[v] !== undefined) out.push(`${v}=${process.env[v]}`);
  }
  return out;
}

/** `--env-file` content: one `K=V` (or `K`) per line, `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): string[] {
  return envFlags(text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#')));
}

function parseVolume(spec: string): BindSpec {
  const parts = spec.split(':');
  const [source, destination, mode] = parts;
  if (parts.length < 2 || parts.length > 3 || !source || !destination || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new StrataError(ErrorCode.EINVALID, `invalid volume specification: '${spec}' (use HOST:CONTAINER[:ro]; named volumes are not supported)`);
  }
  if (!source.startsWith('/')) throw new StrataError(ErrorCode.EINVALID, `invalid volume specification: '${spec}': named volumes are not supported, give an absolute host path`);
  if (!destination.startsWith('/')) throw new StrataError(ErrorCode.EINVALID, `invalid volume specification: '${spec}': mount path must be absolute`);
  return { source, destination, readonly: mode === 'ro' };
}

/**
 * The container's configuration from its image's config and the flags, as
 * Docker merges them: `--entrypoint` replaces Entrypoint and drops the image's
 * Cmd; arguments replace Cmd; `-e` adds to Env; `-w` (absolute), `-u` override.
 * Fails with EINVALID (a relative `-w`, a bad `-v`, `--network` other than
 * host or none, nothing to run: Docker's `No command specified`).
 */
export function runConfig(image: ContainerConfig | null | undefined, flags: RunFlags, id: string): RunConfig {
  const base = image ?? {};
  let entrypoint: string[] | null = (base.Entrypoint as string[] | null | undefined) ?? null;
  let cmd: string[] | null = (base.Cmd as string[] | null | undefined) ?? null;
  if (flags.entrypoint !== undefined) {
    entrypoint = flags.entrypoint === '' ? null : [flags.entrypoint];
    cmd = null;
  }
  if (flags.command !== undefined && flags.command.length > 0) cmd = [...flags.command];
  if ((entrypoint?.length ?? 0) + (cmd?.length ?? 0) === 0) throw new StrataError(ErrorCode.EINVALID, 'No command specified');
  const workdir = flags.workdir ?? ((base.WorkingDir as string | undefined) || '/');
  if (!workdir.startsWith('/')) throw new StrataError(ErrorCode.EINVALID, `the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  const network = flags.network ?? 'host';
  if (network !== 'host' && network !== 'none') throw new StrataError(ErrorCode.EUNSUPPORTED, `network ${JSON.stringify(network)} is not supported: use host or none (port publishing and bridge networks are not in strata)`);
  const runtime = flags.runtime ?? 'builtin';
  if (runtime !== 'builtin' && runtime !== 'runc') throw new StrataError(ErrorCode.EINVALID, `unknown runtime ${JSON.stringify(runtime)}: use builtin or runc`);
  return {
    Entrypoint: entrypoint,
    Cmd: cmd,
    Env: mergeEnv((base.Env as string[] | null | undefined) ?? [], flags.env ?? []),
    WorkingDir: workdir,
    User: flags.user ?? ((base.User as string | undefined) || ''),
    Hostname: flags.hostname ?? id.slice(0, 12),
    Network: network,
    Binds: (flags.volumes ?? []).map(parseVolume),
    Tty: flags.tty ?? false,
    OpenStdin: flags.interactive ?? false,
    Runtime: runtime,
    AutoRemove: flags.autoRemove ?? false,
  };
}

/** The argv a container runs. */
export function argvOf(config: RunConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}
