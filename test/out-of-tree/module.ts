import { driverModule } from '../../core/index.js';
import { PlainCopyDriver } from './plain-copy-driver.js';

/** What a strata config's `plugins` entry names: the module registering "plain-copy". */
export default driverModule('plain-copy', PlainCopyDriver);
