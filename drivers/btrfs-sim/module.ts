import { driverModule } from '../../core/index.js';
import { BtrfsSimDriver } from './btrfs-sim-driver.js';

/** Registers the btrfs-sim driver under its name. */
export default driverModule('btrfs-sim', BtrfsSimDriver);
