import type { ContainerModule } from 'inversify';
import vfsModule from './vfs/module.js';
import fuseModule from './fuse/module.js';
import btrfsSimModule from './btrfs-sim/module.js';
import overlayModule from './overlay/module.js';

/**
 * The built-in drivers, by explicit registration (no side-effect imports).
 * Each entry is the driver's own ContainerModule from drivers/<name>/module.ts.
 */
export const builtinDriverModules: readonly ContainerModule[] = [vfsModule, fuseModule, btrfsSimModule, overlayModule];
