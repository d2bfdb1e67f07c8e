/**
 * A child process for the rmi crash test:
 *   node rmi-child.js ROOT IMAGE N
 * removes IMAGE from the vfs store at ROOT and kills itself with SIGKILL when
 * the removal asks about its N-th layer (after N-1 were given back).
 */
import { openStore } from '../store/store-fixture.js';

const [root, image, n] = process.argv.slice(2);
const store = await openStore(root!);
const get = store.layers.get.bind(store.layers);
let asked = 0;
let removing = false;
store.layers.get = (ref) => {
  if (removing && ++asked === Number(n)) process.kill(process.pid, 'SIGKILL');
  return get(ref);
};
await store.root.lock.run('rmi', () => {
  removing = true;
  return store.images.removeLocked(image!);
});
process.stdout.write('removed without being killed\n');
await store.close();
