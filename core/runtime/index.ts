/** How core reaches drivers: the registry of configured drivers, and the runtime that wraps each. */
export { DriverRuntime, RUNTIME_DIR, wrapDriver } from './driver-runtime.js';
export { DriverRegistry, listDrivers, loadPlugins, type DriverListing, type DriverStatus, type RegistryConfig } from './driver-registry.js';
