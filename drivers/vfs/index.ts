export { VfsDriver } from './vfs-driver.js';
export { default as vfsModule } from './module.js';
