import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Container, ContainerModule } from 'inversify';
import type { StrataConfig } from './config.js';
import { DriverContext, StorageDriver } from './driver.js';
import { DriverName } from './driver-module.js';
import { ErrorCode, StrataError } from './errors.js';

/**
 * The dependency-injection container of one store: the built-in driver modules
 * (listed by drivers/index.ts and passed in by the caller, since core imports no
 * driver) plus every module named under `plugins` in the configuration.
 */
export async function buildContainer(
  config: StrataConfig,
  builtins: readonly ContainerModule[],
  driverName: string = config.driver,
): Promise<Container> {
  const container = new Container();
  const home = join(config.root, 'drivers', driverName);
  container.bind<DriverContext>(DriverContext).toConstantValue({
    home,
    options: config.driverOptions[driverName] ?? {},
  });
  container.load(...builtins, ...(await loadPlugins(config.plugins)));
  return container;
}

/** Imports each plugin and returns its ContainerModule (default export or `module`). */
export async function loadPlugins(specifiers: readonly string[]): Promise<ContainerModule[]> {
  const modules: ContainerModule[] = [];
  for (const spec of specifiers) {
    let loaded: Record<string, unknown>;
    try {
      loaded = (await import(spec)) as Record<string, unknown>;
    } catch (err) {
      throw new StrataError(ErrorCode.ECONFIG, `config: plugins: cannot load ${JSON.stringify(spec)}: ${(err as Error).message}`, { cause: err });
    }
    const candidate = loaded.default ?? loaded.module;
    if (!(candidate instanceof ContainerModule) && !isContainerModuleLike(candidate)) {
      throw new StrataError(
        ErrorCode.ECONFIG,
        `config: plugins: ${JSON.stringify(spec)} exports no inversify ContainerModule (as default or "module")`,
      );
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

/** Names of every driver registered in the container, sorted. */
export function registeredDrivers(container: Container): string[] {
  return container.isBound(DriverName) ? [...container.getAll<string>(DriverName)].sort() : [];
}

/**
 * The configured driver, constructed and with its home created; `init()` is
 * not called (the store does that). Fails with EUNKNOWNDRIVER listing the
 * registered names.
 */
export async function resolveDriver(container: Container, name: string): Promise<StorageDriver> {
  if (!container.isBound(StorageDriver, { name })) {
    const known = registeredDrivers(container);
    throw new StrataError(
      ErrorCode.EUNKNOWNDRIVER,
      `unknown driver ${JSON.stringify(name)}: registered drivers are ${known.join(', ') || '(none)'}`,
    );
  }
  const ctx = container.get<DriverContext>(DriverContext);
  await mkdir(ctx.home, { recursive: true, mode: 0o700 });
  return container.get<StorageDriver>(StorageDriver, { name });
}
