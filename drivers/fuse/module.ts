import { driverModule } from '../../core/index.js';
import { FuseDriver } from './fuse-driver.js';

/** Registers the fuse driver under the name "fuse". */
export default driverModule('fuse', FuseDriver);
