import { driverModule } from '../../core/index.js';
import { VfsDriver } from './vfs-driver.js';

/** Registers the vfs driver under the name "vfs". */
export default driverModule('vfs', VfsDriver);
