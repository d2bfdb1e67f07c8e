import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Container, ContainerModule } from 'inversify';
import { DriverContext, StorageDriver, defaultCapabilities, driverContext } from '../driver.js';
import type { DriverCapabilities } from '../driver.js';
import { DriverName } from '../driver-module.js';
import { ErrorCode, StrataError } from '../errors.js';
import { DriverRuntime } from './driver-runtime.js';
import { importModule } from './import-module.js';

/** What a registry needs of the configuration. */
export interface RegistryConfig {
  /** Drivers' homes are `<root>/drivers/<name>`. */
  readonly root: string;
  readonly plugins: readonly string[];
  readonly driverOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** One registered driver, probed. */
export interface DriverStatus {
  readonly name: string;
  readonly available: boolean;
  /** Why it is unavailable, or a note on what is limited. */
  readonly reason?: string;
  readonly capabilities: DriverCapabilities;
}

/**
 * Every driver a configuration can name: the built-in modules (passed in:
 * core imports no driver) and the modules under `plugins`, each a
 * ContainerModule binding its class under its name (`driverModule`). Plugins
 * are imported once, when the registry is made.
 */
export class DriverRegistry {
  readonly #config: RegistryConfig;
  readonly #modules: readonly ContainerModule[];
  readonly #names: readonly string[];

  private constructor(config: RegistryConfig, modules: readonly ContainerModule[], names: readonly string[]) {
    this.#config = config;
    this.#modules = modules;
    this.#names = names;
  }

  /** Fails with ECONFIG when a plugin cannot be loaded or exports no module. */
  static async load(config: RegistryConfig, builtins: readonly ContainerModule[]): Promise<DriverRegistry> {
    const modules = [...builtins, ...(await loadPlugins(config.plugins))];
    const container = new Container();
    container.load(...modules);
    const names = container.isBound(DriverName) ? [...container.getAll<string>(DriverName)].sort() : [];
    return new DriverRegistry(config, modules, names);
  }

  /** Registered driver names, sorted. */
  names(): string[] {
    return [...this.#names];
  }

  /**
   * The driver `name` in its runtime, constructed with its home
   * (`<root>/drivers/<name>`, created) and options; `init()` not yet called.
   * Fails with EUNKNOWNDRIVER listing the registered names.
   */
  async open(name: string): Promise<DriverRuntime> {
    if (!this.#names.includes(name)) {
      throw new StrataError(ErrorCode.EUNKNOWNDRIVER, `unknown driver ${JSON.stringify(name)}: registered drivers are ${this.#names.join(', ') || '(none)'}`);
    }
    const context = driverContext(join(this.#config.root, 'drivers', name), this.#config.driverOptions[name] ?? {});
    await mkdir(context.home, { recursive: true, mode: 0o700 });
    const container = new Container();
    container.bind<DriverContext>(DriverContext).toConstantValue(context);
    container.load(...this.#modules);
    return new DriverRuntime(container.get<StorageDriver>(StorageDriver, { name }), context.home);
  }

  /** Every registered driver probed (no layer made, no init called); a driver that cannot be constructed is listed unavailable. */
  async probeAll(): Promise<DriverStatus[]> {
    const out: DriverStatus[] = [];
    for (const name of this.#names) {
      try {
        const driver = await this.open(name);
        const probe = await driver.probe();
        out.push({ name, available: probe.ok, ...(probe.reason === undefined ? {} : { reason: probe.reason }), capabilities: driver.capabilities });
      } catch (err) {
        out.push({ name, available: false, reason: (err as Error).message, capabilities: defaultCapabilities });
      }
    }
    return out;
  }
}

/** Imports each plugin and returns its ContainerModule (default export or `module`). */
export async function loadPlugins(specifiers: readonly string[]): Promise<ContainerModule[]> {
  const modules: ContainerModule[] = [];
  for (const spec of specifiers) {
    let loaded: Record<string, unknown>;
    try {
      loaded = await importModule(spec);
    } catch (err) {
      throw new StrataError(ErrorCode.ECONFIG, `config: plugins: cannot load ${JSON.stringify(spec)}: ${(err as Error).message}`, { cause: err });
    }
    const candidate = loaded.default ?? loaded.module;
    if (!(candidate instanceof ContainerModule) && !isContainerModuleLike(candidate)) {
      throw new StrataError(ErrorCode.ECONFIG, `config: plugins: ${JSON.stringify(spec)} exports no inversify ContainerModule (as default or "module")`);
    }
    modules.push(candidate as ContainerModule);
  }
  return modules;
}

/** A plugin may bundle its own copy of inversify: accept any object of the same shape. */
function isContainerModuleLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { load?: unknown }).load === 'function'
    && typeof (value as { id?: unknown }).id === 'number';
}

/** A registered driver as `strata driver ls` lists it. */
export interface DriverListing extends DriverStatus {
  /** The driver the configuration selects. */
  readonly selected: boolean;
}

/** Every driver the configuration can name (built-in and plugins), probed; `selected` marks `config.driver`. */
export async function listDrivers(config: RegistryConfig & { readonly driver: string }, builtins: readonly ContainerModule[]): Promise<DriverListing[]> {
  const registry = await DriverRegistry.load(config, builtins);
  return (await registry.probeAll()).map((status) => ({ ...status, selected: status.name === config.driver }));
}
