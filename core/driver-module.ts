import { ContainerModule, type Newable } from 'inversify';
import { DriverContext, StorageDriver } from './driver.js';

/** Injection token under which every module also binds its driver's name (multi-binding). */
export const DriverName = Symbol.for('strata.DriverName');

/**
 * The ContainerModule that registers a driver class under `name`: binds
 * StorageDriver (named `name`, one instance per container) and adds `name` to
 * the DriverName list. The class takes its `DriverContext` by injection:
 *
 *     @injectable()
 *     export class MyDriver implements StorageDriver {
 *       constructor(@inject(DriverContext) ctx: DriverContext) { ... }
 *     }
 *     export default driverModule('mine', MyDriver);
 */
export function driverModule(name: string, driverClass: Newable<StorageDriver>): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<StorageDriver>(StorageDriver).to(driverClass).inSingletonScope().whenNamed(name);
    bind<string>(DriverName).toConstantValue(name);
  });
}

export { DriverContext };
