import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as z from 'zod/mini';
import './zod.js';
import { ErrorCode, StrataError, errnoOf } from './errors.js';

/**
 * strata's configuration. Precedence, highest first: command-line flags,
 * environment (STRATA_ROOT, STRATA_DRIVER, STRATA_CONFIG), the config file
 * (`--config`, else `strata.json` in the root), defaults. Validated at start:
 * a bad value fails with ECONFIG naming the key, the value and what is allowed.
 */
export interface StrataConfig {
  /** Absolute path of the store root: metadata database and drivers' homes. */
  readonly root: string;
  /** Name of the storage driver. */
  readonly driver: string;
  /** Modules exporting a driver ContainerModule; absolute paths or package names. */
  readonly plugins: readonly string[];
  /** Per-driver options, by driver name, handed to the driver unvalidated. */
  readonly driverOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * Registries (`HOST[:PORT]`, as references spell them) reached without TLS
   * verification, and over plain HTTP when they do not speak TLS (as
   * `--tls-verify=false`). Default none (absent: none).
   */
  readonly insecureRegistries?: readonly string[];
  /** Where the config file was read from, if any. */
  readonly configFile?: string;
}

/** What the command line (or a library caller) sets; each wins over env and file. */
export interface ConfigOverrides {
  readonly root?: string;
  readonly driver?: string;
  readonly config?: string;
}

export const DEFAULT_DRIVER = 'overlay';

/** /var/lib/strata for root, else $XDG_DATA_HOME/strata (~/.local/share/strata). */
export function defaultRoot(): string {
  if (process.getuid?.() === 0) return '/var/lib/strata';
  const data = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'strata');
}

const driverName = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lower-case name like "overlay"'));

/** `HOST[:PORT]`: a DNS name or IPv4 address, or an [IPv6] literal, with an optional port; no scheme, no path. */
const REGISTRY_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:]+\])(?::[0-9]{1,5})?$/;

const fileSchema = z.strictObject({
  root: z.optional(z.string().check(z.minLength(1))),
  driver: z.optional(driverName),
  plugins: z.optional(z.array(z.string().check(z.minLength(1)))),
  driverOptions: z.optional(z.record(driverName, z.record(z.string(), z.unknown()))),
  insecureRegistries: z.optional(z.array(z.string().check(z.regex(REGISTRY_HOST, 'a registry host like "registry.local:5000"')))),
});

function configError(key: string, value: unknown, allowed: string): StrataError {
  return new StrataError(
    ErrorCode.ECONFIG,
    `config: ${key} = ${JSON.stringify(value)} is invalid: expected ${allowed}`,
  );
}

/** Parses and validates config file text; `source` names the file in errors. */
export function parseConfigFile(text: string, source: string): z.infer<typeof fileSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StrataError(ErrorCode.ECONFIG, `config: ${source} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.') || '(top level)';
    let value: unknown = raw;
    for (const p of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[p as PropertyKey];
    if (issue.code === 'unrecognized_keys') {
      throw new StrataError(
        ErrorCode.ECONFIG,
        `config: unknown key ${JSON.stringify(issue.keys[0])} in ${source}: allowed keys are root, driver, plugins, driverOptions, insecureRegistries`,
      );
    }
    throw configError(key, value, issue.message.replace(/^Invalid input: (expected )?/, ''));
  }
  return parsed.data;
}

async function readIfPresent(path: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (!required && errnoOf(err) === 'ENOENT') return undefined;
    throw new StrataError(ErrorCode.ECONFIG, `config: cannot read ${path}: ${errnoOf(err) ?? (err as Error).message}`);
  }
}

/** Resolves the configuration from overrides, the environment and the config file. */
export async function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<StrataConfig> {
  const explicitFile = overrides.config ?? env.STRATA_CONFIG;
  const preRoot = overrides.root ?? env.STRATA_ROOT;
  const filePath = explicitFile ? resolve(explicitFile) : join(resolve(preRoot ?? defaultRoot()), 'strata.json');
  const text = await readIfPresent(filePath, explicitFile !== undefined);
  const file = text === undefined ? {} : parseConfigFile(text, filePath);

  const rootValue = preRoot ?? file.root ?? defaultRoot();
  if (rootValue.length === 0) throw configError('root', rootValue, 'a directory path');
  const root = resolve(rootValue);

  const driver = overrides.driver ?? env.STRATA_DRIVER ?? file.driver ?? DEFAULT_DRIVER;
  const checked = driverName.safeParse(driver);
  if (!checked.success) throw configError('driver', driver, 'a lower-case driver name such as "vfs" or "overlay"');

  const base = text === undefined ? process.cwd() : dirname(filePath);
  const plugins = (file.plugins ?? []).map((p) => (p.startsWith('.') || isAbsolute(p) ? resolve(base, p) : p));

  return {
    root,
    driver,
    plugins,
  driverOptions: file.driverOptions ?? {},
  insecureRegistries: file.insecureRegistries ?? [],
    ...(text === undefined ? {} : { configFile: filePath }),
  };
}
