import { ContentStore } from '../content/content-store.js';
import { ContainerStore } from './container-store.js';
import { ImageStore } from './image-store.js';
import { LayerStore } from './layer-store.js';
import { StoreRoot, type StoreRootOptions } from './store-root.js';

export type StoreOptions = StoreRootOptions;

/**
 * A store root with its stores, as peers over one StoreRoot (database, lock,
 * driver): layers, images (with their content store), containers.
 * Opening initialises the driver and recovers every store from a crash, under
 * the store lock.
 */
export class Store {
  readonly root: StoreRoot;
  readonly layers: LayerStore;
  readonly images: ImageStore;
  readonly containers: ContainerStore;

  private constructor(root: StoreRoot, layers: LayerStore) {
    this.root = root;
    this.layers = layers;
    this.images = new ImageStore(root, layers, new ContentStore(root.path));
    this.containers = new ContainerStore(root, layers, this.images);
  }

  /**
   * Opens (creating if needed) the store at `config.root` with `config.driver`.
   * Fails with EUNKNOWNDRIVER, EDRIVERUNAVAILABLE, ECONFIG (the content is in
   * another driver), ELOCKED, ECORRUPT.
   */
  static async open(options: StoreOptions): Promise<Store> {
    const root = await StoreRoot.open(options);
    try {
      const store = new Store(root, new LayerStore(root, await root.dir('layers')));
      await root.lock.run('open', async () => {
        await root.driver.init();
        await root.sweepScratch();
        await store.layers.recover();
        await store.images.recover();
        await store.containers.recover();
      });
      return store;
    } catch (err) {
      await root.close();
      throw err;
    }
  }

  /** Releases the database, the lock and the driver. Nothing may be called after. */
  close(): Promise<void> {
    return this.root.close();
  }
}
