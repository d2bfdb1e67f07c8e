export { FuseDriver } from './fuse-driver.js';
export { default as fuseModule } from './module.js';
