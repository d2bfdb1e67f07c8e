/**
 * ARG scoping as Docker's classic builder does it.
 *
 * - Global ARGs (before the first FROM) are visible to FROM lines only. In a stage an ARG
 *   is visible from its declaration on; `ARG G` without a default takes the global G's
 *   value when there is one.
 * - A value comes from `--build-arg` first, then the stage's default, then the global one.
 * - The predefined proxy args (HTTP_PROXY … all_proxy) need no ARG: given as --build-arg
 *   they reach RUN's environment and the expansion, but never the history (`|0 …`).
 * - A RUN's history prefix and cache key use the declared args that have a value and are
 *   not shadowed by the config's Env, sorted by name.
 */
import { envKeys } from './image-config.js';

export const PROXY_ARGS: readonly string[] = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy',
  'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

/** The --build-arg values of one build, and which of them a Dockerfile consumed. */
export class BuildArgs {
  readonly #cli: ReadonlyMap<string, string>;
  readonly #globals = new Map<string, string | undefined>();
  readonly #consumed = new Set<string>();

  constructor(cli: Readonly<Record<string, string>> = {}) {
    this.#cli = new Map(Object.entries(cli));
  }

  /** Declares a global ARG; `value` is its default, already expanded. */
  declareGlobal(key: string, value?: string): void {
    this.#globals.set(key, value);
    if (this.#cli.has(key)) this.#consumed.add(key);
  }

  /** The value a global ARG has (--build-arg first), undefined when unset. */
  globalValue(key: string): string | undefined {
    if (!this.#globals.has(key)) return undefined;
    return this.#cli.get(key) ?? this.#globals.get(key);
  }

  /** Global ARGs with a value, for FROM lines (and global ARG defaults). */
  globalLookup(): (name: string) => string | undefined {
    return (name) => this.globalValue(name);
  }

  /** A fresh scope for a stage. */
  stage(): StageArgs {
    return new StageArgs(this.#cli, (k) => this.globalValue(k), (k) => this.#consumed.add(k));
  }

  /** --build-arg names that no ARG declared (Docker warns: "were not consumed"); proxies excluded. */
  unconsumed(): string[] {
    return [...this.#cli.keys()].filter((k) => !this.#consumed.has(k) && !PROXY_ARGS.includes(k)).sort();
  }
}

/** The ARGs declared so far in one stage. */
export class StageArgs {
  readonly #values = new Map<string, string | undefined>();
  constructor(
    readonly cli: ReadonlyMap<string, string>,
    readonly global: (key: string) => string | undefined,
    readonly consume: (key: string) => void,
  ) {}

  /** Declares `ARG key[=value]`; `value` is the default, already expanded. */
  declare(key: string, value?: string): void {
    this.#values.set(key, value ?? this.global(key));
    if (this.cli.has(key)) this.consume(key);
  }

  /** The value of a declared ARG (--build-arg first), undefined when undeclared or unset. */
  value(key: string): string | undefined {
    if (!this.#values.has(key)) return undefined;
    return this.cli.get(key) ?? this.#values.get(key);
  }

  /**
   * `KEY=VALUE` for the declared args with a value not in `env`, sorted by key: what a
   * RUN's history prefix (`|N …`) and cache key carry.
   */
  used(env: readonly string[] | null | undefined): string[] {
    const shadowed = new Set(envKeys(env));
    return [...this.#values.keys()].filter((k) => !shadowed.has(k) && this.value(k) !== undefined).sort()
      .map((k) => `${k}=${this.value(k)!}`);
  }

  /** `used(env)` plus the proxy args given with --build-arg and not in `env`: RUN's extra environment. */
  runEnv(env: readonly string[] | null | undefined): string[] {
    const shadowed = new Set(envKeys(env));
    const proxies = PROXY_ARGS.filter((k) => this.cli.has(k) && !shadowed.has(k) && !this.#values.has(k)).map((k) => `${k}=${this.cli.get(k)!}`);
    return [...this.used(env), ...proxies];
  }

  /** Whether the history prefix is written at all: any --build-arg reached this RUN (`|0` when only proxies). */
  hasPrefix(env: readonly string[] | null | undefined): boolean {
    return this.runEnv(env).length > 0;
  }

  /** The lookup for expanding an instruction: the config's Env first, then `runEnv`. */
  lookup(env: readonly string[] | null | undefined): (name: string) => string | undefined {
    const map = new Map<string, string>();
    for (const kv of [...this.runEnv(env), ...(env ?? [])]) {
      const i = kv.indexOf('=');
      map.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1));
    }
    return (name) => map.get(name);
  }
}
