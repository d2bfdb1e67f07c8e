import { driverModule } from '../../core/index.js';
import { OverlayDriver } from './overlay-driver.js';

/** Registers the overlay driver under the name "overlay". */
export default driverModule('overlay', OverlayDriver);
