export { OverlayDriver } from './overlay-driver.js';
export { default as overlayModule } from './module.js';
