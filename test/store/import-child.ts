/**
 * A child process for the crash and concurrency tests:
 *   node import-child.js ROOT BIG_FILES BIG_MIB SMALL_FILES SEED
 * imports a generated layer into the store at ROOT, printing "progress <bytes>"
 * lines as it reads and "done <id> <refCount>" at the end.
 */
import { openStore } from './store-fixture.js';
import { generateLayerTar } from './tar-generator.js';

const [root, bigFiles, bigMiB, smallFiles, seed] = process.argv.slice(2);
const store = await openStore(root!);
let reported = 0;
const layer = await store.layers.importLayer(
  generateLayerTar({ bigFiles: Number(bigFiles), bigSize: Number(bigMiB) * 1024 * 1024, smallFiles: Number(smallFiles), smallSize: 1000, seed: Number(seed) }),
  {
    onProgress: (bytes) => {
      if (bytes - reported >= 4 * 1024 * 1024) {
        reported = bytes;
        process.stdout.write(`progress ${bytes}\n`);
      }
    },
  },
);
process.stdout.write(`done ${layer.id} ${layer.refCount}\n`);
await store.close();
